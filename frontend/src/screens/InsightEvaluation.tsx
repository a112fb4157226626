// A decision's evaluation: how it has been used, period by period, which days and times the person chose, and
// what they answered. Printable (the print stylesheet drops the app's frame) and downloadable as CSV.
import { Button, Heading, Paragraph, Table, Tag } from '@digdir/designsystemet-react';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, call } from '../api/client';
import { hasRole, useMe } from '../api/queries';
import { Icon } from '../components/Icon';
import { type Face, PictogramFace } from '../components/PictogramFace';
import { Loading, ProblemAlert } from '../components/Problem';
import { Link } from '../router';
import { formatWhen } from '../time';
import { type Evaluation, hours, shortDate } from './InsightApi';

type Figures = Evaluation['total'];
const COLUMNS: (keyof Figures)[] = ['granted', 'booked', 'delivered', 'cancelled', 'late_cancelled', 'no_show', 'charged', 'left'];

function Bars({ rows, label }: { rows: { key: string; name: string; visits: number; minutes: number }[]; label: string }) {
  const { t } = useTranslation();
  const most = Math.max(1, ...rows.map((r) => r.visits));
  if (rows.length === 0) return <Paragraph>{t('insight.evaluation.noVisits')}</Paragraph>;
  return (
    <Table border className="choice-table">
      <caption className="visually-hidden">{label}</caption>
      <Table.Head>
        <Table.Row>
          <Table.HeaderCell>{label}</Table.HeaderCell>
          <Table.HeaderCell>{t('insight.evaluation.visits')}</Table.HeaderCell>
          <Table.HeaderCell className="num">{t('insight.evaluation.hours')}</Table.HeaderCell>
        </Table.Row>
      </Table.Head>
      <Table.Body>
        {rows.map((r) => (
          <Table.Row key={r.key}>
            <Table.HeaderCell scope="row">{r.name}</Table.HeaderCell>
            <Table.Cell>
              <span className="bar-cell">
                <span className="bar-fill" style={{ width: `${(r.visits / most) * 100}%` }} aria-hidden="true" />
                <span className="num">{r.visits}</span>
              </span>
            </Table.Cell>
            <Table.Cell className="num">{hours(r.minutes)}</Table.Cell>
          </Table.Row>
        ))}
      </Table.Body>
    </Table>
  );
}

export function InsightEvaluation({ allocationId }: { allocationId: string }) {
  const { t } = useTranslation();
  const weekdays = t('weekday', { returnObjects: true }) as unknown as string[];
  const me = useMe();
  const admin = hasRole(me.data, 'department_admin', 'municipality_admin');
  const report = useQuery({
    queryKey: ['evaluation', allocationId],
    queryFn: () => call(api.GET('/api/v1/allocations/{allocation_id}/evaluation', { params: { path: { allocation_id: allocationId } } })),
  });
  if (report.isPending) return <Loading />;
  if (report.error) return <ProblemAlert error={report.error} onRetry={() => void report.refetch()} />;
  const e = report.data;
  const period = t(`insight.periodUnit.${e.period}`, { defaultValue: e.period });
  const counts = e.feedback;
  const answered = counts ? counts.yes + counts.mixed + counts.no : 0;
  return (
    <article className="stack evaluation" aria-labelledby="evaluation-title">
      {admin ? (
        <Link href="/innsikt/vurderinger" className="ds-link no-print">
          <Icon name="back" /> {t('insight.evaluation.back')}
        </Link>
      ) : (
        <Link href={`/plan/${e.recipient_id}`} className="ds-link no-print">
          <Icon name="back" /> {t('insight.evaluation.backPlan', { name: e.recipient_name })}
        </Link>
      )}
      <Heading level={1} data-size="lg" id="evaluation-title">
        {t('insight.evaluation.title')}
        <span className="heading-sub">
          {e.recipient_name}: {e.service_name}
        </span>
      </Heading>
      <dl className="summary evaluation-facts">
        <div>
          <dt>{t('insight.evaluation.department')}</dt>
          <dd>{e.department_name}</dd>
        </div>
        <div>
          <dt>{t('insight.evaluation.kind')}</dt>
          <dd>{t(`insight.evaluation.kinds.${e.kind}`, { defaultValue: e.kind })}</dd>
        </div>
        <div>
          <dt>{t('insight.evaluation.granted')}</dt>
          <dd>{t('insight.evaluation.per', { hours: hours(e.minutes_per_period), period })}</dd>
        </div>
        <div>
          <dt>{t('insight.evaluation.valid')}</dt>
          <dd>
            {shortDate(e.valid_from)} – {e.valid_to ? shortDate(e.valid_to) : t('insight.evaluation.open')}
          </dd>
        </div>
        {e.evaluation_date && (
          <div>
            <dt>{t('insight.evaluation.evaluationDate')}</dt>
            <dd>{shortDate(e.evaluation_date)}</dd>
          </div>
        )}
        {e.review_date && (
          <div>
            <dt>{t('insight.evaluation.reviewDate')}</dt>
            <dd>{shortDate(e.review_date)}</dd>
          </div>
        )}
        <div>
          <dt>{t('insight.evaluation.until')}</dt>
          <dd>{e.evaluated_until ? shortDate(e.evaluated_until) : '–'}</dd>
        </div>
      </dl>
      <div className="button-row no-print">
        <Button variant="secondary" onClick={() => window.print()}>
          <Icon name="list" />
          {t('insight.evaluation.print')}
        </Button>
        <Button asChild variant="secondary">
          <a href={`/api/v1/allocations/${e.allocation_id}/evaluation.csv`} download>
            <Icon name="arrow" />
            {t('insight.evaluation.csv')}
          </a>
        </Button>
      </div>

      <section className="stack-sm" aria-labelledby="evaluation-periods">
        <Heading level={2} data-size="sm" id="evaluation-periods">
          {t('insight.evaluation.periods')}
        </Heading>
        <Paragraph data-size="sm">{t('insight.evaluation.periodsHelp')}</Paragraph>
        <div className="table-scroll">
          <Table border className="evaluation-table">
            <caption className="visually-hidden">{t('insight.evaluation.periods')}</caption>
            <Table.Head>
              <Table.Row>
                <Table.HeaderCell>{t('insight.evaluation.period')}</Table.HeaderCell>
                {COLUMNS.map((c) => (
                  <Table.HeaderCell key={c} className="num">
                    {t(`insight.evaluation.col.${c}`)}
                  </Table.HeaderCell>
                ))}
              </Table.Row>
            </Table.Head>
            <Table.Body>
              {e.periods.map((p) => (
                <Table.Row key={p.start}>
                  <Table.HeaderCell scope="row">
                    {shortDate(p.start)} – {shortDate(p.end)}
                  </Table.HeaderCell>
                  {COLUMNS.map((c) => (
                    <Table.Cell key={c} className="num">
                      {hours(p.minutes[c])}
                    </Table.Cell>
                  ))}
                </Table.Row>
              ))}
              <Table.Row className="total-row">
                <Table.HeaderCell scope="row">{t('insight.evaluation.total')}</Table.HeaderCell>
                {COLUMNS.map((c) => (
                  <Table.Cell key={c} className="num">
                    {hours(e.total[c])}
                  </Table.Cell>
                ))}
              </Table.Row>
            </Table.Body>
          </Table>
        </div>
      </section>

      <div className="evaluation-choices">
        <section className="stack-sm" aria-labelledby="evaluation-weekdays">
          <Heading level={2} data-size="sm" id="evaluation-weekdays">
            {t('insight.evaluation.weekdays')}
          </Heading>
          <Bars label={t('insight.evaluation.weekday')} rows={e.weekdays.map((w) => ({ key: String(w.weekday), name: weekdays[w.weekday - 1] ?? String(w.weekday), visits: w.visits, minutes: w.minutes }))} />
        </section>
        <section className="stack-sm" aria-labelledby="evaluation-hours">
          <Heading level={2} data-size="sm" id="evaluation-hours">
            {t('insight.evaluation.times')}
          </Heading>
          <Bars label={t('insight.evaluation.time')} rows={e.hours.map((h) => ({ key: String(h.hour), name: `${String(h.hour).padStart(2, '0')}–${String((h.hour + 1) % 24).padStart(2, '0')}`, visits: h.visits, minutes: h.minutes }))} />
        </section>
      </div>

      <section className="stack-sm" aria-labelledby="evaluation-feedback">
        <Heading level={2} data-size="sm" id="evaluation-feedback">
          {t('insight.evaluation.feedback')}
        </Heading>
        {counts === null ? (
          <Paragraph className="suppressed">{t('insight.monthly.suppressed', { count: 5 })}</Paragraph>
        ) : answered === 0 ? (
          <Paragraph>{t('insight.evaluation.noFeedback')}</Paragraph>
        ) : (
          <ul className="plain-list feedback-counts">
            {(['yes', 'mixed', 'no'] as Face[]).map((f) => (
              <li key={f}>
                <PictogramFace face={f} size={36} />
                <span>
                  {t(`insight.feedback.answer.${f}`)}: <strong>{counts[f]}</strong>
                </span>
              </li>
            ))}
          </ul>
        )}
        {e.answers_visible && e.answers.length > 0 && (
          <ul className="plain-list stack-sm">
            {e.answers.map((a) => (
              <li key={a.booking_id} className="booking-line">
                <PictogramFace face={a.answer as Face} size={32} />
                <span>
                  <strong>{t(`insight.feedback.answer.${a.answer}`, { defaultValue: a.answer })}</strong> – {formatWhen(a.visit_start, e.timezone)}
                  {a.by_proxy && (
                    <>
                      {' '}
                      <Tag data-color="neutral">{t('insight.plan.byProxy')}</Tag>
                    </>
                  )}
                  {a.comment && (
                    <>
                      <br />
                      <q>{a.comment}</q>
                    </>
                  )}
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>
    </article>
  );
}
