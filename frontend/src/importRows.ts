// Decisions to import, from the case system's CSV (comma, semicolon or tab; quoted fields) or JSON (a list of
// objects). Each row keeps its line number; the API is the judge of the values, this only reads the file.

/** One decision as read: the API's field names; numbers where the column is numeric. */
export interface ImportRow {
  line: number;
  values: Record<string, string | number>;
  missing: string[];
}

export const REQUIRED = ['recipient_id', 'service_id', 'minutes', 'period', 'valid_from'] as const;
const NUMERIC = new Set(['minutes']);

/** Split CSV text into records, honouring quotes ("a;b", doubled "" inside) and CRLF. */
export function parseCsv(text: string): string[][] {
  const body = text.replace(/^\uFEFF/, '');
  const firstLine = body.split(/\r?\n/, 1)[0] ?? '';
  const counts = [';', ',', '\t'].map((d) => [d, firstLine.split(d).length] as const);
  const delimiter = counts.reduce((best, c) => (c[1] > best[1] ? c : best))[0];
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < body.length; i += 1) {
    const c = body[i];
    if (quoted) {
      if (c === '"' && body[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === delimiter) {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && body[i + 1] === '\n') i += 1;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records.filter((r) => r.some((f) => f.trim() !== ''));
}

function row(line: number, source: Record<string, unknown>): ImportRow {
  const values: Record<string, string | number> = {};
  for (const [rawKey, rawValue] of Object.entries(source)) {
    const key = rawKey.trim().toLowerCase();
    if (rawValue === null || rawValue === undefined) continue;
    const text = String(rawValue).trim();
    if (text === '') continue;
    values[key] = NUMERIC.has(key) && /^\d+$/.test(text) ? Number(text) : text;
  }
  return { line, values, missing: REQUIRED.filter((k) => !(k in values)) };
}

/** The rows of a file; throws Error('empty' | 'not_a_list') when there is nothing to import. */
export function readImport(name: string, text: string): ImportRow[] {
  const trimmed = text.trim();
  if (trimmed === '') throw new Error('empty');
  if (name.toLowerCase().endsWith('.json') || trimmed.startsWith('[') || trimmed.startsWith('{')) {
    const parsed: unknown = JSON.parse(trimmed);
    const list = Array.isArray(parsed) ? parsed : (parsed as { allocations?: unknown }).allocations;
    if (!Array.isArray(list)) throw new Error('not_a_list');
    return list.map((item, i) => row(i + 1, typeof item === 'object' && item !== null ? (item as Record<string, unknown>) : {}));
  }
  const [header, ...records] = parseCsv(text);
  if (!header || records.length === 0) throw new Error('empty');
  return records.map((fields, i) => row(i + 2, Object.fromEntries(header.map((h, j) => [h, fields[j] ?? '']))));
}
