// An administrator's home: today's visits in the department, this week's staffing against the decisions, and the
// follow-ups waiting. Only existing endpoints: the roster, the coverage report and the open follow-ups.
import { Button, Card, Heading, Paragraph, Tag } from '@digdir/designsystemet-react';
import { useQueries, useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, call } from '../api/client';
import { useDepartments, useMe } from '../api/queries';
import { HoursBar } from '../components/HoursBar';
import { Icon } from '../components/Icon';
import { Loading, ProblemAlert } from '../components/Problem';
import { Link } from '../router';
import { addDays, formatDay, formatTime, localDate, weekdayIndex } from '../time';
import { AdminWebhooks } from './AdminWebhooks';
import { hours, shortDate } from './InsightApi';
import { useDepartmentChoice } from './InsightNav';

function TodaysVisits({ departmentId, today }: { departmentId: string; today: string }) {
  const { t, i18n } = useTranslation();
  const roster = useQuery({
    queryKey: ['roster', departmentId, today, i18n.language],
    queryFn: () => call(api.GET('/api/v1/departments/{department_id}/roster', { params: { path: { department_id: departmentId }, query: { date: today } } })),
    refetchInterval: 60_000,
  });
  if (roster.isPending) return <Loading />;
  if (roster.error) return <ProblemAlert error={roster.error} onRetry={() => void roster.refetch()} />;
  const visits = roster.data.filter((v) => v.status !== 'cancelled');
  if (visits.length === 0) return <Paragraph>{t('adminHome.noVisits')}</Paragraph>;
  const count = (status: string) => visits.filter((v) => v.status === status).length;
  return (
    <>
      <Paragraph>{t('adminHome.visitsSummary', { count: visits.length, delivered: count('delivered'), noShow: count('no_show') })}</Paragraph>
      <ul className="plain-list stack-sm">
        {visits.map((v) => (
          <li key={v.booking_id} className="booking-line admin-visit">
            <span>
              <strong>
                {formatTime(v.start)}–{formatTime(v.end)}
              </strong>{' '}
              {v.recipient_name}
              <br />
              <span className="muted">{v.service_name}</span>
            </span>
            <Tag data-color={v.status === 'delivered' ? 'success' : v.status === 'no_show' ? 'warning' : 'neutral'}>{t(`adminHome.status.${v.status}`, { defaultValue: v.status })}</Tag>
          </li>
        ))}
      </ul>
    </>
  );
}

function ThisWeek({ departmentId, monday }: { departmentId: string; monday: string }) {
  const { t, i18n } = useTranslation();
  const coverage = useQuery({
    queryKey: ['coverage', departmentId, monday, 1],
    queryFn: () => call(api.GET('/api/v1/departments/{department_id}/coverage', { params: { path: { department_id: departmentId }, query: { from: monday, weeks: 1 } } })),
  });
  if (coverage.isPending) return <Loading />;
  if (coverage.error) return <ProblemAlert error={coverage.error} onRetry={() => void coverage.refetch()} />;
  const week = coverage.data.weeks[0];
  if (!week) return <Paragraph>{t('adminHome.noWeek')}</Paragraph>;
  return (
    <Card data-color="neutral" className="stack-sm admin-week">
      <Heading level={3} data-size="xs">
        {t('insight.coverage.week', { week: week.iso_week })}
      </Heading>
      <Paragraph>{t('adminHome.weekAllocated', { allocated: hours(week.allocated_minutes), staffed: hours(week.staffed_minutes), percent: (week.allocated_percent ?? 0).toLocaleString(i18n.language === 'en' ? 'en-GB' : 'nb-NO', { maximumFractionDigits: 1 }) })}</Paragraph>
      <HoursBar used={Math.min(week.allocated_minutes, week.staffed_minutes)} granted={Math.max(week.staffed_minutes, 1)} />
      <Paragraph>{t('adminHome.weekBooked', { booked: hours(week.booked_minutes), delivered: hours(week.delivered_minutes) })}</Paragraph>
      {week.warning && (
        <Tag data-color={week.warning === 'over' ? 'danger' : 'warning'} className="week-warning">
          {week.warning === 'over' ? t('adminHome.over') : t('adminHome.near')}
        </Tag>
      )}
    </Card>
  );
}

function FollowUps() {
  const { t } = useTranslation();
  const departments = useDepartments();
  const open = useQuery({ queryKey: ['follow-ups'], queryFn: () => call(api.GET('/api/v1/follow-ups')) });
  const ids = [...new Set((open.data ?? []).map((f) => f.recipient_id))];
  const names = useQueries({
    queries: ids.map((id) => ({
      queryKey: ['person', id],
      staleTime: 10 * 60_000,
      queryFn: () => call(api.GET('/api/v1/persons/{person_id}', { params: { path: { person_id: id } } })),
    })),
    combine: (results) => new Map(results.flatMap((r) => (r.data ? [[r.data.id, `${r.data.given_name} ${r.data.family_name}`] as const] : []))),
  });
  if (open.isPending) return <Loading />;
  if (open.error) return <ProblemAlert error={open.error} onRetry={() => void open.refetch()} />;
  if (open.data.length === 0) return <Paragraph>{t('adminHome.noFollowUps')}</Paragraph>;
  return (
    <ul className="plain-list stack-sm">
      {open.data.map((f) => {
        const department = departments.data?.find((d) => d.id === f.department_id)?.name ?? '';
        const d = f.details as Record<string, unknown>;
        const what =
          f.kind === 'repeated_no_show'
            ? t('insight.plan.followUp.repeated_no_show', { count: Number(d.no_shows ?? 0), weeks: Number(d.weeks ?? 0), department })
            : f.kind === 'evaluation_due'
              ? t('insight.plan.followUp.evaluation_due', { date: shortDate(String(d.evaluation_date ?? '')), department })
              : t('insight.plan.followUp.other', { department });
        return (
          <li key={f.id} className="booking-line admin-follow-up">
            <Icon name="help" />
            <span>
              <strong>{names.get(f.recipient_id) ?? '…'}</strong>
              <br />
              {what}
            </span>
          </li>
        );
      })}
    </ul>
  );
}

export default function AdminHome() {
  const { t } = useTranslation();
  const me = useMe();
  const { departmentId, name, picker } = useDepartmentChoice();
  const today = localDate(new Date());
  const monday = addDays(today, -weekdayIndex(today));
  return (
    <div className="stack admin-home">
      <Heading level={1} data-size="lg">
        {t('home.greeting', { name: me.data?.person?.given_name ?? '' })}
      </Heading>
      {name && !picker && <Paragraph className="muted">{name}</Paragraph>}
      {picker}
      {departmentId && (
        <>
          <section className="stack-sm" aria-labelledby="admin-today">
            <Heading level={2} data-size="sm" id="admin-today">
              {t('adminHome.today', { day: formatDay(today) })}
            </Heading>
            <TodaysVisits departmentId={departmentId} today={today} />
          </section>
          <section className="stack-sm" aria-labelledby="admin-week">
            <Heading level={2} data-size="sm" id="admin-week">
              {t('adminHome.week')}
            </Heading>
            <ThisWeek departmentId={departmentId} monday={monday} />
            <Link href="/innsikt/dekning" className="ds-link">
              {t('adminHome.coverageLink')}
            </Link>
          </section>
        </>
      )}
      <section className="stack-sm" aria-labelledby="admin-follow-ups">
        <Heading level={2} data-size="sm" id="admin-follow-ups">
          {t('adminHome.followUps')}
        </Heading>
        <FollowUps />
      </section>
      <section className="stack-sm" aria-labelledby="admin-webhooks">
        <Heading level={2} data-size="sm" id="admin-webhooks">
          {t('adminHome.webhooks.title')}
        </Heading>
        <AdminWebhooks />
      </section>
      <Button asChild data-size="lg" className="cta">
        <Link href="/avdeling">
          <Icon name="building" />
          {t('nav.admin')}
        </Link>
      </Button>
    </div>
  );
}
