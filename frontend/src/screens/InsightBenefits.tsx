// Benefit realisation (issue 22): did self-booking work? Per month over the last twelve: no-shows, late
// cancellations, who booked, minutes allocated, booked and delivered, staff time lost, how far ahead and at
// which time of day people book, and "Min stemme teller". Each figure with its trend, a chart with a text
// alternative and a table; the change since the department's baseline; exports for researchers; printable.
import { Button, Heading, Paragraph, Table, Textfield } from '@digdir/designsystemet-react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call } from '../api/client';
import type { paths } from '../api/schema';
import { ChartMonths, ChartMonthsLegend, type MonthSeries } from '../components/ChartMonths';
import { Loading, ProblemAlert } from '../components/Problem';
import { ScrollRegion } from '../components/ScrollRegion';
import i18n from '../i18n';
import { shortDate } from './InsightApi';
import { useDepartmentChoice } from './InsightNav';

type Benefits = paths['/api/v1/benefits']['get']['responses'][200]['content']['application/json'];
type DepartmentBenefits = Benefits['departments'][number];
type Month = DepartmentBenefits['months'][number];
type Trend = DepartmentBenefits['trends']['no_show_percent'];

const locale = () => (i18n.language === 'en' ? 'en-GB' : i18n.language === 'nn' ? 'nn-NO' : 'nb-NO');
const number = (n: number | null | undefined, digits = 0) =>
  n === null || n === undefined ? '–' : n.toLocaleString(locale(), { maximumFractionDigits: digits, minimumFractionDigits: 0 });

function monthLabel(month: string, style: 'short' | 'long' = 'short', capital = true): string {
  const options: Intl.DateTimeFormatOptions = style === 'short' ? { month: 'short' } : { month: 'long', year: 'numeric' };
  const text = new Intl.DateTimeFormat(locale(), { ...options, timeZone: 'UTC' }).format(new Date(`${month}-15T12:00:00Z`)).replace('.', '');
  return capital ? text.charAt(0).toUpperCase() + text.slice(1) : text;
}

function TrendText({ trend, unit }: { trend: Trend; unit: string }) {
  const { t } = useTranslation();
  if (trend.direction === 'unknown' || trend.per_month === null) return <>{t('insight.benefits.trend.unknown')}</>;
  const arrow = trend.direction === 'up' ? '↗' : trend.direction === 'down' ? '↘' : '→';
  return (
    <>
      <span aria-hidden="true">{arrow} </span>
      {t(`insight.benefits.trend.${trend.direction}`, { value: number(Math.abs(trend.per_month), 1), unit })}
    </>
  );
}

interface Figure {
  key: string;
  title: string;
  unit: string;
  trend: Trend;
  series: MonthSeries[];
  digits: number;
  integer?: boolean;
}

function FigureBlock({ figure, months }: { figure: Figure; months: Month[] }) {
  const { t } = useTranslation();
  const labels = months.map((m) => monthLabel(m.month));
  const complete = months.filter((m) => m.complete);
  const last = complete[complete.length - 1];
  const lastIndex = last ? months.indexOf(last) : -1;
  const latest = figure.series.map((s) => `${s.label}: ${number(s.values[lastIndex], figure.digits)} ${figure.unit}`).join(', ');
  const trendWords = `${t('insight.benefits.trendLabel')}: ${
    figure.trend.direction === 'unknown' || figure.trend.per_month === null
      ? t('insight.benefits.trend.unknown')
      : t(`insight.benefits.trend.${figure.trend.direction}`, { value: number(Math.abs(figure.trend.per_month), 1), unit: figure.unit })
  }`;
  const description = last ? `${t('insight.benefits.chartDesc', { month: monthLabel(last.month, 'long'), figures: latest })} ${trendWords}. ${t('insight.benefits.seeTable')}` : '';
  return (
    <section className="stack-sm benefit-figure" aria-labelledby={`fig-${figure.key}`}>
      <Heading level={3} data-size="xs" id={`fig-${figure.key}`}>
        {figure.title}
      </Heading>
      <p className="benefit-trend">
        <TrendText trend={figure.trend} unit={figure.unit} />
      </p>
      <figure className="chart-figure">
        <ChartMonths labels={labels} series={figure.series} title={figure.title} description={description} format={(n) => number(n, 1)} integer={figure.integer} />
        <ChartMonthsLegend series={figure.series} />
        <figcaption>{t('insight.benefits.partial')}</figcaption>
      </figure>
      <ScrollRegion label={figure.title}>
        <Table border className="benefit-table" data-size="sm">
          <caption className="visually-hidden">{figure.title}</caption>
          <Table.Head>
            <Table.Row>
              <Table.HeaderCell>{t('insight.monthly.month')}</Table.HeaderCell>
              {figure.series.map((s) => (
                <Table.HeaderCell key={s.key} className="num">
                  {s.label}
                </Table.HeaderCell>
              ))}
            </Table.Row>
          </Table.Head>
          <Table.Body>
            {months.map((m, i) => (
              <Table.Row key={m.month}>
                <Table.HeaderCell scope="row">
                  {monthLabel(m.month, 'long')}
                  {!m.complete && ` (${t('insight.benefits.soFar')})`}
                </Table.HeaderCell>
                {figure.series.map((s) => (
                  <Table.Cell key={s.key} className="num">
                    {number(s.values[i], figure.digits)}
                  </Table.Cell>
                ))}
              </Table.Row>
            ))}
          </Table.Body>
        </Table>
      </ScrollRegion>
    </section>
  );
}

function Distribution({ title, bands, totals, prefix }: { title: string; bands: string[]; totals: number[]; prefix: string }) {
  const { t } = useTranslation();
  const sum = totals.reduce((a, b) => a + b, 0);
  return (
    <section className="stack-sm" aria-labelledby={`dist-${prefix}`}>
      <Heading level={3} data-size="xs" id={`dist-${prefix}`}>
        {title}
      </Heading>
      <ScrollRegion label={title}>
        <Table border data-size="sm" className="benefit-table">
          <caption className="visually-hidden">{title}</caption>
          <Table.Head>
            <Table.Row>
              <Table.HeaderCell>{t('insight.benefits.band')}</Table.HeaderCell>
              <Table.HeaderCell className="num">{t('insight.benefits.bookings')}</Table.HeaderCell>
              <Table.HeaderCell>{t('insight.benefits.share')}</Table.HeaderCell>
            </Table.Row>
          </Table.Head>
          <Table.Body>
            {bands.map((band, i) => {
              const count = totals[i] ?? 0;
              const share = sum ? (100 * count) / sum : 0;
              return (
                <Table.Row key={band}>
                  <Table.HeaderCell scope="row">{t(`insight.benefits.${prefix}.${band}`)}</Table.HeaderCell>
                  <Table.Cell className="num">{number(count)}</Table.Cell>
                  <Table.Cell>
                    <span className="bar-cell">
                      <span className="bar-fill" style={{ width: `${Math.max(share * 0.75, 0.5)}%` }} aria-hidden="true" />
                      {number(share, 1)} %
                    </span>
                  </Table.Cell>
                </Table.Row>
              );
            })}
          </Table.Body>
        </Table>
      </ScrollRegion>
    </section>
  );
}

function BaselineForm({ department }: { department: DepartmentBenefits }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const current = department.baseline;
  const [from, setFrom] = useState(current?.self_booking_from ?? '');
  const [rate, setRate] = useState(current ? String(current.no_show_percent).replace('.', ',') : '');
  const [visits, setVisits] = useState(current ? String(current.visits_per_month) : '');
  const [minutes, setMinutes] = useState(current ? String(current.minutes_per_month) : '');
  const [source, setSource] = useState(current?.source ?? '');
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const save = async () => {
    setSaved(false);
    setError(null);
    try {
      await call(
        api.PUT('/api/v1/departments/{department_id}/benefit-baseline', {
          params: { path: { department_id: department.department_id } },
          body: { self_booking_from: from, no_show_percent: Number(rate.replace(',', '.')), visits_per_month: Number(visits), minutes_per_month: Number(minutes), source },
        }),
      );
      await client.invalidateQueries({ queryKey: ['benefits'] });
      setSaved(true);
    } catch (problem) {
      setError(problem);
    }
  };
  return (
    <details className="baseline-form no-print">
      <summary>{t(current ? 'insight.benefits.baseline.edit' : 'insight.benefits.baseline.add')}</summary>
      <form
        className="stack-sm"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <Textfield label={t('insight.benefits.baseline.from')} type="date" value={from} onChange={(e) => setFrom(e.target.value)} required />
        <Textfield label={t('insight.benefits.baseline.rate')} inputMode="decimal" value={rate} onChange={(e) => setRate(e.target.value)} suffix="%" required />
        <Textfield label={t('insight.benefits.baseline.visits')} inputMode="numeric" value={visits} onChange={(e) => setVisits(e.target.value)} required />
        <Textfield label={t('insight.benefits.baseline.minutes')} inputMode="numeric" value={minutes} onChange={(e) => setMinutes(e.target.value)} required />
        <Textfield label={t('insight.benefits.baseline.source')} description={t('insight.benefits.baseline.sourceHelp')} value={source} onChange={(e) => setSource(e.target.value)} required />
        <Button type="submit" className="baseline-save">
          {t('insight.benefits.baseline.save')}
        </Button>
      </form>
      {error !== null && <ProblemAlert error={error} />}
      <p role="status" className="saved">
        {saved ? t('insight.benefits.baseline.saved') : ''}
      </p>
    </details>
  );
}

function BeforeAfter({ department }: { department: DepartmentBenefits }) {
  const { t } = useTranslation();
  const { baseline, change } = department;
  const signed = (n: number | null | undefined, digits = 1) => (n === null || n === undefined ? '–' : `${n > 0 ? '+' : ''}${number(n, digits)}`);
  return (
    <section className="stack-sm" aria-labelledby="before-after">
      <Heading level={2} data-size="sm" id="before-after">
        {t('insight.benefits.baseline.title')}
      </Heading>
      {!baseline && <Paragraph>{t('insight.benefits.baseline.none')}</Paragraph>}
      {baseline && change && (
        <>
          <Paragraph>
            {t('insight.benefits.baseline.since', { date: shortDate(baseline.self_booking_from), count: change.months })}{' '}
            {t('insight.benefits.baseline.sourceIs', { source: baseline.source })}
          </Paragraph>
          <ScrollRegion label={t('insight.benefits.baseline.title')}>
            <Table border data-size="sm" className="benefit-table baseline-table">
              <caption className="visually-hidden">{t('insight.benefits.baseline.title')}</caption>
              <Table.Head>
                <Table.Row>
                  <Table.HeaderCell>{t('insight.benefits.baseline.figure')}</Table.HeaderCell>
                  <Table.HeaderCell className="num">{t('insight.benefits.baseline.before')}</Table.HeaderCell>
                  <Table.HeaderCell className="num">{t('insight.benefits.baseline.after')}</Table.HeaderCell>
                  <Table.HeaderCell className="num">{t('insight.benefits.baseline.change')}</Table.HeaderCell>
                </Table.Row>
              </Table.Head>
              <Table.Body>
                <Table.Row>
                  <Table.HeaderCell scope="row">{t('insight.benefits.noShowRate')}</Table.HeaderCell>
                  <Table.Cell className="num">{number(baseline.no_show_percent, 1)} %</Table.Cell>
                  <Table.Cell className="num">{number(change.no_show_percent, 1)} %</Table.Cell>
                  <Table.Cell className="num">{t('insight.benefits.points', { value: signed(change.no_show_points) })}</Table.Cell>
                </Table.Row>
                <Table.Row>
                  <Table.HeaderCell scope="row">{t('insight.benefits.visitsPerMonth')}</Table.HeaderCell>
                  <Table.Cell className="num">{number(baseline.visits_per_month)}</Table.Cell>
                  <Table.Cell className="num">{number(change.visits_per_month, 1)}</Table.Cell>
                  <Table.Cell className="num">{signed(change.visits_percent)} %</Table.Cell>
                </Table.Row>
                <Table.Row>
                  <Table.HeaderCell scope="row">{t('insight.benefits.minutesPerMonth')}</Table.HeaderCell>
                  <Table.Cell className="num">{number(baseline.minutes_per_month)}</Table.Cell>
                  <Table.Cell className="num">{number(change.minutes_per_month, 1)}</Table.Cell>
                  <Table.Cell className="num">{signed(change.minutes_percent)} %</Table.Cell>
                </Table.Row>
              </Table.Body>
            </Table>
          </ScrollRegion>
        </>
      )}
      <BaselineForm key={department.department_id + (baseline?.updated_at ?? '')} department={department} />
    </section>
  );
}

function Feedback({ department }: { department: DepartmentBenefits }) {
  const { t } = useTranslation();
  return (
    <section className="stack-sm" aria-labelledby="benefit-feedback">
      <Heading level={3} data-size="xs" id="benefit-feedback">
        {t('insight.benefits.feedback')}
      </Heading>
      <Paragraph data-size="sm">{t('insight.monthly.intro', { count: department.minimum_group })}</Paragraph>
      <ScrollRegion label={t('insight.benefits.feedback')}>
        <Table border data-size="sm" className="benefit-table">
          <caption className="visually-hidden">{t('insight.benefits.feedback')}</caption>
          <Table.Head>
            <Table.Row>
              <Table.HeaderCell>{t('insight.monthly.month')}</Table.HeaderCell>
              {(['yes', 'mixed', 'no'] as const).map((f) => (
                <Table.HeaderCell key={f} className="num">
                  {t(`insight.feedback.answer.${f}`)}
                </Table.HeaderCell>
              ))}
            </Table.Row>
          </Table.Head>
          <Table.Body>
            {department.feedback.map((f) => (
              <Table.Row key={f.month}>
                <Table.HeaderCell scope="row">{monthLabel(f.month, 'long')}</Table.HeaderCell>
                {f.suppressed ? (
                  <Table.Cell colSpan={3} className="suppressed">
                    {t('insight.monthly.suppressed', { count: department.minimum_group })}
                  </Table.Cell>
                ) : (
                  <>
                    <Table.Cell className="num">{f.yes}</Table.Cell>
                    <Table.Cell className="num">{f.mixed}</Table.Cell>
                    <Table.Cell className="num">{f.no}</Table.Cell>
                  </>
                )}
              </Table.Row>
            ))}
          </Table.Body>
        </Table>
      </ScrollRegion>
    </section>
  );
}

function EasySummary({ department }: { department: DepartmentBenefits }) {
  const { t } = useTranslation();
  const complete = department.months.filter((m) => m.complete);
  const last = complete[complete.length - 1];
  if (!last) return null;
  const direction = department.trends.no_show_percent.direction;
  return (
    <div className="easy-only benefit-easy">
      <Paragraph>{t('insight.benefits.easy.month', { month: monthLabel(last.month, 'long', false) })}</Paragraph>
      <ul>
        <li>{t('insight.benefits.easy.noShows', { count: last.no_shows, due: last.visits_due })}</li>
        <li>{t('insight.benefits.easy.self', { percent: number(last.self_booked_percent) })}</li>
        <li>{t('insight.benefits.easy.lost', { hours: number(last.lost_staff_minutes / 60, 1) })}</li>
        <li>{t(`insight.benefits.easy.trend.${direction}`)}</li>
      </ul>
    </div>
  );
}

function DepartmentPage({ department }: { department: DepartmentBenefits }) {
  const { t } = useTranslation();
  const months = department.months;
  const tr = department.trends;
  const pct = '%';
  const hoursUnit = t('insight.benefits.hoursUnit');
  // The API's minute trends are minutes a month; the page shows hours.
  const inHours = (trend: Trend): Trend => ({ ...trend, per_month: trend.per_month === null ? null : trend.per_month / 60 });
  const figures: Figure[] = [
    { key: 'noshow', title: t('insight.benefits.noShowRate'), unit: pct, trend: tr.no_show_percent, digits: 1,
      series: [{ key: 'rate', label: t('insight.benefits.noShowRate'), values: months.map((m) => m.no_show_percent) }] },
    { key: 'late', title: t('insight.benefits.late'), unit: '', trend: tr.late_cancellations, digits: 0,
      series: [{ key: 'late', label: t('insight.benefits.late'), values: months.map((m) => m.late_cancellations) }], integer: true },
    { key: 'self', title: t('insight.benefits.selfShare'), unit: pct, trend: tr.self_booked_percent, digits: 1,
      series: [{ key: 'self', label: t('insight.benefits.selfShare'), values: months.map((m) => m.self_booked_percent) }] },
    { key: 'minutes', title: t('insight.benefits.minutes'), unit: hoursUnit, trend: inHours(tr.delivered_minutes), digits: 1,
      series: [
        { key: 'allocated', label: t('insight.benefits.allocated'), values: months.map((m) => m.allocated_minutes / 60) },
        { key: 'booked', label: t('insight.benefits.booked'), values: months.map((m) => m.booked_minutes / 60) },
        { key: 'delivered', label: t('insight.benefits.delivered'), values: months.map((m) => m.delivered_minutes / 60) },
      ] },
    { key: 'lost', title: t('insight.benefits.lost'), unit: hoursUnit, trend: inHours(tr.lost_staff_minutes), digits: 1,
      series: [{ key: 'lost', label: t('insight.benefits.lost'), values: months.map((m) => m.lost_staff_minutes / 60) }] },
  ]; // prettier-ignore
  const lastComplete = months.filter((m) => m.complete).at(-1);
  const leadBands = months[0]?.lead_time.map((b) => b.band) ?? [];
  const timeBands = months[0]?.time_of_day.map((b) => b.band) ?? [];
  const sumBands = (pick: (m: Month) => { bookings: number }[]) => months.reduce<number[]>((acc, m) => pick(m).map((b, i) => (acc[i] ?? 0) + b.bookings), []);
  return (
    <div className="stack benefits-department">
      <EasySummary department={department} />
      <BeforeAfter department={department} />
      <section className="stack" aria-labelledby="per-month">
        <Heading level={2} data-size="sm" id="per-month">
          {t('insight.benefits.perMonth')}
        </Heading>
        {figures.map((figure) => (
          <FigureBlock key={figure.key} figure={figure} months={months} />
        ))}
        <Paragraph data-size="sm" className="benefit-lead">
          {t('insight.benefits.averageLead')} {number(lastComplete?.average_lead_hours, 1)} {hoursUnit}
          {lastComplete && ` (${monthLabel(lastComplete.month, 'long', false)})`}. <TrendText trend={tr.average_lead_hours} unit={hoursUnit} />.
        </Paragraph>
        <Distribution title={t('insight.benefits.leadTitle')} bands={leadBands} totals={sumBands((m) => m.lead_time)} prefix="lead" />
        <Distribution title={t('insight.benefits.timeTitle')} bands={timeBands} totals={sumBands((m) => m.time_of_day)} prefix="time" />
        <Feedback department={department} />
      </section>
    </div>
  );
}

export function InsightBenefits() {
  const { t } = useTranslation();
  const { departmentId, name, picker } = useDepartmentChoice();
  const benefits = useQuery({
    queryKey: ['benefits', departmentId],
    enabled: !!departmentId,
    queryFn: () => call(api.GET('/api/v1/benefits', { params: { query: { department: departmentId } } })),
  });
  const department = benefits.data?.departments[0];
  const exportQuery = departmentId ? `?department=${encodeURIComponent(departmentId)}` : '';
  return (
    <div className="stack benefits">
      <Heading level={1} data-size="lg">
        {t('insight.benefits.title')}
        {name && <span className="heading-sub">{name}</span>}
      </Heading>
      {picker}
      <Paragraph>{t('insight.benefits.intro')}</Paragraph>
      <div className="form-row no-print benefit-actions">
        <Button variant="secondary" onClick={() => window.print()}>
          {t('insight.benefits.print')}
        </Button>
        <a className="ds-link" href={`/api/v1/benefits/export.csv${exportQuery}`} download>
          {t('insight.benefits.exportCsv')}
        </a>
        <a className="ds-link" href={`/api/v1/benefits/export.json${exportQuery}`} download>
          {t('insight.benefits.exportJson')}
        </a>
      </div>
      <Paragraph data-size="sm" className="no-print">
        {t('insight.benefits.exportHelp')}
      </Paragraph>
      {benefits.isPending && departmentId && <Loading />}
      {benefits.error && <ProblemAlert error={benefits.error} onRetry={() => void benefits.refetch()} />}
      {department && <DepartmentPage department={department} />}
    </div>
  );
}
