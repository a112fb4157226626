// Free times from the availability answer: pure functions, tested without a browser.
import type { Availability, Schemas } from './api/client';

export const DAYS = 14;

export type Hours = Schemas['HoursRead'];
/** As the API says it, or `current`: the time of the visit being moved. */
export type TimeStatus = Schemas['LengthRead']['status'] | 'current';

/**
 * Why a day can or cannot be chosen: it has free times; the department is closed; the decision has too few minutes
 * left in that period; every time is taken; every time left is inside the notice; or there is nothing (no decision
 * that day, or every time has passed).
 */
export type DayState = 'free' | 'closed' | 'no_hours' | 'full' | 'too_soon' | 'none';

export interface TimeInfo {
  start: string; // RFC 3339
  status: TimeStatus;
}

export interface DayInfo {
  date: string;
  state: DayState;
  free: string[]; // starts, RFC 3339
  times: TimeInfo[]; // every start of the chosen length, free or not, with why not
  total: number; // free and taken: the day's room, for "almost full"
  hours?: Hours;
}

function addDays(isoDate: string, days: number): string {
  const d = new Date(`${isoDate}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

function dayState(day: Availability['days'][number] | undefined, times: TimeInfo[], minutes: number): DayState {
  if (!day) return 'none';
  if (day.closed) return 'closed';
  if (day.hours.left_minutes < minutes) return 'no_hours';
  if (times.some((t) => t.status === 'free')) return 'free';
  if (times.length > 0 && times.every((t) => t.status === 'too_soon')) return 'too_soon';
  return times.length > 0 ? 'full' : 'none';
}

/** The 14 days from today for a length; `current`: the start of a visit being moved, which is no time to move it to. */
export function freeStarts(availability: Availability | undefined, minutes: number, today: string, current?: string): DayInfo[] {
  const now = current === undefined ? NaN : new Date(current).getTime();
  const byDate = new Map((availability?.days ?? []).map((d) => [d.date, d]));
  return Array.from({ length: DAYS }, (_, i) => {
    const date = addDays(today, i);
    const day = byDate.get(date);
    const times = (day?.slots ?? []).flatMap((s) =>
      s.lengths.filter((l) => l.minutes === minutes).map((l): TimeInfo => ({ start: s.start, status: l.status === 'free' && new Date(s.start).getTime() === now ? 'current' : l.status })),
    );
    const free = times.filter((t) => t.status === 'free').map((t) => t.start);
    const total = times.filter((t) => t.status === 'free' || t.status === 'busy').length;
    return { date, state: dayState(day, times, minutes), free, times, total, hours: day?.hours };
  });
}

/** The earliest free start of all the days, if any. */
export function firstFree(days: DayInfo[]): string | undefined {
  return days.find((d) => d.free.length > 0)?.free[0];
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
