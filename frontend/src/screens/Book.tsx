// Booking (and moving) one choice at a time: who → service → length → day → time → confirm.
import { Alert, Button, Heading, Paragraph, Tag } from '@digdir/designsystemet-react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useActor } from '../actor';
import { ApiProblem, api, call, newIdempotencyKey, type Booking, type Service } from '../api/client';
import { useAvailability, useBookings, useOffers, useServiceIndex } from '../api/queries';
import { focusOnMount } from '../focus';
import { Icon } from '../components/Icon';
import { Loading, ProblemAlert } from '../components/Problem';
import { Link, navigate, useLocation } from '../router';
import { freeStarts, nearestFree } from '../slots';
import { durationWords, formatDay, formatTime, formatWhen, localDate, weekdayIndex } from '../time';

type Step = 'who' | 'service' | 'length' | 'day' | 'time' | 'confirm';

function deadlineOf(start: string, hours: number | undefined): string | null {
  if (hours === undefined) return null;
  return formatWhen(new Date(new Date(start).getTime() - hours * 3_600_000));
}

function StepHeading({ n, total, children }: { n: number; total: number; children: string }) {
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

function ChoiceButton({ onClick, icon, children, disabled }: { onClick: () => void; icon?: Parameters<typeof Icon>[0]['name']; children: React.ReactNode; disabled?: boolean }) {
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

export function Book() {
  const { t } = useTranslation();
  const { path, params } = useLocation();
  const client = useQueryClient();
  const actor = useActor();
  const index = useServiceIndex();

  const movingId = path.startsWith('/flytt/') ? path.slice('/flytt/'.length) : null;
  const movingFor = params.get('for') ?? actor.selected?.id;
  const moving = useBookings(movingId && movingFor ? [movingFor] : []).bookings.find((b) => b.id === movingId);

  const [who, setWho] = useState<string | undefined>(movingFor ?? actor.selected?.id);
  const [serviceId, setServiceId] = useState<string | undefined>();
  const [minutes, setMinutes] = useState<number | undefined>();
  const [day, setDay] = useState<string | undefined>();
  const [start, setStart] = useState<string | undefined>();
  const [stepIndex, setStepIndex] = useState(0);
  const [key, setKey] = useState(newIdempotencyKey);
  const [error, setError] = useState<unknown>(null);
  const [nearest, setNearest] = useState<string[]>([]);
  const [done, setDone] = useState<Booking | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (moving) {
      setWho(moving.recipient_id);
      setServiceId(moving.service_id);
      setMinutes(moving.minutes);
    }
  }, [moving]);

  const offers = useOffers(who);
  const service: Service | undefined = offers.offers.find((o) => o.service.id === serviceId)?.service ?? (serviceId ? index.services.get(serviceId) : undefined);
  const availability = useAvailability(who, serviceId);
  const days = useMemo(() => freeStarts(availability.data, minutes ?? 0, localDate(new Date())), [availability.data, minutes]);
  const department = service ? index.departments.get(service.department_id) : undefined;
  const person = actor.people.find((p) => p.id === who);
  const hours = useQuery({
    queryKey: ['opening-hours', service?.department_id],
    enabled: !!service,
    staleTime: 10 * 60_000,
    queryFn: () => call(api.GET('/api/v1/departments/{department_id}/opening-hours', { params: { path: { department_id: service?.department_id ?? '' } } })),
  });
  const openWeekdays = new Set((hours.data ?? []).map((r) => r.weekday));

  const steps: Step[] = movingId
    ? ['day', 'time', 'confirm']
    : [...(actor.people.length > 1 ? (['who'] as Step[]) : []), 'service', ...((service?.durations.length ?? 2) > 1 ? (['length'] as Step[]) : []), 'day', 'time', 'confirm'];
  const step = steps[Math.min(stepIndex, steps.length - 1)] ?? 'service';
  const next = () => {
    setError(null);
    setStepIndex((i) => i + 1);
  };
  const back = () => {
    setError(null);
    setNearest([]);
    if (stepIndex === 0) navigate(movingId ? '/timer' : '/');
    else setStepIndex((i) => i - 1);
  };

  const chooseStart = (value: string) => {
    setStart(value);
    setKey(newIdempotencyKey());
    setNearest([]);
    setError(null);
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
      setDone(booking);
      await client.invalidateQueries({ queryKey: ['bookings'] });
      await client.invalidateQueries({ queryKey: ['availability'] });
      await client.invalidateQueries({ queryKey: ['allocations'] });
    } catch (problem) {
      setError(problem);
      if (problem instanceof ApiProblem && ['slot_full', 'busy', 'too_short_notice', 'overlaps_own_booking', 'outside_opening_hours'].includes(problem.code)) {
        const fresh = await availability.refetch();
        setNearest(nearestFree(freeStarts(fresh.data, minutes, localDate(new Date())), start));
      }
    } finally {
      setBusy(false);
    }
  };

  if (done && service) {
    const deadline = deadlineOf(done.start, department?.cancel_deadline_hours);
    return (
      <section className="stack">
        <Alert data-color="success" className="done">
          <Heading level={1} data-size="md" tabIndex={-1} ref={focusOnMount}>
            <Icon name="check" /> {movingId ? t('book.moved') : t('book.done')}
          </Heading>
          <Paragraph>{t('book.doneText', { service: service.name, when: formatWhen(done.start) })}</Paragraph>
          {deadline && <Paragraph>{t('book.cancelRule', { deadline })}</Paragraph>}
        </Alert>
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
          <ul className="plain-list choices">
            {actor.people.map((p) => (
              <ChoiceButton
                key={p.id}
                icon="person"
                onClick={() => {
                  setWho(p.id);
                  actor.select(p.id);
                  setServiceId(undefined);
                  next();
                }}
              >
                {p.self ? t('actor.me', { name: p.name }) : p.name}
              </ChoiceButton>
            ))}
          </ul>
        </>
      )}

      {step === 'service' && (
        <>
          <StepHeading n={n} total={total}>{t('book.service')}</StepHeading>
          {person && !person.self && <Tag data-color="info">{t('home.forWhom', { name: person.name })}</Tag>}
          {offers.pending && <Loading />}
          {!offers.pending && offers.offers.length === 0 && <Paragraph>{t('home.noServices')}</Paragraph>}
          <ul className="plain-list choices">
            {offers.offers.map(({ service: s }) => (
              <ChoiceButton
                key={s.id}
                icon={s.home_visit ? 'home' : 'building'}
                onClick={() => {
                  setServiceId(s.id);
                  setMinutes(s.durations.length === 1 ? s.durations[0] : undefined);
                  setDay(undefined);
                  next();
                }}
              >
                <strong>{s.name}</strong>
                <span className="choice-description service-description">{s.description}</span>
              </ChoiceButton>
            ))}
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
                  setMinutes(m);
                  next();
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
              {service.name}, {durationWords(minutes)}
            </Paragraph>
          )}
          {availability.isPending && <Loading />}
          {availability.error && <ProblemAlert error={availability.error} onRetry={() => void availability.refetch()} />}
          {availability.data && (
            <ul className="plain-list choices days">
              {days.map((d) => {
                const closed = d.total === 0;
                const full = !closed && d.free.length === 0;
                const almost = !closed && !full && d.free.length <= Math.max(2, d.total / 4);
                const shut = closed && hours.data !== undefined && !openWeekdays.has(weekdayIndex(d.date));
                const status = shut ? t('book.closed') : closed ? t('book.noneFree') : full ? t('book.full') : t('book.free', { count: d.free.length });
                return (
                  <li key={d.date} className={closed || full ? 'day-off' : undefined}>
                    <Button
                      variant="secondary"
                      className="choice"
                      disabled={closed || full}
                      onClick={() => {
                        setDay(d.date);
                        next();
                      }}
                    >
                      <Icon name="calendar" />
                      <span className="choice-text">
                        <strong className="day-name">{formatDay(d.date)}</strong>
                        <span className="choice-description">{status}</span>
                      </span>
                      {almost && <Tag data-color="warning">{t('book.almostFull')}</Tag>}
                      {full && <Tag data-color="neutral">{t('book.full')}</Tag>}
                    </Button>
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
          {(days.find((d) => d.date === day)?.free.length ?? 0) === 0 ? (
            <Paragraph>{t('book.noTimes')}</Paragraph>
          ) : (
            <ul className="plain-list times">
              {days
                .find((d) => d.date === day)
                ?.free.map((s) => (
                  <li key={s}>
                    <Button
                      variant="secondary"
                      className="time"
                      onClick={() => {
                        chooseStart(s);
                        next();
                      }}
                    >
                      {formatTime(s)}
                    </Button>
                  </li>
                ))}
            </ul>
          )}
          <Paragraph data-size="sm" className="muted">
            {t('book.busyNote')}
          </Paragraph>
        </>
      )}

      {step === 'confirm' && start && service && minutes && (
        <>
          <StepHeading n={n} total={total}>{t('book.confirm')}</StepHeading>
          <dl className="summary">
            <div>
              <dt>{t('book.summaryService')}</dt>
              <dd>{service.name}</dd>
            </div>
            <div>
              <dt>{t('book.summaryWhen')}</dt>
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
