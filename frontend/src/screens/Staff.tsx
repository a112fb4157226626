// The staff member's day: today's and tomorrow's visits grouped by time, one tap to mark, with undo.
import { Alert, Button, Card, Heading, Paragraph, Tabs, Tag } from '@digdir/designsystemet-react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call, type Visit } from '../api/client';
import { useMe } from '../api/queries';
import { Icon } from '../components/Icon';
import { Loading, ProblemAlert } from '../components/Problem';
import { Link } from '../router';
import { addDays, formatDay, formatTime, localDate } from '../time';

const UNDO_SECONDS = 6;
type Outcome = 'delivered' | 'no_show';

interface Pending {
  visit: Visit;
  outcome: Outcome;
  timer: number;
}

function mapLink(address: string): string {
  return `https://www.openstreetmap.org/search?query=${encodeURIComponent(address)}`;
}

function useRoster(departmentId: string | undefined, date: string) {
  // The roster names the services in the request's language: another language is another answer.
  const { i18n } = useTranslation();
  return useQuery({
    queryKey: ['roster', departmentId, date, i18n.language],
    enabled: !!departmentId,
    queryFn: () => call(api.GET('/api/v1/departments/{department_id}/roster', { params: { path: { department_id: departmentId ?? '' }, query: { date } } })),
    refetchInterval: 60_000,
  });
}

function VisitCard({ visit, pending, onMark }: { visit: Visit; pending: Outcome | undefined; onMark: (v: Visit, o: Outcome) => void }) {
  const { t } = useTranslation();
  const started = new Date(visit.start).getTime() <= Date.now();
  const status = pending ?? visit.status;
  return (
    <Card data-color="neutral" className="visit-card">
      <Heading level={4} data-size="xs">
        {visit.recipient_name}
      </Heading>
      <Paragraph>
        {visit.service_name}, {formatTime(visit.start)}–{formatTime(visit.end)}
      </Paragraph>
      {visit.home_visit && visit.address ? (
        <Paragraph>
          <Icon name="map" /> {visit.address}{' '}
          <a className="ds-link" href={mapLink(visit.address)} target="_blank" rel="noreferrer" aria-label={t('staff.mapLabel', { address: visit.address })}>
            {t('staff.map')}
          </a>
        </Paragraph>
      ) : (
        <Paragraph data-size="sm">{visit.home_visit ? t('staff.homeVisit') : t('staff.atOffice')}</Paragraph>
      )}
      {status === 'booked' ? (
        started ? (
          <div className="button-row">
            <Button onClick={() => onMark(visit, 'delivered')} aria-label={`${t('staff.delivered')}: ${visit.recipient_name} ${formatTime(visit.start)}`}>
              <Icon name="check" />
              {t('staff.delivered')}
            </Button>
            <Button variant="secondary" onClick={() => onMark(visit, 'no_show')} aria-label={`${t('staff.noShow')}: ${visit.recipient_name} ${formatTime(visit.start)}`}>
              <Icon name="cross" />
              {t('staff.noShow')}
            </Button>
          </div>
        ) : (
          <Paragraph data-size="sm" className="muted">
            {t('staff.notYet')}
          </Paragraph>
        )
      ) : (
        <Tag data-color={status === 'delivered' ? 'success' : status === 'no_show' ? 'warning' : 'neutral'}>{t(`bookings.status.${status}`, { defaultValue: status })}</Tag>
      )}
    </Card>
  );
}

function Day({ departmentId, date, pending, onMark }: { departmentId: string; date: string; pending: Map<string, Outcome>; onMark: (v: Visit, o: Outcome) => void }) {
  const { t } = useTranslation();
  const roster = useRoster(departmentId, date);
  if (roster.isPending) return <Loading />;
  if (roster.error) return <ProblemAlert error={roster.error} onRetry={() => void roster.refetch()} />;
  const visits = roster.data.filter((v) => v.status !== 'cancelled');
  if (visits.length === 0) return <Paragraph>{t('staff.none')}</Paragraph>;
  const groups = new Map<string, Visit[]>();
  for (const v of visits) groups.set(formatTime(v.start), [...(groups.get(formatTime(v.start)) ?? []), v]);
  return (
    <div className="stack">
      {[...groups.entries()].map(([time, group]) => (
        <section key={time} className="stack-sm time-group" aria-label={time}>
          <Heading level={3} data-size="xs" className="time-label">
            <Icon name="clock" /> {time}
          </Heading>
          <ul className="plain-list stack-sm">
            {group.map((v) => (
              <li key={v.booking_id}>
                <VisitCard visit={v} pending={pending.get(v.booking_id)} onMark={onMark} />
              </li>
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
}

export default function Staff() {
  const { t } = useTranslation();
  const me = useMe();
  const client = useQueryClient();
  const departmentId = me.data?.roles.find((r) => r.role === 'staff' && r.department_id)?.department_id ?? undefined;
  const today = localDate(new Date());
  const [pending, setPending] = useState<Pending | null>(null);
  const [marked, setMarked] = useState<Map<string, Outcome>>(new Map());
  const [error, setError] = useState<unknown>(null);
  const [announce, setAnnounce] = useState('');
  const pendingRef = useRef<Pending | null>(null);
  pendingRef.current = pending;

  const send = async (p: Pending) => {
    try {
      await call(api.POST('/api/v1/bookings/{booking_id}/outcome', { params: { path: { booking_id: p.visit.booking_id } }, body: { outcome: p.outcome } }));
      await client.invalidateQueries({ queryKey: ['roster'] });
    } catch (problem) {
      setError(problem);
      setMarked((m) => {
        const copy = new Map(m);
        copy.delete(p.visit.booking_id);
        return copy;
      });
    }
  };

  // Marks wait a few seconds before they are sent, so "Angre" needs no call; leaving the page sends them.
  useEffect(
    () => () => {
      const p = pendingRef.current;
      if (p) {
        window.clearTimeout(p.timer);
        void send(p);
      }
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [],
  );

  const mark = (visit: Visit, outcome: Outcome) => {
    if (pending) {
      window.clearTimeout(pending.timer);
      void send(pending);
    }
    setError(null);
    const entry: Pending = { visit, outcome, timer: 0 };
    entry.timer = window.setTimeout(() => {
      setPending(null);
      void send(entry);
    }, UNDO_SECONDS * 1000);
    setPending(entry);
    setMarked((m) => new Map(m).set(visit.booking_id, outcome));
    const time = formatTime(visit.start);
    setAnnounce(outcome === 'delivered' ? t('staff.markedDelivered', { name: visit.recipient_name, time }) : t('staff.markedNoShow', { name: visit.recipient_name, time }));
  };

  const undo = () => {
    if (!pending) return;
    window.clearTimeout(pending.timer);
    setMarked((m) => {
      const copy = new Map(m);
      copy.delete(pending.visit.booking_id);
      return copy;
    });
    setPending(null);
    setAnnounce('');
  };

  return (
    <div className="stack">
      <Heading level={1} data-size="lg">
        {t('staff.title')}
      </Heading>
      <Link href="/kalender" className="ds-link calendar-link">
        <Icon name="calendar" /> {t('calendar.fromBookings')}
      </Link>
      {error !== null && <ProblemAlert error={error} />}
      <div role="status" aria-live="polite" className="undo-bar-wrap">
        {pending && (
          <Alert data-color="info" className="undo-bar">
            <span>{announce}</span>
            <Button variant="secondary" data-size="sm" onClick={undo}>
              <Icon name="undo" />
              {t('staff.undo')}
            </Button>
          </Alert>
        )}
      </div>
      {!departmentId ? (
        <Paragraph>{t('staff.none')}</Paragraph>
      ) : (
        <Tabs defaultValue="today">
          <Tabs.List>
            <Tabs.Tab value="today">{t('staff.today')}</Tabs.Tab>
            <Tabs.Tab value="tomorrow">{t('staff.tomorrow')}</Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="today">
            <Paragraph className="muted day-caption">{formatDay(today)}</Paragraph>
            <Day departmentId={departmentId} date={today} pending={marked} onMark={mark} />
          </Tabs.Panel>
          <Tabs.Panel value="tomorrow">
            <Paragraph className="muted day-caption">{formatDay(addDays(today, 1))}</Paragraph>
            <Day departmentId={departmentId} date={addDays(today, 1)} pending={marked} onMark={mark} />
          </Tabs.Panel>
        </Tabs>
      )}
    </div>
  );
}
