// Hours granted and used per decision (vedtak): GET /api/v1/allocations, with each one's use of its current period.
import { useQuery } from '@tanstack/react-query';
import { addDays, localDate, weekdayIndex } from '../time';
import { api, call, type Booking, type Schemas } from './client';

export type Allocation = Schemas['AllocationRead'];

/** The decisions in force today for one recipient (their own, or someone they act for). */
export function useAllocations(who: string | undefined) {
  return useQuery({
    queryKey: ['allocations', who],
    enabled: !!who,
    staleTime: 30_000,
    queryFn: () => call(api.GET('/api/v1/allocations', { params: { query: { recipient_id: who ?? '', active_on: localDate(new Date()) } } })),
  });
}

/** The decision for a service, preferring one whose current period the API has counted. */
export function allocationFor(list: Allocation[] | undefined, serviceId: string): Allocation | undefined {
  const mine = (list ?? []).filter((a) => a.service_id === serviceId);
  return mine.find((a) => a.used_minutes !== null) ?? mine[0];
}

const ACTIVE = new Set(['booked', 'delivered', 'no_show', 'late_cancelled']);

/** Minutes of a service booked in this ISO week (Monday to Sunday, Oslo time): shown when no decision is found. */
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
