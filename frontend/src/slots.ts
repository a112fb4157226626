// Free times from the availability answer: pure functions, tested without a browser.
import type { Availability } from './api/client';

export const DAYS = 14;

function addDays(isoDate: string, days: number): string {
  const d = new Date(`${isoDate}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

export interface DayInfo {
  date: string;
  free: string[]; // starts, RFC 3339
  total: number;
}

export function freeStarts(availability: Availability | undefined, minutes: number, today: string): DayInfo[] {
  const byDate = new Map((availability?.days ?? []).map((d) => [d.date, d]));
  return Array.from({ length: DAYS }, (_, i) => {
    const date = addDays(today, i);
    const slots = byDate.get(date)?.slots ?? [];
    const withLength = slots.filter((s) => s.lengths.some((l) => l.minutes === minutes && l.status !== 'no_hours'));
    const free = slots.filter((s) => s.lengths.some((l) => l.minutes === minutes && l.status === 'free')).map((s) => s.start);
    return { date, free, total: withLength.length };
  });
}

export function nearestFree(days: DayInfo[], wanted: string, count = 3): string[] {
  const target = new Date(wanted).getTime();
  return days
    .flatMap((d) => d.free)
    .filter((s) => s !== wanted)
    .sort((a, b) => Math.abs(new Date(a).getTime() - target) - Math.abs(new Date(b).getTime() - target))
    .slice(0, count)
    .sort();
}

