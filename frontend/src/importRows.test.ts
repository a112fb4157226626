import { describe, expect, it } from 'vitest';
import { parseCsv, readImport } from './importRows';

describe('parseCsv', () => {
  it('reads semicolons (Norwegian spreadsheets), quotes, doubled quotes and CRLF', () => {
    expect(parseCsv('a;b;c\r\n1;"x; y";"he said ""hi"""\r\n')).toEqual([
      ['a', 'b', 'c'],
      ['1', 'x; y', 'he said "hi"'],
    ]);
  });

  it('reads commas and tabs, skips blank lines and a byte-order mark', () => {
    expect(parseCsv('\uFEFFa,b\n\n1,2\n')).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
    expect(parseCsv('a\tb\n1\t2')).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });
});

describe('readImport', () => {
  it('maps CSV columns to the API fields with line numbers, minutes as a number, empty cells left out', () => {
    const rows = readImport('vedtak.csv', 'recipient_id;service_id;minutes;period;valid_from;valid_to;External_Ref\nr1;s1;120;week;2026-12-01;;A-1\nr2;s1;mange;week;;;\n');
    expect(rows).toEqual([
      { line: 2, values: { recipient_id: 'r1', service_id: 's1', minutes: 120, period: 'week', valid_from: '2026-12-01', external_ref: 'A-1' }, missing: [] },
      { line: 3, values: { recipient_id: 'r2', service_id: 's1', minutes: 'mange', period: 'week' }, missing: ['valid_from'] },
    ]);
  });

  it('reads JSON as a list or as {allocations: [...]}', () => {
    const one = { recipient_id: 'r', service_id: 's', minutes: 60, period: 'month', valid_from: '2026-12-01' };
    expect(readImport('x.json', JSON.stringify([one]))[0]).toEqual({ line: 1, values: one, missing: [] });
    expect(readImport('x.txt', JSON.stringify({ allocations: [one, 'junk'] }))[1]?.missing).toHaveLength(5);
  });

  it('refuses a file with nothing to import', () => {
    expect(() => readImport('x.csv', '  ')).toThrow('empty');
    expect(() => readImport('x.csv', 'recipient_id;minutes\n')).toThrow('empty');
    expect(() => readImport('x.json', '{"a": 1}')).toThrow('not_a_list');
  });
});
