// Recurring visits (faste avtaler, issue 20): make one a choice at a time (who → service → length → days and how
// often → time → dates → confirm), see which dates were booked and which not (why, and the nearest free times, each
// bookable as a single visit); the list of a person's series, to change from now on or end. Loaded on demand with
// its texts (locales/series-load.ts), outside the booking page's JavaScript budget.
import { Alert, Button, Card, Checkbox, Field, Fieldset, Heading, Label, Paragraph, Radio, Select, Tag, Textfield } from '@digdir/designsystemet-react';
import { useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import type { TFunction } from 'i18next';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useActor } from '../actor';
import { ApiProblem, api, call, newIdempotencyKey, problemText, type Schemas, type Service } from '../api/client';
import { refreshAfterVisitChange, useOffers, useServiceIndex } from '../api/queries';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { Icon } from '../components/Icon';
import { Loading, ProblemAlert } from '../components/Problem';
import { focusOnMount } from '../focus';
import i18n from '../i18n';
import { Link, navigate, useLocation } from '../router';
import { serviceDescription, serviceName } from '../texts';
import { patternTimes } from '../seriesTimes';
import { addDays, durationWords, formatWhen, localDate } from '../time';
import { ChoiceButton, PeopleChoices, StepHeading } from './Book';

type SeriesRead = Schemas['SeriesRead'];
type SeriesBooked = Schemas['SeriesBooked'];
type Failure = Schemas['FailureRead'];
type Step = 'who' | 'service' | 'length' | 'days' | 'time' | 'dates' | 'confirm';
const DONE = 'done';
const WEEK = [0, 1, 2, 3, 4, 5, 6];

function locale(): string {
  return i18n.language === 'en' ? 'en-GB' : i18n.language === 'nn' ? 'nn-NO' : 'nb-NO';
}

/** "tirsdag" for 1 (0 = Monday), in the person's language (the app's own names: nynorsk as well). */
export function weekdayName(day: number): string {
  return (i18n.t('weekday', { returnObjects: true }) as unknown as string[])[day] ?? '';
}

/** "8. desember" (no weekday, no year). */
function dayMonth(isoDate: string): string {
  return new Intl.DateTimeFormat(locale(), { day: 'numeric', month: 'long', timeZone: 'UTC' }).format(new Date(`${isoDate}T12:00:00Z`));
}

/** "Hver tirsdag og torsdag kl. 10:00" / "Annenhver tirsdag kl. 10:00". */
export function patternWords(t: TFunction, weekdays: number[], time: string, every: number): string {
  const days = new Intl.ListFormat(locale(), { type: 'conjunction' }).format([...weekdays].sort().map(weekdayName));
  return t(every === 2 ? 'series.pattern2' : 'series.pattern1', { days, time: time.slice(0, 5) });
}

function periodWords(t: TFunction, from: string, until: string | null | undefined): string {
  return until ? t('series.fromTo', { from: dayMonth(from), until: dayMonth(until) }) : t('series.fromOn', { from: dayMonth(from) });
}

/** A refusal's code in words: ours, else the general problem texts. */
function reasonWords(code: string): string {
  return problemText(new ApiProblem(409, code, ''));
}

/** The department's weekly opening hours. */
function useOpeningHours(department: string | undefined) {
  return useQuery({
    queryKey: ['opening-hours', department],
    enabled: !!department,
    queryFn: () => call(api.GET('/api/v1/departments/{department_id}/opening-hours', { params: { path: { department_id: department ?? '' } } })),
    staleTime: 10 * 60_000,
  });
}

/** Book one of the nearest free times as a single visit, through the ordinary booking API. */
function NearestTimes({ failure, recipient, service, minutes }: { failure: Failure; recipient: string; service: string; minutes: number }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [booked, setBooked] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const book = async (start: string) => {
    setBusy(true);
    setError(null);
    try {
      const booking = await call(
        api.POST('/api/v1/bookings', { params: { header: { 'Idempotency-Key': newIdempotencyKey() } }, body: { recipient_id: recipient, service_id: service, start, minutes } }),
      );
      setBooked(booking.start);
      await refreshAfterVisitChange(client);
    } catch (problem) {
      setError(problem);
    } finally {
      setBusy(false);
    }
  };
  if (booked) {
    return (
      <Paragraph role="status" className="series-booked-one">
        <Icon name="check" /> {t('series.bookedOne', { when: formatWhen(booked) })}
      </Paragraph>
    );
  }
  return (
    <>
      {failure.nearest.length > 0 ? (
        <>
          <Paragraph data-size="sm">{t('series.nearest')}</Paragraph>
          <ul className="plain-list button-row series-nearest">
            {failure.nearest.slice(0, 3).map((start) => (
              <li key={start}>
                <Button variant="secondary" data-size="sm" disabled={busy} onClick={() => void book(start)} aria-label={t('series.bookOne', { when: formatWhen(start) })}>
                  <Icon name="clock" />
                  {formatWhen(start)}
                </Button>
              </li>
            ))}
          </ul>
        </>
      ) : (
        <Paragraph data-size="sm">{t('series.noNearest')}</Paragraph>
      )}
      {error !== null && <ProblemAlert error={error} />}
    </>
  );
}

/** The refused coming dates of a series: when, why, and the nearest free times. */
function Failures({ failures, recipient, service, minutes }: { failures: Failure[]; recipient: string; service: string; minutes: number }) {
  return (
    <ul className="plain-list stack-sm series-failures">
      {failures.map((f) => (
        <li key={f.start} className="series-failure" data-date={f.date}>
          <Paragraph>
            <strong>{formatWhen(f.start)}</strong>
          </Paragraph>
          <Paragraph className="series-reason">{reasonWords(f.reason)}</Paragraph>
          <NearestTimes failure={f} recipient={recipient} service={service} minutes={minutes} />
        </li>
      ))}
    </ul>
  );
}

/** What became of a new (or changed) series: the dates booked, and those refused with their nearest free times. */
function Outcome({ result, failures }: { result: SeriesBooked; failures: Failure[] }) {
  const { t } = useTranslation();
  const { series, occurrences } = result;
  const booked = occurrences.filter((o) => o.booking_id);
  const refused = occurrences.filter((o) => !o.booking_id);
  const byDate = new Map(failures.map((f) => [f.start, f]));
  const shown: Failure[] = refused.map((o) => byDate.get(o.start) ?? { date: o.date, start: o.start, reason: o.refusal ?? 'unknown', nearest: [] });
  return (
    <>
      <section className="stack-sm" aria-labelledby="series-booked-title">
        <Heading level={2} data-size="sm" id="series-booked-title">
          {t('series.booked')}
        </Heading>
        {booked.length === 0 ? (
          <Paragraph>{t('series.noneBooked')}</Paragraph>
        ) : (
          <ul className="plain-list stack-sm series-booked">
            {booked.map((o) => (
              <li key={o.start} data-date={o.date}>
                <Icon name="check" /> {formatWhen(o.start)}
              </li>
            ))}
          </ul>
        )}
        <Paragraph data-size="sm">{t('series.later')}</Paragraph>
      </section>
      {shown.length > 0 && (
        <section className="stack-sm" aria-labelledby="series-failed-title">
          <Heading level={2} data-size="sm" id="series-failed-title">
            {t('series.failed')}
          </Heading>
          <Failures failures={shown} recipient={series.recipient_id} service={series.service_id} minutes={series.minutes} />
        </section>
      )}
    </>
  );
}

/** The series' refused coming dates with their nearest times, as the list has them (the create answer has none). */
async function failuresOf(recipient: string, id: string): Promise<Failure[]> {
  const all = await call(api.GET('/api/v1/series', { params: { query: { recipient_id: recipient } } }));
  return all.find((s) => s.id === id)?.failures ?? [];
}

export function SeriesNew() {
  const { t } = useTranslation();
  const { path, params } = useLocation();
  const client = useQueryClient();
  const actor = useActor();
  const index = useServiceIndex();
  const param = (name: string) => params.get(name) || undefined;
  const who = param('for') ?? actor.selected?.id;
  const serviceId = param('tjeneste');
  const minutes = Number(param('lengde')) || undefined;
  const weekdays = (param('dager') ?? '').split(',').filter((d) => /^[0-6]$/.test(d)).map(Number);
  const every = param('hver') === '2' ? 2 : 1;
  const at = param('kl');
  const today = localDate(new Date());
  const from = param('fra') ?? addDays(today, 1);
  const until = param('til');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<{ result: SeriesBooked; failures: Failure[] } | null>(null);
  const [days, setDays] = useState<number[]>(weekdays);
  const [fromValue, setFrom] = useState(from);
  const [untilValue, setUntil] = useState(until ?? '');
  const [invalid, setInvalid] = useState<string | null>(null);

  const offers = useOffers(who);
  const allowed = offers.offers.filter((o) => index.departments.get(o.service.department_id)?.series_allowed);
  const service: Service | undefined = serviceId ? index.services.get(serviceId) : undefined;
  const department = service ? index.departments.get(service.department_id) : undefined;
  const opening = useOpeningHours(department?.id);
  const times = patternTimes(opening.data, weekdays, department?.grid_minutes ?? 15, minutes ?? 0, service, today);
  const person = actor.people.find((p) => p.id === who);

  const go = (step: Step | typeof DONE | undefined, change: Record<string, string | undefined> = {}, options: { replace?: boolean } = {}) => {
    const next = new URLSearchParams(params);
    for (const [name, value] of Object.entries({ ...change, steg: step })) {
      if (value === undefined) next.delete(name);
      else next.set(name, value);
    }
    navigate(`${path}?${next.toString()}`, options);
  };
  const steps: Step[] = [...(actor.people.length > 1 ? (['who'] as Step[]) : []), 'service', ...((service?.durations.length ?? 2) > 1 ? (['length'] as Step[]) : []), 'days', 'time', 'dates', 'confirm'];
  function chosen(s: Step): boolean {
    if (s === 'who') return !!who;
    if (s === 'service') return !!serviceId;
    if (s === 'length') return !!minutes;
    if (s === 'days') return weekdays.length > 0;
    if (s === 'time') return !!at;
    if (s === 'dates') return !!param('fra');
    return false;
  }
  const wanted = steps.indexOf(param('steg') as Step);
  const missing = steps.findIndex((s, i) => i < Math.max(wanted, 0) && !chosen(s));
  const stepIndex = missing >= 0 ? missing : Math.max(wanted, 0);
  const step = steps[stepIndex] ?? 'service';
  const after = (current: Step) => steps[steps.indexOf(current) + 1];
  useEffect(() => {
    setError(null);
    setInvalid(null);
  }, [step]);
  // The form steps show what the address holds (back and forward keep the place).
  useEffect(() => setDays(weekdays), [param('dager')]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    setFrom(from);
    setUntil(until ?? '');
  }, [from, until]);
  // A reload of the receipt: what was made is under "Faste avtaler" (the receipt is not kept).
  const lost = param('steg') === DONE && !done;
  useEffect(() => {
    if (lost) navigate('/timer/faste-avtaler', { replace: true });
  }, [lost]);
  const back = () => {
    if (stepIndex === 0) navigate('/timer/faste-avtaler');
    else go(steps[stepIndex - 1]);
  };

  const create = async () => {
    if (!who || !serviceId || !minutes || !at) return;
    setBusy(true);
    setError(null);
    try {
      const result = await call(
        api.POST('/api/v1/series', {
          body: { recipient_id: who, service_id: serviceId, minutes, weekdays, local_time: `${at}:00`, valid_from: from, valid_until: until ?? null, every_weeks: every },
        }),
      );
      const failures = result.occurrences.some((o) => !o.booking_id) ? await failuresOf(who, result.series.id).catch(() => []) : [];
      setDone({ result, failures });
      // Made: the address no longer holds a choice to confirm, so a refresh cannot make it twice.
      navigate(`/timer/faste-avtaler/ny?for=${who}&steg=${DONE}`, { replace: true });
      await refreshAfterVisitChange(client);
    } catch (problem) {
      setError(problem);
    } finally {
      setBusy(false);
    }
  };

  if (param('steg') === DONE) {
    if (!done) return <Loading />;
    const s = done.result.series;
    return (
      <section className="stack series-done">
        <Alert data-color="success">
          <Heading level={1} data-size="md" tabIndex={-1} ref={focusOnMount}>
            <Icon name="check" /> {t('series.made')}
          </Heading>
          <Paragraph>
            {serviceName(index.services.get(s.service_id))}: {patternWords(t, s.weekdays, s.local_time, s.every_weeks)}, {durationWords(s.minutes)}, {periodWords(t, s.valid_from, s.valid_until)}
          </Paragraph>
        </Alert>
        <Outcome result={done.result} failures={done.failures} />
        <div className="button-row">
          <Button asChild>
            <Link href="/timer/faste-avtaler">
              <Icon name="list" />
              {t('series.toList')}
            </Link>
          </Button>
        </div>
      </section>
    );
  }

  const n = stepIndex + 1;
  const total = steps.length;
  const chooseDays = () => {
    if (days.length === 0) {
      setInvalid(t('series.pickDay'));
      return;
    }
    go(after('days'), { dager: [...days].sort().join(','), kl: undefined });
  };
  const chooseDates = () => {
    if (!fromValue || (untilValue && untilValue < fromValue)) {
      setInvalid(t('series.badUntil'));
      return;
    }
    go(after('dates'), { fra: fromValue, til: untilValue || undefined });
  };

  return (
    <section className="stack book series">
      <Button variant="tertiary" data-size="sm" onClick={back} className="back">
        <Icon name="back" />
        {t('app.back')}
      </Button>

      {step === 'who' && (
        <>
          <StepHeading n={n} total={total}>{t('series.who')}</StepHeading>
          <PeopleChoices
            people={actor.people}
            onPick={(p) => {
              actor.select(p.id);
              go(after('who'), { for: p.id, tjeneste: undefined, lengde: undefined, kl: undefined });
            }}
          />
        </>
      )}

      {step === 'service' && (
        <>
          <StepHeading n={n} total={total}>{t('series.service')}</StepHeading>
          {person && !person.self && <Tag data-color="info">{t('home.forWhom', { name: person.name })}</Tag>}
          {offers.pending && <Loading />}
          {!offers.pending && allowed.length === 0 && <Paragraph>{t('series.noServices')}</Paragraph>}
          <ul className="plain-list choices">
            {allowed.map(({ service: s }) => (
              <ChoiceButton
                key={s.id}
                icon={s.home_visit ? 'home' : 'building'}
                onClick={() => {
                  const only = s.durations.length === 1 ? String(s.durations[0]) : undefined;
                  go(only ? 'days' : 'length', { for: who, tjeneste: s.id, lengde: only, kl: undefined });
                }}
              >
                <strong>{serviceName(s)}</strong>
                <span className="choice-description service-description">{serviceDescription(s)}</span>
              </ChoiceButton>
            ))}
          </ul>
        </>
      )}

      {step === 'length' && service && (
        <>
          <StepHeading n={n} total={total}>{t('series.length')}</StepHeading>
          <ul className="plain-list choices">
            {service.durations.map((m) => (
              <ChoiceButton key={m} icon="clock" onClick={() => go(after('length'), { lengde: String(m), kl: undefined })}>
                {durationWords(m)}
              </ChoiceButton>
            ))}
          </ul>
        </>
      )}

      {step === 'days' && (
        <>
          <StepHeading n={n} total={total}>{t('series.days')}</StepHeading>
          {service && minutes && (
            <Paragraph className="muted">
              {serviceName(service)}, {durationWords(minutes)}
            </Paragraph>
          )}
          <Fieldset className="series-weekdays">
            <Fieldset.Legend>{t('series.weekdays')}</Fieldset.Legend>
            {WEEK.map((d) => (
              <Checkbox
                key={d}
                label={weekdayName(d)}
                value={String(d)}
                checked={days.includes(d)}
                onChange={(e) => setDays(e.target.checked ? [...days, d] : days.filter((x) => x !== d))}
              />
            ))}
          </Fieldset>
          <Fieldset className="series-every">
            <Fieldset.Legend>{t('series.every')}</Fieldset.Legend>
            {[1, 2].map((e) => (
              <Radio key={e} name="every" value={String(e)} label={t(`series.every${e}`)} checked={every === e} onChange={() => go('days', { hver: String(e) }, { replace: true })} />
            ))}
          </Fieldset>
          {invalid && (
            <Alert data-color="danger" role="alert">
              {invalid}
            </Alert>
          )}
          <Button onClick={chooseDays} className="cta">
            {t('series.next')}
            <Icon name="arrow" />
          </Button>
        </>
      )}

      {step === 'time' && (
        <>
          <StepHeading n={n} total={total}>{t('series.time')}</StepHeading>
          <Paragraph className="muted">
            {new Intl.ListFormat(locale(), { type: 'conjunction' }).format(weekdays.map(weekdayName))}, {t(`series.every${every}`).toLowerCase()}
          </Paragraph>
          {opening.isPending && <Loading />}
          {opening.error && <ProblemAlert error={opening.error} onRetry={() => void opening.refetch()} />}
          {opening.data && times.length === 0 && <Paragraph role="alert">{t('series.noTimes')}</Paragraph>}
          <ul className="plain-list times">
            {times.map((time) => (
              <li key={time}>
                <Button variant="secondary" className="time" aria-pressed={time === at} onClick={() => go(after('time'), { kl: time })}>
                  {time}
                </Button>
              </li>
            ))}
          </ul>
        </>
      )}

      {step === 'dates' && (
        <>
          <StepHeading n={n} total={total}>{t('series.dates')}</StepHeading>
          <Textfield label={t('series.from')} type="date" min={today} value={fromValue} onChange={(e) => setFrom(e.target.value)} className="series-date" />
          <Textfield label={t('series.until')} description={t('series.untilHelp')} type="date" min={fromValue} value={untilValue} onChange={(e) => setUntil(e.target.value)} className="series-date" />
          {invalid && (
            <Alert data-color="danger" role="alert">
              {invalid}
            </Alert>
          )}
          <Button onClick={chooseDates} className="cta">
            {t('series.next')}
            <Icon name="arrow" />
          </Button>
        </>
      )}

      {step === 'confirm' && service && minutes && at && (
        <>
          <StepHeading n={n} total={total}>{t('series.confirm')}</StepHeading>
          <Paragraph className="series-summary">
            <strong>
              {patternWords(t, weekdays, at, every)}, {durationWords(minutes)}, {periodWords(t, from, until)}
            </strong>
          </Paragraph>
          <dl className="summary">
            <div>
              <dt>{t('book.summaryService')}</dt>
              <dd>{serviceName(service)}</dd>
            </div>
            <div>
              <dt>{t('series.summaryPattern')}</dt>
              <dd>{patternWords(t, weekdays, at, every)}</dd>
            </div>
            <div>
              <dt>{t('book.summaryLength')}</dt>
              <dd>{durationWords(minutes)}</dd>
            </div>
            <div>
              <dt>{t('series.summaryDates')}</dt>
              <dd>{periodWords(t, from, until)}</dd>
            </div>
            {person && (
              <div>
                <dt>{t('book.summaryFor')}</dt>
                <dd>{person.name}</dd>
              </div>
            )}
          </dl>
          <Paragraph data-size="sm">{t('series.intro')}</Paragraph>
          {error !== null && <ProblemAlert error={error} />}
          <Button data-size="lg" onClick={() => void create()} loading={busy} disabled={busy} className="cta">
            <Icon name="check" />
            {t('series.create')}
          </Button>
        </>
      )}
    </section>
  );
}

/** Change a series from now on: weekdays, time, every week or every second. */
function ChangeForm({ series, onDone }: { series: SeriesRead; onDone: (result: SeriesBooked | null) => void }) {
  const { t } = useTranslation();
  const index = useServiceIndex();
  const service = index.services.get(series.service_id);
  const department = index.departments.get(series.department_id);
  const opening = useOpeningHours(series.department_id);
  const [days, setDays] = useState<number[]>(series.weekdays);
  const [every, setEvery] = useState(series.every_weeks);
  const [at, setAt] = useState(series.local_time.slice(0, 5));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const times = patternTimes(opening.data, days, department?.grid_minutes ?? 15, series.minutes, service, localDate(new Date()));
  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      const result = await call(
        api.PATCH('/api/v1/series/{series_id}', { params: { path: { series_id: series.id } }, body: { weekdays: days, local_time: `${at}:00`, every_weeks: every === 2 ? 2 : 1 } }),
      );
      onDone(result);
    } catch (problem) {
      setError(problem);
    } finally {
      setBusy(false);
    }
  };
  const valid = days.length > 0 && times.includes(at);
  return (
    <div className="stack-sm series-change">
      <Heading level={3} data-size="xs" tabIndex={-1} ref={focusOnMount}>
        {t('series.changeTitle')}
      </Heading>
      <Paragraph data-size="sm">{t('series.changeHelp')}</Paragraph>
      <Fieldset className="series-weekdays">
        <Fieldset.Legend>{t('series.weekdays')}</Fieldset.Legend>
        {WEEK.map((d) => (
          <Checkbox key={d} label={weekdayName(d)} value={String(d)} checked={days.includes(d)} onChange={(e) => setDays(e.target.checked ? [...days, d] : days.filter((x) => x !== d))} />
        ))}
      </Fieldset>
      <Field>
        <Label>{t('series.time')}</Label>
        <Select value={times.includes(at) ? at : ''} onChange={(e) => setAt(e.target.value)}>
          {!times.includes(at) && <Select.Option value="">–</Select.Option>}
          {times.map((time) => (
            <Select.Option key={time} value={time}>
              {time}
            </Select.Option>
          ))}
        </Select>
      </Field>
      <Fieldset>
        <Fieldset.Legend>{t('series.every')}</Fieldset.Legend>
        {[1, 2].map((e) => (
          <Radio key={e} name={`every-${series.id}`} value={String(e)} label={t(`series.every${e}`)} checked={every === e} onChange={() => setEvery(e)} />
        ))}
      </Fieldset>
      {days.length === 0 && <Paragraph role="alert">{t('series.pickDay')}</Paragraph>}
      {days.length > 0 && opening.data && times.length === 0 && <Paragraph role="alert">{t('series.noTimes')}</Paragraph>}
      {error !== null && <ProblemAlert error={error} />}
      <div className="button-row">
        <Button onClick={() => void save()} loading={busy} disabled={busy || !valid}>
          <Icon name="check" />
          {t('series.save')}
        </Button>
        <Button variant="secondary" onClick={() => onDone(null)}>
          {t('series.cancel')}
        </Button>
      </div>
    </div>
  );
}

function EndDialog({ series, name, onClose }: { series: SeriesRead; name: string; onClose: (ended: boolean) => void }) {
  const { t } = useTranslation();
  const end = async () => {
    await call(api.DELETE('/api/v1/series/{series_id}', { params: { path: { series_id: series.id } } }));
  };
  return (
    <ConfirmDialog title={t('series.endTitle')} confirm={t('series.endConfirm')} keep={t('series.keep')} action={end} onClose={onClose}>
      <Paragraph>
        <strong>{name}</strong>, {patternWords(t, series.weekdays, series.local_time, series.every_weeks)}
      </Paragraph>
      <Paragraph>{t('series.endText')}</Paragraph>
    </ConfirmDialog>
  );
}

export function SeriesList() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const { params } = useLocation();
  const { people } = useActor();
  const index = useServiceIndex();
  const lists = useQueries({
    queries: people.map((p) => ({
      queryKey: ['series', p.id],
      queryFn: () => call(api.GET('/api/v1/series', { params: { query: { recipient_id: p.id } } })),
    })),
    combine: (results) => ({
      series: results.flatMap((r) => r.data ?? []),
      pending: results.some((r) => r.isPending),
      error: results.find((r) => r.error)?.error ?? null,
    }),
  });
  const names = new Map(people.map((p) => [p.id, p.name]));
  const editing = params.get('endre');
  const [ending, setEnding] = useState<SeriesRead | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [changed, setChanged] = useState<{ result: SeriesBooked; failures: Failure[] } | null>(null);
  const active = lists.series.filter((s) => !s.ended_at);
  const refresh = async () => {
    await refreshAfterVisitChange(client);
  };
  const newHref = people.length === 1 && people[0] ? `/timer/faste-avtaler/ny?for=${people[0].id}` : '/timer/faste-avtaler/ny';

  return (
    <div className="stack series-list">
      <Heading level={1} data-size="lg">
        {t('series.listTitle')}
      </Heading>
      <Paragraph>{t('series.intro')}</Paragraph>
      <Button asChild variant="secondary" className="series-new">
        <Link href={newHref}>
          <Icon name="calendar" />
          {t('series.newOne')}
        </Link>
      </Button>
      {notice && (
        <Alert data-color="success" role="status" tabIndex={-1} ref={focusOnMount}>
          {notice}
        </Alert>
      )}
      {changed && <Outcome result={changed.result} failures={changed.failures} />}
      {lists.pending && <Loading />}
      {lists.error && <ProblemAlert error={lists.error} />}
      {!lists.pending && active.length === 0 && <Paragraph>{t('series.none')}</Paragraph>}
      <ul className="plain-list stack-sm">
        {active.map((s) => {
          const name = serviceName(index.services.get(s.service_id));
          const pattern = patternWords(t, s.weekdays, s.local_time, s.every_weeks);
          return (
            <li key={s.id}>
              <Card data-color="neutral" className="booking-card series-card" data-series={s.id}>
                <Heading level={2} data-size="xs">
                  {pattern}
                </Heading>
                <Paragraph>
                  {name}, {durationWords(s.minutes)}, {periodWords(t, s.valid_from, s.valid_until)}
                </Paragraph>
                {people.some((p) => !p.self) && <Tag data-color="info">{names.get(s.recipient_id)}</Tag>}
                {s.failures.length > 0 && (
                  <section className="stack-sm" aria-label={`${t('series.coming')}: ${pattern}`}>
                    <Heading level={3} data-size="2xs">
                      {t('series.coming')}
                    </Heading>
                    <Failures failures={s.failures} recipient={s.recipient_id} service={s.service_id} minutes={s.minutes} />
                  </section>
                )}
                {editing === s.id ? (
                  <ChangeForm
                    series={s}
                    onDone={(result) => {
                      navigate('/timer/faste-avtaler', { replace: true });
                      if (!result) return;
                      setNotice(t('series.changed'));
                      void failuresOf(s.recipient_id, s.id)
                        .catch(() => [])
                        .then((failures) => setChanged({ result, failures }));
                      void refresh();
                    }}
                  />
                ) : (
                  <div className="button-row">
                    <Button
                      variant="secondary"
                      onClick={() => {
                        setNotice(null);
                        setChanged(null);
                        navigate(`/timer/faste-avtaler?endre=${s.id}`);
                      }}
                      aria-label={`${t('series.change')}: ${name}, ${pattern}`}
                    >
                      <Icon name="move" />
                      {t('series.change')}
                    </Button>
                    <Button variant="secondary" data-color="danger" onClick={() => setEnding(s)} aria-label={`${t('series.end')}: ${name}, ${pattern}`}>
                      <Icon name="cross" />
                      {t('series.end')}
                    </Button>
                  </div>
                )}
              </Card>
            </li>
          );
        })}
      </ul>
      {ending && (
        <EndDialog
          series={ending}
          name={serviceName(index.services.get(ending.service_id))}
          onClose={(ended) => {
            setEnding(null);
            if (!ended) return;
            setChanged(null);
            setNotice(t('series.ended'));
            void refresh();
          }}
        />
      )}
    </div>
  );
}

export default SeriesList;
