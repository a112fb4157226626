// The administrator's pages around the decision: capacity coverage per week (a chart and its table), the reviews
// due, a decision's evaluation, the department's monthly feedback and the coordinating committee. Desktop first.
import { ScrollRegion } from '../components/ScrollRegion';
import { Alert, Field, Heading, Label, Paragraph, Select, Table, Tag } from '@digdir/designsystemet-react';
import { useQuery } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call } from '../api/client';
import { ChartCoverage, ChartCoverageLegend, type ChartWeek } from '../components/ChartCoverage';
import { Loading, ProblemAlert } from '../components/Problem';
import { Link, useLocation } from '../router';
import { addDays, localDate } from '../time';
import { InsightBenefits } from './InsightBenefits';
import { InsightCommittee } from './InsightCommittee';
import { InsightDepartmentFeedback } from './InsightDepartmentFeedback';
import { InsightEvaluation } from './InsightEvaluation';
import { hours, shortDate } from './InsightApi';
import { InsightNav, useDepartmentChoice } from './InsightNav';

type Window = 'around' | 'past' | 'ahead';
const WINDOW_START: Record<Window, number> = { around: -8, past: -11, ahead: 0 };

function Coverage() {
  const { t } = useTranslation();
  const { departmentId, name, picker } = useDepartmentChoice();
  const [span, setSpan] = useState<Window>('around');
  const from = addDays(localDate(new Date()), WINDOW_START[span] * 7);
  const coverage = useQuery({
    queryKey: ['coverage', departmentId, from],
    enabled: !!departmentId,
    queryFn: () => call(api.GET('/api/v1/departments/{department_id}/coverage', { params: { path: { department_id: departmentId ?? '' }, query: { from, weeks: 12 } } })),
  });
  const weeks = coverage.data?.weeks ?? [];
  const label = (week: number) => t('insight.coverage.week', { week });
  const chart: ChartWeek[] = weeks.map((w) => ({
    label: label(w.iso_week),
    staffed: w.staffed_minutes / 60,
    allocated: w.allocated_minutes / 60,
    booked: w.booked_minutes / 60,
    delivered: w.delivered_minutes / 60,
    over: w.warning === 'over',
  }));
  const over = weeks.filter((w) => w.warning === 'over').map((w) => w.iso_week);
  const first = weeks[0];
  const last = weeks[weeks.length - 1];
  const description = first && last
    ? `${t('insight.coverage.desc', { first: first.iso_week, last: last.iso_week, department: name ?? '' })} ${over.length ? t('insight.coverage.descOver', { weeks: over.join(', ') }) : t('insight.coverage.descFine')} ${t('insight.coverage.descTable')}`
    : '';

  return (
    <div className="stack">
      <Heading level={1} data-size="lg">
        {t('insight.coverage.title')}
        {name && <span className="heading-sub">{name}</span>}
      </Heading>
      {picker}
      <Paragraph>{t('insight.coverage.intro')}</Paragraph>
      <Field className="narrow">
        <Label>{t('insight.coverage.window')}</Label>
        <Select value={span} onChange={(e) => setSpan(e.target.value as Window)}>
          {(['around', 'past', 'ahead'] as Window[]).map((w) => (
            <Select.Option key={w} value={w}>
              {t(`insight.coverage.windows.${w}`)}
            </Select.Option>
          ))}
        </Select>
      </Field>
      {coverage.isPending && <Loading />}
      {coverage.error && <ProblemAlert error={coverage.error} onRetry={() => void coverage.refetch()} />}
      {coverage.data && (
        <>
          {over.length > 0 ? (
            <Alert data-color="warning" className="coverage-warning">
              <Heading level={2} data-size="xs">
                {t('insight.coverage.overTitle')}
              </Heading>
              <Paragraph>{t('insight.coverage.overText', { count: over.length, weeks: over.join(', ') })}</Paragraph>
            </Alert>
          ) : (
            <Paragraph className="coverage-ok">{t('insight.coverage.allFine')}</Paragraph>
          )}
          <figure className="chart-figure">
            <ScrollRegion label={t('insight.coverage.chartTitle', { department: name ?? '' })} className="table-scroll chart-scroll">
              <ChartCoverage weeks={chart} title={t('insight.coverage.chartTitle', { department: name ?? '' })} description={description} />
            </ScrollRegion>
            <ChartCoverageLegend />
            <figcaption>{t('insight.coverage.caption')}</figcaption>
          </figure>
          <ScrollRegion label={t('insight.coverage.tableCaption')}>
            <Table border className="coverage-table">
              <caption>{t('insight.coverage.tableCaption')}</caption>
              <Table.Head>
                <Table.Row>
                  <Table.HeaderCell>{t('insight.coverage.weekHeader')}</Table.HeaderCell>
                  <Table.HeaderCell className="num">{t('insight.coverage.staffed')}</Table.HeaderCell>
                  <Table.HeaderCell className="num">{t('insight.coverage.allocated')}</Table.HeaderCell>
                  <Table.HeaderCell className="num">{t('insight.coverage.booked')}</Table.HeaderCell>
                  <Table.HeaderCell className="num">{t('insight.coverage.delivered')}</Table.HeaderCell>
                  <Table.HeaderCell>{t('insight.coverage.percent')}</Table.HeaderCell>
                </Table.Row>
              </Table.Head>
              <Table.Body>
                {weeks.map((w) => (
                  <Table.Row key={w.week_start} className={w.warning === 'over' ? 'row-over' : undefined}>
                    <Table.HeaderCell scope="row">
                      {label(w.iso_week)} <span className="muted">({shortDate(w.week_start)})</span>
                    </Table.HeaderCell>
                    <Table.Cell className="num">{hours(w.staffed_minutes)}</Table.Cell>
                    <Table.Cell className="num">{hours(w.allocated_minutes)}</Table.Cell>
                    <Table.Cell className="num">{hours(w.booked_minutes)}</Table.Cell>
                    <Table.Cell className="num">{hours(w.delivered_minutes)}</Table.Cell>
                    <Table.Cell>
                      {w.allocated_percent === null ? '–' : `${w.allocated_percent.toLocaleString()} %`}{' '}
                      {w.warning && <Tag data-color={w.warning === 'over' ? 'danger' : 'warning'}>{t(`insight.coverage.level.${w.warning}`)}</Tag>}
                    </Table.Cell>
                  </Table.Row>
                ))}
              </Table.Body>
            </Table>
          </ScrollRegion>
        </>
      )}
    </div>
  );
}

const AHEAD_DAYS = { month: 30, quarter: 91, year: 365 } as const;
type Ahead = keyof typeof AHEAD_DAYS;

function Reviews() {
  const { t } = useTranslation();
  const [ahead, setAhead] = useState<Ahead>('quarter');
  const before = addDays(localDate(new Date()), AHEAD_DAYS[ahead]);
  const reviews = useQuery({ queryKey: ['reviews', before], queryFn: () => call(api.GET('/api/v1/reviews', { params: { query: { before } } })) });
  return (
    <div className="stack">
      <Heading level={1} data-size="lg">
        {t('insight.reviews.title')}
      </Heading>
      <Paragraph>{t('insight.reviews.intro')}</Paragraph>
      <Field className="narrow">
        <Label>{t('insight.reviews.ahead')}</Label>
        <Select value={ahead} onChange={(e) => setAhead(e.target.value as Ahead)}>
          {(Object.keys(AHEAD_DAYS) as Ahead[]).map((a) => (
            <Select.Option key={a} value={a}>
              {t(`insight.reviews.aheadOption.${a}`)}
            </Select.Option>
          ))}
        </Select>
      </Field>
      {reviews.isPending && <Loading />}
      {reviews.error && <ProblemAlert error={reviews.error} onRetry={() => void reviews.refetch()} />}
      {reviews.data?.length === 0 && <Paragraph>{t('insight.reviews.none')}</Paragraph>}
      {!!reviews.data?.length && (
        <ScrollRegion label={t('insight.reviews.title')}>
          <Table border className="reviews-table">
            <caption className="visually-hidden">{t('insight.reviews.title')}</caption>
            <Table.Head>
              <Table.Row>
                <Table.HeaderCell>{t('insight.reviews.due')}</Table.HeaderCell>
                <Table.HeaderCell>{t('insight.reviews.reason')}</Table.HeaderCell>
                <Table.HeaderCell>{t('insight.reviews.recipient')}</Table.HeaderCell>
                <Table.HeaderCell>{t('insight.reviews.decision')}</Table.HeaderCell>
                <Table.HeaderCell className="num">{t('insight.reviews.weekly')}</Table.HeaderCell>
                <Table.HeaderCell>{t('insight.reviews.evaluation')}</Table.HeaderCell>
              </Table.Row>
            </Table.Head>
            <Table.Body>
              {reviews.data.map((r) => (
                <Table.Row key={`${r.allocation_id}-${r.reason}`}>
                  <Table.Cell>
                    {shortDate(r.due)} {r.overdue && <Tag data-color="danger">{t('insight.reviews.overdue')}</Tag>}
                  </Table.Cell>
                  <Table.Cell>
                    {t(`insight.reviews.reasons.${r.reason}`)}
                    {r.kind === 'trial' && r.evaluation_date && (
                      <>
                        <br />
                        <span className="muted">{t('insight.reviews.trialUntil', { date: shortDate(r.evaluation_date) })}</span>
                      </>
                    )}
                  </Table.Cell>
                  <Table.Cell>{r.recipient_name}</Table.Cell>
                  <Table.Cell>
                    {r.service_name}
                    <br />
                    <span className="muted">{r.department_name}</span>
                  </Table.Cell>
                  <Table.Cell className="num">{t('insight.hoursShort', { hours: hours(r.weekly_minutes) })}</Table.Cell>
                  <Table.Cell>
                    <Link href={`/innsikt/vedtak/${r.allocation_id}`} className="ds-link">
                      {t('insight.reviews.open')}
                      <span className="visually-hidden">: {r.recipient_name}, {r.service_name}</span>
                    </Link>
                  </Table.Cell>
                </Table.Row>
              ))}
            </Table.Body>
          </Table>
        </ScrollRegion>
      )}
    </div>
  );
}

export default function InsightAdmin() {
  const { path } = useLocation();
  const [, , page, id] = path.split('/');
  let content: ReactNode;
  if (page === 'vurderinger') content = <Reviews />;
  else if (page === 'vedtak' && id) content = <InsightEvaluation key={id} allocationId={id} />;
  else if (page === 'samordning') content = <InsightCommittee />;
  else if (page === 'tilbakemeldinger') content = <InsightDepartmentFeedback />;
  else if (page === 'gevinster') content = <InsightBenefits />;
  else content = <Coverage />;
  return (
    <div className="stack insight-admin">
      <InsightNav />
      {content}
    </div>
  );
}
