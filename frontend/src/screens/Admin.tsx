// The department administrator's desk: weekly opening hours, exceptions, services, 14-day staffing, decisions.
import { Alert, Button, Dialog, Fieldset, Heading, Input, Paragraph, Select, Table, Tabs, Tag, Textfield } from '@digdir/designsystemet-react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiProblem, api, call, type RuleWrite, type Schemas, type Visit } from '../api/client';
import { useDepartment } from '../api/queries';
import { focusOnMount } from '../focus';
import { HoursBar } from '../components/HoursBar';
import { ScrollRegion } from '../components/ScrollRegion';
import { Icon } from '../components/Icon';
import { Loading, ProblemAlert } from '../components/Problem';
import { InsightNav, useDepartmentChoice } from './InsightNav';
import { Allocations } from './Allocations';
import { localText } from '../texts';
import { addDays, formatDay, formatTime, formatWhen, localDate } from '../time';

interface ConflictBooking {
  id: string;
  starts_at: string;
  ends_at: string;
}

function useWeekdays(): string[] {
  const { t } = useTranslation();
  return t('weekday', { returnObjects: true }) as unknown as string[];
}

function Conflicts({ departmentId, bookings, onResolved }: { departmentId: string; bookings: ConflictBooking[]; onResolved: () => void }) {
  const { t } = useTranslation();
  const dates = [...new Set(bookings.map((b) => localDate(b.starts_at)))];
  const rosters = useQuery({
    queryKey: ['conflict-rosters', departmentId, dates.join(',')],
    queryFn: async () => {
      const lists = await Promise.all(dates.map((date) => call(api.GET('/api/v1/departments/{department_id}/roster', { params: { path: { department_id: departmentId }, query: { date } } }))));
      return new Map(lists.flat().map((v) => [v.booking_id, v] as [string, Visit]));
    },
  });
  const [error, setError] = useState<unknown>(null);
  const [gone, setGone] = useState<Set<string>>(new Set());
  const cancel = async (id: string) => {
    try {
      await call(api.POST('/api/v1/bookings/{booking_id}/cancel', { params: { path: { booking_id: id } } }));
      setGone((g) => new Set(g).add(id));
      onResolved();
    } catch (problem) {
      setError(problem);
    }
  };
  return (
    <Alert data-color="warning" className="conflicts">
      <Heading level={3} data-size="xs" tabIndex={-1} ref={focusOnMount}>
        {t('admin.conflictTitle')}
      </Heading>
      <Paragraph>{t('admin.conflictIntro')}</Paragraph>
      {error !== null && <ProblemAlert error={error} />}
      <ul className="plain-list stack-sm">
        {bookings.map((b) => {
          const visit = rosters.data?.get(b.id);
          return (
            <li key={b.id} className="conflict-line">
              <span>
                <strong>{formatWhen(b.starts_at)}</strong>–{formatTime(b.ends_at)}
                {visit && (
                  <>
                    : {visit.recipient_name}, {visit.service_name}
                  </>
                )}
              </span>
              {gone.has(b.id) ? (
                <Tag data-color="neutral">{t('bookings.status.cancelled')}</Tag>
              ) : (
                <Button
                  variant="secondary"
                  data-size="sm"
                  data-color="danger"
                  onClick={() => void cancel(b.id)}
                  aria-label={`${t('bookings.cancel')}: ${formatWhen(b.starts_at)}${visit ? `, ${visit.recipient_name}` : ''}`}
                >
                  {t('bookings.cancel')}
                </Button>
              )}
            </li>
          );
        })}
      </ul>
    </Alert>
  );
}

/** Times on the department's grid, always as 24-hour "HH:MM" (a time input follows the browser's locale: AM/PM). */
function gridTimes(grid: number, current: string, withMidnight: boolean): string[] {
  const times: string[] = [];
  for (let m = 0; m < 24 * 60; m += grid) times.push(`${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`);
  if (withMidnight) times.push('24:00');
  if (current && !times.includes(current)) times.push(current);
  return times.sort();
}

function TimeSelect({ label, value, grid, end, onChange }: { label: string; value: string; grid: number; end?: boolean; onChange: (value: string) => void }) {
  return (
    <Select aria-label={label} value={value} onChange={(e) => onChange(e.target.value)} className="time-select">
      {gridTimes(grid, value, !!end)
        .filter((time) => (end ? time !== '00:00' : time !== '24:00'))
        .map((time) => (
          <Select.Option key={time} value={time}>
            {time}
          </Select.Option>
        ))}
    </Select>
  );
}

type RuleRead = Schemas['OpeningRuleRead'];

/** The form's rows from the stored hours: by weekday, then start. */
function rowsOf(rules: RuleRead[]): RuleWrite[] {
  return rules.map((r) => ({ weekday: r.weekday, start: r.start, end: r.end, staff: r.staff })).sort((a, b) => a.weekday - b.weekday || a.start.localeCompare(b.start));
}

function OpeningHours({ departmentId }: { departmentId: string }) {
  const { t } = useTranslation();
  const weekdays = useWeekdays();
  const client = useQueryClient();
  const rules = useQuery({
    queryKey: ['opening-hours', departmentId],
    queryFn: () => call(api.GET('/api/v1/departments/{department_id}/opening-hours', { params: { path: { department_id: departmentId } } })),
  });
  const [rows, setRows] = useState<RuleWrite[]>([]);
  // Edits not saved yet: the hours the server sends meanwhile (a refetch when the window regains focus, or the one
  // after a save) do not overwrite them.
  const [dirty, setDirty] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [conflicts, setConflicts] = useState<ConflictBooking[]>([]);
  const [saved, setSaved] = useState(false);
  const grid = useDepartment(departmentId).data?.grid_minutes ?? 15;
  useEffect(() => {
    if (rules.data && !dirty) setRows(rowsOf(rules.data));
  }, [rules.data, dirty]);
  if (rules.isPending) return <Loading />;
  if (rules.error) return <ProblemAlert error={rules.error} />;

  const edit = (next: (all: RuleWrite[]) => RuleWrite[]) => {
    setSaved(false);
    setDirty(true);
    setRows(next);
  };
  const change = (i: number, patch: Partial<RuleWrite>) => edit((all) => all.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const save = async () => {
    setError(null);
    setConflicts([]);
    setSaved(false);
    try {
      const stored = await call(api.PUT('/api/v1/departments/{department_id}/opening-hours', { params: { path: { department_id: departmentId } }, body: rows }));
      // The answer is the hours as stored: shown at once, and no refetch that could land on later edits.
      client.setQueryData(['opening-hours', departmentId], stored);
      setRows(rowsOf(stored));
      setDirty(false);
      setSaved(true);
      await client.invalidateQueries({ queryKey: ['capacity', departmentId] });
    } catch (problem) {
      setError(problem);
      if (problem instanceof ApiProblem && problem.code === 'capacity_conflict') setConflicts((problem.body.bookings as ConflictBooking[] | undefined) ?? []);
    }
  };

  return (
    <section className="stack" aria-labelledby="hours-title">
      <Heading level={2} data-size="sm" id="hours-title">
        {t('admin.hours')}
      </Heading>
      <Paragraph>{t('admin.hoursIntro')}</Paragraph>
      <Table className="hours-table" border>
        <Table.Head>
          <Table.Row>
            <Table.HeaderCell>{t('admin.weekday')}</Table.HeaderCell>
            <Table.HeaderCell>{t('admin.from')}</Table.HeaderCell>
            <Table.HeaderCell>{t('admin.to')}</Table.HeaderCell>
            <Table.HeaderCell>{t('admin.staffCount')}</Table.HeaderCell>
            <Table.HeaderCell>
              <span className="visually-hidden">{t('admin.removeRow')}</span>
            </Table.HeaderCell>
          </Table.Row>
        </Table.Head>
        <Table.Body>
          {rows.map((row, i) => {
            const day = weekdays[row.weekday] ?? '';
            return (
              <Table.Row key={i}>
                <Table.Cell data-label={t('admin.weekday')}>
                  <Select aria-label={`${t('admin.weekday')} ${i + 1}`} value={String(row.weekday)} onChange={(e) => change(i, { weekday: Number(e.target.value) })}>
                    {weekdays.map((name, d) => (
                      <Select.Option key={d} value={String(d)}>
                        {name}
                      </Select.Option>
                    ))}
                  </Select>
                </Table.Cell>
                <Table.Cell data-label={t('admin.from')}>
                  <TimeSelect label={`${t('admin.from')}, ${day} ${i + 1}`} value={row.start} grid={grid} onChange={(start) => change(i, { start })} />
                </Table.Cell>
                <Table.Cell data-label={t('admin.to')}>
                  <TimeSelect label={`${t('admin.to')}, ${day} ${i + 1}`} value={row.end} grid={grid} end onChange={(end) => change(i, { end })} />
                </Table.Cell>
                <Table.Cell data-label={t('admin.staffCount')}>
                  <Input type="number" min={1} max={50} aria-label={`${t('admin.staffCount')}, ${day} ${row.start}`} value={row.staff} onChange={(e) => change(i, { staff: Number(e.target.value) })} className="staff-input" />
                </Table.Cell>
                <Table.Cell className="remove-cell">
                  <Button variant="tertiary" data-size="sm" onClick={() => edit((all) => all.filter((_, j) => j !== i))} aria-label={t('admin.removeRowLabel', { day, from: row.start, to: row.end })}>
                    <Icon name="cross" />
                    {t('admin.removeRow')}
                  </Button>
                </Table.Cell>
              </Table.Row>
            );
          })}
        </Table.Body>
      </Table>
      <div className="button-row">
        <Button variant="secondary" onClick={() => edit((all) => [...all, { weekday: 0, start: '08:00', end: '16:00', staff: 1 }])}>
          {t('admin.addRow')}
        </Button>
        <Button onClick={() => void save()}>
          <Icon name="check" />
          {t('admin.save')}
        </Button>
      </div>
      {saved && (
        <Alert data-color="success" role="status">
          {t('admin.saved')}
        </Alert>
      )}
      {error !== null && <ProblemAlert error={error} />}
      {conflicts.length > 0 && <Conflicts departmentId={departmentId} bookings={conflicts} onResolved={() => void client.invalidateQueries({ queryKey: ['capacity', departmentId] })} />}
    </section>
  );
}

function Exceptions({ departmentId }: { departmentId: string }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const list = useQuery({
    queryKey: ['exceptions', departmentId],
    queryFn: () => call(api.GET('/api/v1/departments/{department_id}/exceptions', { params: { path: { department_id: departmentId } } })),
  });
  const [day, setDay] = useState(addDays(localDate(new Date()), 7));
  const [note, setNote] = useState('');
  const [error, setError] = useState<unknown>(null);
  const refresh = () => client.invalidateQueries({ queryKey: ['exceptions', departmentId] });
  const add = async () => {
    setError(null);
    try {
      await call(api.POST('/api/v1/departments/{department_id}/exceptions', { params: { path: { department_id: departmentId } }, body: { day, closed: true, note: note || null } }));
      setNote('');
      await refresh();
    } catch (problem) {
      setError(problem);
    }
  };
  const remove = async (id: string) => {
    setError(null);
    try {
      await call(api.DELETE('/api/v1/departments/{department_id}/exceptions/{exception_id}', { params: { path: { department_id: departmentId, exception_id: id } } }));
      await refresh();
    } catch (problem) {
      setError(problem);
    }
  };
  return (
    <section className="stack" aria-labelledby="exceptions-title">
      <Heading level={2} data-size="sm" id="exceptions-title">
        {t('admin.exceptions')}
      </Heading>
      {list.isPending && <Loading />}
      {list.data?.length === 0 && <Paragraph>{t('admin.noExceptions')}</Paragraph>}
      <ul className="plain-list stack-sm">
        {list.data?.map((x) => (
          <li key={x.id} className="conflict-line">
            <span>
              <strong>{formatDay(x.day)}</strong>: {x.closed ? t('book.closed') : x.windows.map((w) => `${w.start}–${w.end}`).join(', ')}
              {x.note && <> ({x.note})</>}
            </span>
            <Button variant="tertiary" data-size="sm" onClick={() => void remove(x.id)} aria-label={`${t('admin.remove')}: ${formatDay(x.day)}`}>
              {t('admin.remove')}
            </Button>
          </li>
        ))}
      </ul>
      <div className="form-row">
        <Textfield label={t('admin.exceptionDay')} type="date" value={day} onChange={(e) => setDay(e.target.value)} />
        <Textfield label={t('admin.exceptionNote')} value={note} onChange={(e) => setNote(e.target.value)} />
        <Button onClick={() => void add()}>{t('admin.closeDay')}</Button>
      </div>
      {error !== null && <ProblemAlert error={error} />}
      <Holidays departmentId={departmentId} />
    </section>
  );
}

function Holidays({ departmentId }: { departmentId: string }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const list = useQuery({
    queryKey: ['holidays', departmentId],
    queryFn: () => call(api.GET('/api/v1/departments/{department_id}/holiday-openings', { params: { path: { department_id: departmentId } } })),
  });
  const [error, setError] = useState<unknown>(null);
  const change = async (day: string, openingId: string | null | undefined) => {
    setError(null);
    try {
      if (openingId) {
        await call(api.DELETE('/api/v1/departments/{department_id}/holiday-openings/{opening_id}', { params: { path: { department_id: departmentId, opening_id: openingId } } }));
      } else {
        await call(api.POST('/api/v1/departments/{department_id}/holiday-openings', { params: { path: { department_id: departmentId } }, body: { day } }));
      }
      await client.invalidateQueries({ queryKey: ['holidays', departmentId] });
      await client.invalidateQueries({ queryKey: ['capacity', departmentId] });
    } catch (problem) {
      setError(problem);
    }
  };
  if (list.isPending) return <Loading />;
  if (list.error) return <ProblemAlert error={list.error} />;
  return (
    <section className="stack-sm" aria-labelledby="holidays-title">
      <Heading level={3} data-size="xs" id="holidays-title">
        {t('admin.holidays')}
      </Heading>
      <Paragraph>{t('admin.holidaysIntro')}</Paragraph>
      {error !== null && <ProblemAlert error={error} />}
      <ul className="plain-list stack-sm">
        {list.data.map((h) => (
          <li key={h.day} className="conflict-line">
            <span>
              <strong>{formatDay(h.day)}</strong>: {h.name} <Tag data-color={h.open ? 'success' : 'neutral'}>{h.open ? t('admin.holidayOpen') : t('book.closed')}</Tag>
            </span>
            <Button variant="tertiary" data-size="sm" onClick={() => void change(h.day, h.opening_id)} aria-label={`${h.open ? t('admin.holidayClose') : t('admin.holidayKeepOpen')}: ${h.name}`}>
              {h.open ? t('admin.holidayClose') : t('admin.holidayKeepOpen')}
            </Button>
          </li>
        ))}
      </ul>
    </section>
  );
}

type ServiceRow = Schemas['ServiceRead'];
const TEXT_LANGUAGES = ['nb', 'nn', 'en'] as const;
type Texts = Record<(typeof TEXT_LANGUAGES)[number], string>;

/** A service's name and plain-language description in bokmål (required), nynorsk and English (each falls back). */
function ServiceTextsDialog({ departmentId, service, onClose }: { departmentId: string; service: ServiceRow; onClose: (saved: boolean) => void }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const filled = (texts: Record<string, string>): Texts => ({ nb: texts.nb ?? '', nn: texts.nn ?? '', en: texts.en ?? '' });
  const [names, setNames] = useState<Texts>(filled(service.names));
  const [descriptions, setDescriptions] = useState<Texts>(filled(service.descriptions));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // The fields the API named as missing (`name.nb`, `description.nb`): marked beside the field itself.
  const missing = new Set(error instanceof ApiProblem && Array.isArray(error.body.fields) ? (error.body.fields as string[]) : []);
  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      await call(
        api.PATCH('/api/v1/departments/{department_id}/services/{service_id}', {
          params: { path: { department_id: departmentId, service_id: service.id } },
          body: { name: names, description: descriptions },
        }),
      );
      await client.invalidateQueries({ queryKey: ['services-all', departmentId] });
      await client.invalidateQueries({ queryKey: ['services'] });
      onClose(true);
    } catch (problem) {
      setError(problem);
    } finally {
      setBusy(false);
    }
  };
  const label = (language: string) => `${t(`admin.textLanguage.${language}`)}${language === 'nb' ? '' : ` ${t('admin.textOptional')}`}`;
  return (
    <Dialog open modal onClose={() => onClose(false)} closeButton={t('app.close')} aria-labelledby="service-texts-title" className="service-texts-dialog">
      <Dialog.Block>
        <Heading level={2} data-size="sm" id="service-texts-title">
          {t('admin.editTextsTitle', { name: localText(service.names) })}
        </Heading>
      </Dialog.Block>
      <Dialog.Block>
        <form
          className="stack"
          onSubmit={(event) => {
            event.preventDefault();
            void save();
          }}
        >
          <Paragraph data-size="sm">{t('admin.textsHelp')}</Paragraph>
          {error !== null && <ProblemAlert error={error} />}
          <Fieldset>
            <Fieldset.Legend>{t('admin.serviceName')}</Fieldset.Legend>
            {TEXT_LANGUAGES.map((language) => (
              <Textfield
                key={language}
                label={label(language)}
                lang={language}
                value={names[language]}
                maxLength={200}
                error={language === 'nb' && missing.has('name.nb') ? t('admin.textRequired') : undefined}
                onChange={(e) => setNames((n) => ({ ...n, [language]: e.target.value }))}
              />
            ))}
          </Fieldset>
          <Fieldset>
            <Fieldset.Legend>{t('admin.serviceDescription')}</Fieldset.Legend>
            {TEXT_LANGUAGES.map((language) => (
              <Textfield
                key={language}
                multiline
                rows={3}
                label={label(language)}
                lang={language}
                value={descriptions[language]}
                maxLength={4000}
                error={language === 'nb' && missing.has('description.nb') ? t('admin.textRequired') : undefined}
                onChange={(e) => setDescriptions((d) => ({ ...d, [language]: e.target.value }))}
              />
            ))}
          </Fieldset>
          <div className="button-row">
            <Button type="submit" loading={busy} disabled={busy}>
              {t('admin.saveTexts')}
            </Button>
            <Button type="button" variant="secondary" onClick={() => onClose(false)}>
              {t('admin.cancelEdit')}
            </Button>
          </div>
        </form>
      </Dialog.Block>
    </Dialog>
  );
}

function Services({ departmentId }: { departmentId: string }) {
  const { t } = useTranslation();
  const list = useQuery({
    queryKey: ['services-all', departmentId],
    queryFn: () => call(api.GET('/api/v1/departments/{department_id}/services/all', { params: { path: { department_id: departmentId } } })),
  });
  const client = useQueryClient();
  const [error, setError] = useState<unknown>(null);
  const [editing, setEditing] = useState<ServiceRow | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const toggle = async (id: string, active: boolean) => {
    setError(null);
    try {
      await call(api.PATCH('/api/v1/departments/{department_id}/services/{service_id}', { params: { path: { department_id: departmentId, service_id: id } }, body: { active } }));
      await client.invalidateQueries({ queryKey: ['services-all', departmentId] });
      await client.invalidateQueries({ queryKey: ['services'] });
    } catch (problem) {
      setError(problem);
    }
  };
  if (list.isPending) return <Loading />;
  if (list.error) return <ProblemAlert error={list.error} />;
  return (
    <section className="stack" aria-labelledby="services-title">
      {error !== null && <ProblemAlert error={error} />}
      <Heading level={2} data-size="sm" id="services-title">
        {t('admin.services')}
      </Heading>
      <Paragraph data-size="sm">{t('admin.servicesIntro')}</Paragraph>
      {notice && (
        <Alert data-color="success" role="status">
          {notice}
        </Alert>
      )}
      <ScrollRegion label={t('admin.services')}>
        <Table border className="services-table">
          <Table.Head>
            <Table.Row>
              <Table.HeaderCell>{t('book.summaryService')}</Table.HeaderCell>
              <Table.HeaderCell>{t('admin.durations')}</Table.HeaderCell>
              <Table.HeaderCell>{t('admin.staffUnits')}</Table.HeaderCell>
              <Table.HeaderCell>{t('staff.homeVisit')}</Table.HeaderCell>
              <Table.HeaderCell>{t('admin.status')}</Table.HeaderCell>
            </Table.Row>
          </Table.Head>
          <Table.Body>
            {list.data.map((s) => (
              <Table.Row key={s.id}>
                <Table.Cell>
                  <strong>{localText(s.names)}</strong>
                  <br />
                  <span className="muted">{localText(s.descriptions)}</span>
                  <br />
                  <Button variant="tertiary" data-size="sm" className="edit-texts" onClick={() => setEditing(s)} aria-label={`${t('admin.editTexts')}: ${localText(s.names)}`}>
                    <Icon name="edit" />
                    {t('admin.editTexts')}
                  </Button>
                </Table.Cell>
                <Table.Cell>{s.durations.map((m) => t('admin.minutes', { count: m })).join(', ')}</Table.Cell>
                <Table.Cell>{s.staff_units}</Table.Cell>
                <Table.Cell>{s.home_visit ? t('admin.yes') : t('admin.no')}</Table.Cell>
                <Table.Cell>
                  <div className="service-status">
                    <Tag data-color={s.active ? 'success' : 'neutral'}>{s.active ? t('admin.active') : t('admin.retired')}</Tag>
                    <Button variant="tertiary" data-size="sm" onClick={() => void toggle(s.id, !s.active)} aria-label={`${s.active ? t('admin.retire') : t('admin.activate')}: ${localText(s.names)}`}>
                      {s.active ? t('admin.retire') : t('admin.activate')}
                    </Button>
                  </div>
                </Table.Cell>
              </Table.Row>
            ))}
          </Table.Body>
        </Table>
      </ScrollRegion>
      {editing && (
        <ServiceTextsDialog
          departmentId={departmentId}
          service={editing}
          onClose={(saved) => {
            setEditing(null);
            setNotice(saved ? t('admin.textsSaved') : null);
          }}
        />
      )}
    </section>
  );
}

function Capacity({ departmentId }: { departmentId: string }) {
  const { t } = useTranslation();
  const today = localDate(new Date());
  const to = addDays(today, 13);
  const capacity = useQuery({
    queryKey: ['capacity', departmentId],
    queryFn: () => call(api.GET('/api/v1/departments/{department_id}/capacity', { params: { path: { department_id: departmentId }, query: { from: today, to } } })),
  });
  if (capacity.isPending) return <Loading />;
  if (capacity.error) return <ProblemAlert error={capacity.error} />;
  const grid = capacity.data.grid_minutes;
  const days = new Map<string, { capacity: number; used: number; first: string; last: string }>();
  for (const cell of capacity.data.cells) {
    const d = days.get(cell.local_date) ?? { capacity: 0, used: 0, first: cell.start, last: cell.end };
    d.capacity += cell.capacity * grid;
    d.used += cell.used * grid;
    if (cell.start < d.first) d.first = cell.start;
    if (cell.end > d.last) d.last = cell.end;
    days.set(cell.local_date, d);
  }
  const hours = (m: number) => (m / 60).toLocaleString(undefined, { maximumFractionDigits: 1 });
  return (
    <section className="stack" aria-labelledby="capacity-title">
      <Heading level={2} data-size="sm" id="capacity-title">
        {t('admin.capacity')}
      </Heading>
      <ScrollRegion label={t('admin.capacity')}>
          <Table border>
          <Table.Head>
            <Table.Row>
              <Table.HeaderCell>{t('admin.exceptionDay')}</Table.HeaderCell>
              <Table.HeaderCell>{t('admin.hours')}</Table.HeaderCell>
              <Table.HeaderCell>{t('admin.staffCount')}</Table.HeaderCell>
            </Table.Row>
          </Table.Head>
          <Table.Body>
            {Array.from({ length: 14 }, (_, i) => addDays(today, i)).map((date) => {
              const d = days.get(date);
              return (
                <Table.Row key={date}>
                  <Table.Cell>{formatDay(date)}</Table.Cell>
                  <Table.Cell>{d && d.capacity > 0 ? `${formatTime(d.first)}–${formatTime(d.last)}` : t('book.closed')}</Table.Cell>
                  <Table.Cell>
                    {d && d.capacity > 0 ? (
                      <div className="capacity-cell">
                        <span>{t('admin.capacityUsed', { used: hours(d.used), capacity: hours(d.capacity) })}</span>
                        <HoursBar used={d.used} granted={d.capacity} />
                      </div>
                    ) : (
                      '–'
                    )}
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

export default function Admin() {
  const { t } = useTranslation();
  const { departmentId, name, picker } = useDepartmentChoice();
  return (
    <div className="stack">
      <InsightNav />
      <Heading level={1} data-size="lg">
        {name ?? t('admin.title')}
      </Heading>
      {picker}
      {departmentId && (
        <Tabs defaultValue="hours" key={departmentId}>
          <Tabs.List>
            <Tabs.Tab value="hours">{t('admin.hours')}</Tabs.Tab>
            <Tabs.Tab value="exceptions">{t('admin.exceptions')}</Tabs.Tab>
            <Tabs.Tab value="services">{t('admin.services')}</Tabs.Tab>
            <Tabs.Tab value="capacity">{t('admin.capacity')}</Tabs.Tab>
            <Tabs.Tab value="allocations">{t('allocations.title')}</Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="hours">
            <OpeningHours departmentId={departmentId} />
          </Tabs.Panel>
          <Tabs.Panel value="exceptions">
            <Exceptions departmentId={departmentId} />
          </Tabs.Panel>
          <Tabs.Panel value="services">
            <Services departmentId={departmentId} />
          </Tabs.Panel>
          <Tabs.Panel value="capacity">
            <Capacity departmentId={departmentId} />
          </Tabs.Panel>
          <Tabs.Panel value="allocations">
            <Allocations departmentId={departmentId} />
          </Tabs.Panel>
        </Tabs>
      )}
    </div>
  );
}
