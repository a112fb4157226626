// Hours granted and used per allocation (vedtak). Not in the API's schema yet: read defensively, and when
// the endpoint is absent the home screen shows what was booked this week instead.
import { useQuery } from '@tanstack/react-query';
import { localDate, addDays, weekdayIndex } from '../time';
import type { Booking } from './client';

export interface AllocationHours {
  service_id: string;
  minutes: number; // granted per period
  period: 'week' | 'month' | 'four_weeks';
  used_minutes: number | null; // used in the current period, when the API says
}

export function useAllocations(who: string | undefined) {
  return useQuery({
    queryKey: ['allocations', who],
    enabled: !!who,
    staleTime: 30_000,
    queryFn: async (): Promise<AllocationHours[] | null> => {
      const response = await fetch(`/api/v1/allocations?recipient_id=${encodeURIComponent(who ?? '')}`, { credentials: 'same-origin' });
      if (!response.ok) return null;
      const rows = (await response.json()) as Record<string, unknown>[];
      if (!Array.isArray(rows)) return null;
      return rows.map((row) => ({
        service_id: String(row.service_id),
        minutes: Number(row.minutes ?? 0),
        period: (row.period as AllocationHours['period']) ?? 'week',
        used_minutes: typeof row.used_minutes === 'number' ? row.used_minutes : null,
      }));
    },
  });
}

const ACTIVE = new Set(['booked', 'delivered', 'no_show', 'late_cancelled']);

/** Minutes of a service booked in this ISO week (Monday to Sunday, Oslo time). */
export function bookedThisWeek(bookings: Booking[], serviceId: string, who: string, now = new Date()): number {
  const today = localDate(now);
  const monday = addDays(today, -weekdayIndex(today));
  const nextMonday = addDays(monday, 7);
  return bookings
    .filter((b) => b.service_id === serviceId && b.recipient_id === who && ACTIVE.has(b.status))
    .filter((b) => {
      const day = localDate(b.start);
      return day >= monday && day < nextMonday;
    })
    .reduce((sum, b) => sum + b.minutes, 0);
}
