// Booking (and moving) one choice at a time: who → service → length → day → time → confirm.
import { Alert, Button, Heading, Paragraph, Tag } from '@digdir/designsystemet-react';
import { useQueryClient } from '@tanstack/react-query';
import type { TFunction } from 'i18next';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useActor } from '../actor';
import { ApiProblem, api, call, newIdempotencyKey, type Booking, type Service } from '../api/client';
import { type Person, refreshAfterVisitChange, useAvailability, useBookings, useOffers, useServiceIndex } from '../api/queries';
import { joinWaitlist, useWaitingDays } from '../api/waitlist';
import { focusOnMount } from '../focus';
import { Icon } from '../components/Icon';
import { Loading, ProblemAlert } from '../components/Problem';
import { Link, navigate, useLocation } from '../router';
import { firstFree, freeStarts, nearestFree, type DayInfo, type Hours, type TimeStatus } from '../slots';
import { serviceDescription, serviceName } from '../texts';
import { durationWords, formatDay, formatTime, formatWhen, localDate } from '../time';
import { CancelDialog } from './Bookings';

type Step = 'who' | 'service' | 'length' | 'day' | 'time' | 'confirm';
/** The address of the receipt: `?steg=done`, never a step, so a reload of it starts a new booking. */
const DONE = 'done';

/**
 * Why the decision's hours do not reach (used up, or fewer left than the length), and when new hours begin:
 * "Timene for denne uken er brukt opp. Nye timer fra mandag 14. september."
 */
export function hoursWords(t: TFunction, hours: Hours, minutes: number, today: string): string {
  const current = hours.period_start <= today && today <= hours.period_end;
  const period = current ? t(`period.${hours.period}`) : t(`periodFrom.${hours.period}`, { date: formatDay(hours.period_start) });
  const why = hours.left_minutes > 0 && hours.left_minutes < minutes ? t('book.onlyLeft', { left: durationWords(hours.left_minutes), period }) : t('book.usedUp', { period });
  return hours.next_period_start ? `${why} ${t('book.newHours', { date: formatDay(hours.next_period_start) })}` : why;
}

/** Why a time cannot be booked, in a few words beside it. */
function timeWords(t: TFunction, status: TimeStatus, hours: Hours | undefined): string {
  if (status === 'no_hours' && hours?.left_minutes === 0) return t('book.timeStatus.used_up');
  return t(`book.timeStatus.${status}`);
}

function deadlineOf(start: string, hours: number | undefined): string | null {
  if (hours === undefined) return null;
  return formatWhen(new Date(new Date(start).getTime() - hours * 3_600_000));
}

export function StepHeading({ n, total, children }: { n: number; total: number; children: string }) {
  const { t } = useTranslation();
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (n > 1) ref.current?.focus();
  }, [n]);
  return (
    <div className="step-heading">
      <Paragraph data-size="sm" className="muted">
        {t('book.step', { n, total })}
      </Paragraph>
      <Heading level={1} data-size="md" ref={ref} tabIndex={-1}>
        {children}
      </Heading>
    </div>
  );
}

export function ChoiceButton({ onClick, icon, children, disabled }: { onClick: () => void; icon?: Parameters<typeof Icon>[0]['name']; children: React.ReactNode; disabled?: boolean }) {
  return (
    <li>
      <Button variant="secondary" className="choice" onClick={onClick} disabled={disabled}>
        {icon && <Icon name={icon} />}
        <span className="choice-text">{children}</span>
        {!disabled && <Icon name="arrow" />}
      </Button>
    </li>
  );
}

/** The "who" step's choices: the person themself ("Meg (Kari)") and everyone they book for. */
export function PeopleChoices({ people, onPick }: { people: Person[]; onPick: (person: Person) => void }) {
  const { t } = useTranslation();
  return (
    <ul className="plain-list choices">
      {people.map((p) => (
        <ChoiceButton key={p.id} icon="person" onClick={() => onPick(p)}>
          {p.self ? t('actor.me', { name: p.name }) : p.name}
        </ChoiceButton>
      ))}
    </ul>
  );
}

export function Book() {
  const { t } = useTranslation();
  const { path, params } = useLocation();
  const client = useQueryClient();
  const actor = useActor();
  const index = useServiceIndex();

  const movingId = path.startsWith('/flytt/') ? path.slice('/flytt/'.length) : null;
  const movingFor = params.get('for') ?? actor.selected?.id;
  const moving = useBookings(movingId && movingFor ? [movingFor] : []).bookings.find((b) => b.id === movingId);

  // Every choice and the step live in the address (?for=&tjeneste=&lengde=&dag=&tid=&steg=), so the browser's back
  // button goes one step back with the earlier choices kept, and a refresh or a shared link keeps the place.
  const param = (name: string) => params.get(name) || undefined;
  const who = moving?.recipient_id ?? param('for') ?? actor.selected?.id;
  const serviceId = moving?.service_id ?? param('tjeneste');
  const minutes = moving?.minutes ?? (Number(param('lengde')) || undefined);
  const day = param('dag');
  const start = param('tid');
  const [key, setKey] = useState(newIdempotencyKey);
  const [error, setError] = useState<unknown>(null);
  const [nearest, setNearest] = useState<string[]>([]);
  const [done, setDone] = useState<{ booking: Booking; service: Service; from?: string; cancelled?: boolean } | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const [busy, setBusy] = useState(false);
  const waiting = useWaitingDays(movingId ? undefined : who, serviceId, minutes);
  const [joinedNow, setJoined] = useState<Set<string>>(new Set());
  const joined = new Set([...waiting, ...joinedNow]);
  const [joinError, setJoinError] = useState<unknown>(null);
  /** Where a day is full: "tell me if a time frees up" puts the recipient in line for that day. */
  const join = async (date: string) => {
    if (!who || !serviceId || !minutes) return;
    setJoinError(null);
    try {
      await joinWaitlist(who, serviceId, minutes, date);
      setJoined(new Set([...joinedNow, date]));
      await client.invalidateQueries({ queryKey: ['waitlist'] });
    } catch (problem) {
      setJoinError(problem);
    }
  };
  /** To another step (a new history entry), with these choices changed; undefined removes a choice. */
  const go = (step: Step | undefined, change: Record<string, string | undefined> = {}, options: { replace?: boolean } = {}) => {
    const next = new URLSearchParams(params);
    for (const [name, value] of Object.entries({ ...change, steg: step })) {
      if (value === undefined) next.delete(name);
      else next.set(name, value);
    }
    const query = next.toString();
    navigate(query ? `${path}?${query}` : path, options);
  };

  const offers = useOffers(who);
  const service: Service | undefined = offers.offers.find((o) => o.service.id === serviceId)?.service ?? (serviceId ? index.services.get(serviceId) : undefined);
  const availability = useAvailability(who, serviceId, movingId ?? undefined);
  const today = localDate(new Date());
  const days = useMemo(() => freeStarts(availability.data, minutes ?? 0, today, moving?.start), [availability.data, minutes, today, moving?.start]);
  // Each period whose hours do not reach, once, above the days it covers.
  const short = [...new Map(days.filter((d) => d.state === 'no_hours' && d.hours).map((d) => [d.hours?.period_start, d.hours as Hours])).values()];
  const first = firstFree(days);
  const chosenDay = days.find((d) => d.date === day);
  const department = service ? index.departments.get(service.department_id) : undefined;
  const person = actor.people.find((p) => p.id === who);
  /** What a day button says: how many times are free, or why none can be chosen. */
  const dayWords = (d: DayInfo): string => {
    if (d.state === 'free') return t('book.free', { count: d.free.length });
    if (d.state === 'no_hours') return t(d.hours?.left_minutes ? 'book.dayTooFew' : 'book.dayUsedUp');
    if (d.state === 'too_soon') return t('book.timeStatus.too_soon');
    return t(d.state === 'closed' ? 'book.closed' : d.state === 'full' ? 'book.full' : 'book.noneFree');
  };
  /** Above the times of a day that has none to choose: why, in a sentence. */
  const dayReason = (d: DayInfo): string => {
    if (d.state === 'no_hours' && d.hours) return hoursWords(t, d.hours, minutes ?? 0, today);
    return d.state === 'none' ? t('book.noTimes') : dayWords(d);
  };

  const steps: Step[] = movingId
    ? ['day', 'time', 'confirm']
    : [...(actor.people.length > 1 ? (['who'] as Step[]) : []), 'service', ...((service?.durations.length ?? 2) > 1 ? (['length'] as Step[]) : []), 'day', 'time', 'confirm'];
  // The step asked for, or the first one whose earlier choices are missing (a link cut short, a retired service).
  const wanted = steps.indexOf(param('steg') as Step);
  const missing = steps.findIndex((s, i) => i < Math.max(wanted, 0) && !chosen(s));
  const stepIndex = missing >= 0 ? missing : Math.max(wanted, 0);
  const step = steps[stepIndex] ?? 'service';
  function chosen(s: Step): boolean {
    if (s === 'who') return !!who;
    if (s === 'service') return !!serviceId;
    if (s === 'length') return !!minutes;
    if (s === 'day') return !!day;
    if (s === 'time') return !!start;
    return false;
  }
  useEffect(() => {
    setError(null);
    setNearest([]);
  }, [step]);
  useEffect(() => setKey(newIdempotencyKey()), [start]);
  const back = () => {
    if (stepIndex === 0) navigate(movingId ? '/timer' : '/');
    else go(steps[stepIndex - 1]);
  };
  const after = (current: Step) => steps[steps.indexOf(current) + 1];

  const chooseStart = (value: string) => {
    setNearest([]);
    setError(null);
    go(step, { tid: value }, { replace: true });
  };

  const submit = async () => {
    if (!who || !serviceId || !minutes || !start) return;
    setBusy(true);
    setError(null);
    try {
      const booking = movingId
        ? await call(api.POST('/api/v1/bookings/{booking_id}/move', { params: { path: { booking_id: movingId } }, body: { start, minutes } }))
        : await call(
            api.POST('/api/v1/bookings', {
              params: { header: { 'Idempotency-Key': key } },
              body: { recipient_id: who, service_id: serviceId, start, minutes },
            }),
          );
      if (service) setDone({ booking, service, from: moving?.start });
      // The booking is made: the address no longer holds a choice to confirm, so a refresh cannot offer it again.
      navigate(movingId ? `${path}?for=${who}&steg=${DONE}` : `/bestill?steg=${DONE}`, { replace: true });
      await refreshAfterVisitChange(client);
    } catch (problem) {
      setError(problem);
      if (problem instanceof ApiProblem && ['slot_full', 'busy', 'too_short_notice', 'overlaps_own_booking', 'outside_opening_hours'].includes(problem.code)) {
        const fresh = await availability.refetch();
        setNearest(nearestFree(freeStarts(fresh.data, minutes, localDate(new Date()), moving?.start), start));
      }
    } finally {
      setBusy(false);
    }
  };

  if (done && param('steg') === DONE) {
    const { booking } = done;
    const hoursToCancel = index.departments.get(done.service.department_id)?.cancel_deadline_hours;
    const deadline = deadlineOf(booking.start, hoursToCancel);
    return (
      <section className="stack">
        <Alert data-color="success" className="done">
          <Heading level={1} data-size="md" tabIndex={-1} ref={focusOnMount}>
            <Icon name="check" /> {movingId ? t('book.moved') : t('book.done')}
          </Heading>
          <Paragraph>{t('book.doneText', { service: serviceName(done.service), when: formatWhen(booking.start) })}</Paragraph>
          {done.from && <Paragraph>{t('book.movedFrom', { when: formatWhen(done.from) })}</Paragraph>}
          {deadline && <Paragraph>{t('book.cancelRule', { deadline })}</Paragraph>}
        </Alert>
        {done.cancelled ? (
          <Alert data-color="info" role="status">
            {t('bookings.cancelled')}
          </Alert>
        ) : (
          <div className="button-row done-actions">
            <Button asChild variant="secondary">
              <a href={`/api/v1/bookings/${booking.id}/event.ics`} download>
                <Icon name="calendar" />
                {t('book.addToCalendar')}
              </a>
            </Button>
            <Button variant="secondary" onClick={() => navigate(`/flytt/${booking.id}?for=${booking.recipient_id}`)}>
              <Icon name="move" />
              {t('book.moveIt')}
            </Button>
            <Button variant="secondary" data-color="danger" onClick={() => setCancelling(true)}>
              <Icon name="cross" />
              {t('book.cancelIt')}
            </Button>
          </div>
        )}
        {cancelling && (
          <CancelDialog
            booking={booking}
            hours={hoursToCancel}
            name={serviceName(done.service)}
            onClose={(cancelled) => {
              setCancelling(false);
              if (cancelled) setDone({ ...done, cancelled: true });
            }}
          />
        )}
        <div className="button-row">
          <Button asChild>
            <Link href="/timer">
              <Icon name="list" />
              {t('nav.bookings')}
            </Link>
          </Button>
          <Button asChild variant="secondary">
            <Link href="/">
              <Icon name="home" />
              {t('book.homeLink')}
            </Link>
          </Button>
        </div>
      </section>
    );
  }

  if (movingId && !moving) return <Loading />;
  const n = stepIndex + 1;
  const total = steps.length;

  return (
    <section className="stack book">
      <Button variant="tertiary" data-size="sm" onClick={back} className="back">
        <Icon name="back" />
        {t('app.back')}
      </Button>

      {step === 'who' && (
        <>
          <StepHeading n={n} total={total}>{t('book.who')}</StepHeading>
          <PeopleChoices
            people={actor.people}
            onPick={(p) => {
              actor.select(p.id);
              go(after('who'), { for: p.id, tjeneste: undefined, lengde: undefined, dag: undefined, tid: undefined });
            }}
          />
        </>
      )}

      {step === 'service' && (
        <>
          <StepHeading n={n} total={total}>{t('book.service')}</StepHeading>
          {person && !person.self && <Tag data-color="info">{t('home.forWhom', { name: person.name })}</Tag>}
          {offers.pending && <Loading />}
          {!offers.pending && offers.offers.length === 0 && <Paragraph>{t('home.noServices')}</Paragraph>}
          <ul className="plain-list choices">
            {offers.offers.map(({ service: s, availability: offered }) => {
              const now = offered.days[0]?.hours; // today's period, or the first with a decision
              return (
                <ChoiceButton
                  key={s.id}
                  icon={s.home_visit ? 'home' : 'building'}
                  onClick={() => {
                    const only = s.durations.length === 1 ? String(s.durations[0]) : undefined;
                    go(only ? 'day' : 'length', { for: who, tjeneste: s.id, lengde: only, dag: undefined, tid: undefined });
                  }}
                >
                  <strong>{serviceName(s)}</strong>
                  <span className="choice-description service-description">{serviceDescription(s)}</span>
                  {now?.left_minutes === 0 && <span className="choice-description">{hoursWords(t, now, 0, today)}</span>}
                </ChoiceButton>
              );
            })}
          </ul>
        </>
      )}

      {step === 'length' && service && (
        <>
          <StepHeading n={n} total={total}>{t('book.length')}</StepHeading>
          <ul className="plain-list choices">
            {service.durations.map((m) => (
              <ChoiceButton
                key={m}
                icon="clock"
                onClick={() => {
                  go(after('length'), { lengde: String(m), dag: undefined, tid: undefined });
                }}
              >
                {durationWords(m)}
              </ChoiceButton>
            ))}
          </ul>
        </>
      )}

      {step === 'day' && (
        <>
          <StepHeading n={n} total={total}>{t('book.day')}</StepHeading>
          {service && minutes && (
            <Paragraph className="muted">
              {serviceName(service)}, {durationWords(minutes)}
            </Paragraph>
          )}
          {availability.isPending && <Loading />}
          {availability.error && <ProblemAlert error={availability.error} onRetry={() => void availability.refetch()} />}
          {availability.data && short.length > 0 && (
            <Alert data-color="info" className="hours-notice">
              {short.map((h) => (
                <Paragraph key={h.period_start}>{hoursWords(t, h, minutes ?? 0, today)}</Paragraph>
              ))}
            </Alert>
          )}
          {availability.data && first && (
            <Button variant="secondary" className="choice first-free" onClick={() => go('confirm', { dag: localDate(first), tid: first })}>
              <Icon name="clock" />
              <span className="choice-text">
                <strong>{t('book.firstFree')}</strong>
                <span className="first-free-when">{formatWhen(first)}</span>
              </span>
              <Icon name="arrow" />
            </Button>
          )}
          {department?.series_allowed && !movingId && (
            <Link href={`/timer/faste-avtaler/ny?for=${who}&tjeneste=${serviceId}&lengde=${minutes}&steg=days`} className="ds-link series-link">
              <Icon name="calendar" /> {t('book.series')}
            </Link>
          )}
          {joinError !== null && <ProblemAlert error={joinError} />}
          {availability.data && (
            <ul className="plain-list choices days">
              {days.map((d) => {
                const off = d.state !== 'free';
                const almost = !off && d.free.length <= Math.max(2, d.total / 4);
                return (
                  <li key={d.date} className={off ? 'day-off' : undefined}>
                    <Button
                      variant="secondary"
                      className="choice"
                      disabled={off}
                      onClick={() => {
                        go(after('day'), { dag: d.date, tid: undefined });
                      }}
                    >
                      <Icon name="calendar" />
                      <span className="choice-text">
                        <strong className="day-name">{formatDay(d.date)}</strong>
                        <span className="choice-description">{dayWords(d)}</span>
                      </span>
                      {almost && <Tag data-color="warning">{t('book.almostFull')}</Tag>}
                    </Button>
                    {d.state === 'full' && !movingId && (joined.has(d.date) ? (
                      <Paragraph role="status" data-size="sm" className="waitlist-joined" data-date={d.date}>
                        <Icon name="check" /> {t('waitlist.joined', { day: formatDay(d.date) })}{' '}
                        <Link href="/venteliste" className="ds-link">{t('waitlist.link')}</Link>
                      </Paragraph>
                    ) : (
                      <Button variant="tertiary" data-size="sm" className="notify-me" data-date={d.date} onClick={() => void join(d.date)}
                        aria-label={t('waitlist.notifyMeDay', { day: formatDay(d.date) })}>
                        <Icon name="clock" />
                        {t('waitlist.notifyMe')}
                      </Button>
                    ))}
                  </li>
                );
              })}
            </ul>
          )}
        </>
      )}

      {step === 'time' && day && (
        <>
          <StepHeading n={n} total={total}>{t('book.time')}</StepHeading>
          <Paragraph className="muted">{formatDay(day)}</Paragraph>
          {availability.isPending && <Loading />}
          {availability.data && chosenDay && chosenDay.state !== 'free' && (
            <Paragraph className="day-why">{dayReason(chosenDay)}</Paragraph>
          )}
          {chosenDay?.times.some((time) => time.status === 'too_soon') && department && (
            <Paragraph data-size="sm">{t('book.tooSoonRule', { notice: durationWords(department.notice_hours * 60) })}</Paragraph>
          )}
          <ul className="plain-list times">
            {chosenDay?.times.map((time) => (
              <li key={time.start}>
                {time.status === 'free' ? (
                  <Button
                    variant="secondary"
                    className="time"
                    onClick={() => {
                      go(after('time'), { tid: time.start });
                    }}
                  >
                    {formatTime(time.start)}
                  </Button>
                ) : (
                  <span className="time time-off">
                    <span>{formatTime(time.start)}</span>
                    <span className="time-why">{timeWords(t, time.status, chosenDay.hours)}</span>
                  </span>
                )}
              </li>
            ))}
          </ul>
        </>
      )}

      {step === 'confirm' && start && service && minutes && (
        <>
          <StepHeading n={n} total={total}>{t('book.confirm')}</StepHeading>
          <dl className="summary">
            <div>
              <dt>{t('book.summaryService')}</dt>
              <dd>{serviceName(service)}</dd>
            </div>
            {moving && (
              <div className="summary-old">
                <dt>{t('book.summaryOld')}</dt>
                <dd>{formatWhen(moving.start)}</dd>
              </div>
            )}
            <div>
              <dt>{moving ? t('book.summaryNew') : t('book.summaryWhen')}</dt>
              <dd>{formatWhen(start)}</dd>
            </div>
            <div>
              <dt>{t('book.summaryLength')}</dt>
              <dd>{durationWords(minutes)}</dd>
            </div>
            {person && (
              <div>
                <dt>{t('book.summaryFor')}</dt>
                <dd>{person.name}</dd>
              </div>
            )}
            {service.home_visit && person?.self && (
              <div>
                <dt>{t('book.summaryAddress')}</dt>
                <dd>{t('book.homeVisit')}</dd>
              </div>
            )}
          </dl>
          {deadlineOf(start, department?.cancel_deadline_hours) && (
            <Paragraph>{t('book.cancelRule', { deadline: deadlineOf(start, department?.cancel_deadline_hours) })}</Paragraph>
          )}
          {error !== null && <ProblemAlert error={error} />}
          {nearest.length > 0 && (
            <section className="stack-sm nearest" aria-labelledby="nearest-title">
              <Heading level={2} data-size="xs" id="nearest-title">
                {t('book.nearest')}
              </Heading>
              <ul className="plain-list choices">
                {nearest.map((s) => (
                  <ChoiceButton key={s} icon="clock" onClick={() => chooseStart(s)}>
                    {formatWhen(s)}
                  </ChoiceButton>
                ))}
              </ul>
            </section>
          )}
          <Button data-size="lg" onClick={() => void submit()} loading={busy} disabled={busy} className="cta">
            <Icon name="check" />
            {movingId ? t('book.moveButton') : t('book.confirmButton')}
          </Button>
        </>
      )}
    </section>
  );
}
