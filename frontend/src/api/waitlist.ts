// The waitlist's server state, small enough for the booking page (the waitlist screens load on demand).
import { useQuery } from '@tanstack/react-query';
import { api, call, type Schemas } from './client';

export type Entry = Schemas['WaitlistEntryRead'];

/** Join the line for one day: the button the booking flow shows where a day is full. */
export async function joinWaitlist(recipient: string, service: string, minutes: number, day: string): Promise<Entry> {
  return call(api.POST('/api/v1/waitlist', { body: { recipient_id: recipient, service_id: service, minutes, first_day: day, last_day: day } }));
}

export function useEntries(people: string[]) {
  return useQuery({
    queryKey: ['waitlist', ...people],
    queryFn: async () => (await Promise.all(people.map((p) => call(api.GET('/api/v1/waitlist', { params: { query: { recipient_id: p } } }))))).flat(),
    enabled: people.length > 0,
  });
}

/** The days the person already waits for (one day each) with this service and length: asked once, shown as such. */
export function useWaitingDays(who: string | undefined, service: string | undefined, minutes: number | undefined): Set<string> {
  const entries = useEntries(who ? [who] : []);
  return new Set(
    (entries.data ?? []).filter((e) => e.status === 'waiting' && e.service_id === service && e.minutes === minutes && e.first_day === e.last_day).map((e) => e.first_day),
  );
}
