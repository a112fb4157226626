// The department's decisions (vedtak) with this period's use, and an import of the case system's file (CSV or
// JSON), posted one decision at a time: the API is idempotent on the case reference, so importing again is safe.
import { ScrollRegion } from '../components/ScrollRegion';
import { Alert, Heading, Label, Paragraph, Table, Tag, Button } from '@digdir/designsystemet-react';
import { useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiProblem, api, call, problemText, type Schemas } from '../api/client';
import { HoursBar } from '../components/HoursBar';
import { Icon } from '../components/Icon';
import { Loading, ProblemAlert } from '../components/Problem';
import { readImport, type ImportRow } from '../importRows';
import { localText } from '../texts';
import { durationWords, formatDate } from '../time';

type Outcome = { line: number; state: 'created' | 'existed' | 'refused'; text: string };

function useNames(ids: string[]) {
  return useQueries({
    queries: ids.map((id) => ({
      queryKey: ['person', id],
      staleTime: 10 * 60_000,
      queryFn: () => call(api.GET('/api/v1/persons/{person_id}', { params: { path: { person_id: id } } })),
    })),
    combine: (results) => new Map(results.flatMap((r) => (r.data ? [[r.data.id, `${r.data.given_name} ${r.data.family_name}`] as const] : []))),
  });
}

function Import({ departmentId }: { departmentId: string }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const input = useRef<HTMLInputElement>(null);
  const id = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [outcomes, setOutcomes] = useState<Outcome[]>([]);
  const [chosen, setChosen] = useState<string | null>(null);

  const post = async (row: ImportRow): Promise<Outcome> => {
    if (row.missing.length > 0) return { line: row.line, state: 'refused', text: t('allocations.missing', { fields: row.missing.join(', ') }) };
    const { response, error: problem } = await api.POST('/api/v1/allocations', { body: row.values as unknown as Schemas['AllocationCreate'] });
    if (response.status === 201) return { line: row.line, state: 'created', text: t('allocations.created') };
    if (response.ok) return { line: row.line, state: 'existed', text: t('allocations.existed') };
    const body = (problem ?? {}) as { type?: string; title?: string; errors?: { field: string }[] };
    const code = body.type?.replace('urn:tjenesteshop:problem:', '') ?? 'unknown';
    const fields = (body.errors ?? []).map((e) => e.field).join(', ');
    const text = problemText(new ApiProblem(response.status, code, body.title ?? ''));
    return { line: row.line, state: 'refused', text: fields ? `${text} (${fields})` : text };
  };

  const run = async () => {
    const file = input.current?.files?.[0];
    setError(null);
    setOutcomes([]);
    if (!file) {
      setError(t('allocations.chooseFile'));
      return;
    }
    let rows: ImportRow[];
    try {
      rows = readImport(file.name, await file.text());
    } catch {
      setError(t('allocations.unreadable'));
      return;
    }
    setBusy(true);
    const done: Outcome[] = [];
    try {
      for (const row of rows) {
        try {
          done.push(await post(row));
        } catch (problem) {
          done.push({ line: row.line, state: 'refused', text: problemText(problem) });
        }
      }
    } finally {
      setOutcomes(done);
      setBusy(false);
      await client.invalidateQueries({ queryKey: ['allocations-department', departmentId] });
    }
  };

  const count = (state: Outcome['state']) => outcomes.filter((o) => o.state === state).length;
  return (
    <section className="stack-sm import" aria-labelledby="import-title">
      <Heading level={3} data-size="xs" id="import-title">
        {t('allocations.importTitle')}
      </Heading>
      <Paragraph>{t('allocations.importIntro')}</Paragraph>
      <Paragraph data-size="sm" className="muted" id={`${id}-columns`}>
        {t('allocations.columns')}
      </Paragraph>
      <div className="form-row">
        <div className="file-field">
          <Label htmlFor={`${id}-file`}>{t('allocations.file')}</Label>
          <div className="file-row">
            {/* The real input stays focusable but hidden: the browser's own button speaks the browser's language. */}
            <input
              id={`${id}-file`}
              ref={input}
              type="file"
              accept=".csv,.json,text/csv,application/json"
              aria-describedby={`${id}-columns ${id}-chosen`}
              className="file-input"
              onChange={(e) => setChosen(e.target.files?.[0]?.name ?? null)}
            />
            <label htmlFor={`${id}-file`} className="ds-button file-button" data-variant="secondary" aria-hidden="true">
              <Icon name="list" />
              {t('allocations.pickFile')}
            </label>
            <span id={`${id}-chosen`} className={chosen ? 'file-name' : 'file-name muted'}>
              {chosen ?? t('allocations.noFile')}
            </span>
          </div>
        </div>
        <Button onClick={() => void run()} loading={busy} disabled={busy}>
          <Icon name="arrow" />
          {t('allocations.import')}
        </Button>
      </div>
      {error && (
        <Alert data-color="danger" role="alert">
          {error}
        </Alert>
      )}
      <div role="status" className="import-result">
        {outcomes.length > 0 && (
          <Alert data-color={count('refused') > 0 ? 'warning' : 'success'}>
            <Paragraph>{t('allocations.summary', { created: count('created'), existed: count('existed'), refused: count('refused') })}</Paragraph>
            <ul className="plain-list stack-sm import-lines">
              {outcomes.map((o) => (
                <li key={o.line}>
                  <Tag data-color={o.state === 'refused' ? 'danger' : o.state === 'created' ? 'success' : 'neutral'}>{t('allocations.line', { line: o.line })}</Tag> {o.text}
                </li>
              ))}
            </ul>
          </Alert>
        )}
      </div>
    </section>
  );
}

export function Allocations({ departmentId }: { departmentId: string }) {
  const { t } = useTranslation();
  const list = useQuery({
    queryKey: ['allocations-department', departmentId],
    queryFn: () => call(api.GET('/api/v1/allocations', { params: { query: { department_id: departmentId } } })),
  });
  const services = useQuery({
    queryKey: ['services-all', departmentId],
    queryFn: () => call(api.GET('/api/v1/departments/{department_id}/services/all', { params: { path: { department_id: departmentId } } })),
  });
  const names = useNames([...new Set((list.data ?? []).map((a) => a.recipient_id))]);
  const serviceName = new Map((services.data ?? []).map((s) => [s.id, localText(s.names)]));
  return (
    <section className="stack" aria-labelledby="allocations-title">
      <Heading level={2} data-size="sm" id="allocations-title">
        {t('allocations.title')}
      </Heading>
      {list.isPending && <Loading />}
      {list.error && <ProblemAlert error={list.error} onRetry={() => void list.refetch()} />}
      {list.data && list.data.length === 0 && <Paragraph>{t('allocations.none')}</Paragraph>}
      {list.data && list.data.length > 0 && (
        <ScrollRegion label={t('allocations.title')}>
          <Table border className="allocations-table">
            <Table.Head>
              <Table.Row>
                <Table.HeaderCell>{t('allocations.recipient')}</Table.HeaderCell>
                <Table.HeaderCell>{t('book.summaryService')}</Table.HeaderCell>
                <Table.HeaderCell>{t('allocations.granted')}</Table.HeaderCell>
                <Table.HeaderCell>{t('allocations.used')}</Table.HeaderCell>
                <Table.HeaderCell>{t('allocations.valid')}</Table.HeaderCell>
                <Table.HeaderCell>{t('allocations.reference')}</Table.HeaderCell>
              </Table.Row>
            </Table.Head>
            <Table.Body>
              {list.data.map((a) => (
                <Table.Row key={a.id}>
                  <Table.Cell>{names.get(a.recipient_id) ?? '…'}</Table.Cell>
                  <Table.Cell>
                    {serviceName.get(a.service_id) ?? ''}
                    {a.kind === 'trial' && (
                      <>
                        <br />
                        <Tag data-color="info">{a.evaluation_date ? t('allocations.trialUntil', { date: formatDate(a.evaluation_date) }) : t('allocations.trial')}</Tag>
                      </>
                    )}
                  </Table.Cell>
                  <Table.Cell>{t('allocations.per', { amount: durationWords(a.minutes), period: t(`allocations.period.${a.period}`, { defaultValue: a.period }) })}</Table.Cell>
                  <Table.Cell>
                    {a.used_minutes === null ? (
                      '–'
                    ) : (
                      <div className="capacity-cell">
                        <span>{t('allocations.usedOf', { used: durationWords(a.used_minutes), granted: durationWords(a.minutes) })}</span>
                        <HoursBar used={a.used_minutes} granted={a.minutes} />
                      </div>
                    )}
                  </Table.Cell>
                  <Table.Cell>{a.valid_to ? `${formatDate(a.valid_from)} – ${formatDate(a.valid_to)}` : t('allocations.from', { date: formatDate(a.valid_from) })}</Table.Cell>
                  <Table.Cell>{a.external_ref ?? '–'}</Table.Cell>
                </Table.Row>
              ))}
            </Table.Body>
          </Table>
        </ScrollRegion>
      )}
      <Import departmentId={departmentId} />
    </section>
  );
}
