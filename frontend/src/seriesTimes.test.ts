import { describe, expect, it } from 'vitest';
import { patternTimes } from './seriesTimes';

const rules = [
  { weekday: 0, start_minute: 8 * 60, end_minute: 12 * 60 },
  { weekday: 0, start_minute: 13 * 60, end_minute: 15 * 60 },
  { weekday: 2, start_minute: 10 * 60, end_minute: 16 * 60 },
  { weekday: 4, start_minute: 8 * 60, end_minute: 16 * 60, valid_to: '2026-01-01' },
];

describe('patternTimes', () => {
  it('offers grid starts where the visit fits the opening hours', () => {
    expect(patternTimes(rules, [0], 60, 60, undefined, '2026-12-01')).toEqual(['08:00', '09:00', '10:00', '11:00', '13:00', '14:00']);
  });

  it('keeps the travel before and after inside the hours', () => {
    expect(patternTimes(rules, [0], 15, 60, { buffer_before: 15, buffer_after: 15 }, '2026-12-01')).toEqual([
      '08:15', '08:30', '08:45', '09:00', '09:15', '09:30', '09:45', '10:00', '10:15', '10:30', '10:45',
      '13:15', '13:30', '13:45',
    ]);
  });

  it('offers only the times common to every weekday chosen', () => {
    expect(patternTimes(rules, [0, 2], 60, 60, undefined, '2026-12-01')).toEqual(['10:00', '11:00', '13:00', '14:00']);
  });

  it('offers nothing on a day without hours, or whose rule has ended', () => {
    expect(patternTimes(rules, [0, 6], 60, 60, undefined, '2026-12-01')).toEqual([]);
    expect(patternTimes(rules, [4], 60, 60, undefined, '2026-12-01')).toEqual([]);
    expect(patternTimes(rules, [], 60, 60, undefined, '2026-12-01')).toEqual([]);
  });
});
