// Server state through TanStack Query: one hook per thing the screens show.
import { type QueryClient, useQueries, useQuery } from '@tanstack/react-query';
import { ApiProblem, api, call, setCsrfToken, type Availability, type Booking, type Department, type Me, type Service } from './client';

export const keys = {
  me: ['me'] as const,
  bookings: (who: string) => ['bookings', who] as const,
  availability: (who: string, service: string, moving?: string) => ['availability', who, service, moving ?? null] as const,
};

/**
 * What a visit booked, moved or cancelled changes on any screen: the visits, the free times, the hours left on the
 * decision, the refused dates of a series and the waitlist. Every screen that changes a visit refreshes them all.
 */
const CHANGED_BY_A_VISIT = ['bookings', 'availability', 'allocations', 'series', 'waitlist'] as const;

export async function refreshAfterVisitChange(client: QueryClient): Promise<void> {
  await Promise.all(CHANGED_BY_A_VISIT.map((key) => client.invalidateQueries({ queryKey: [key] })));
}

export function useMe() {
  return useQuery({
    queryKey: keys.me,
    queryFn: async (): Promise<Me | null> => {
      try {
        const me = await call(api.GET('/api/v1/me'));
        setCsrfToken(me.csrf_token);
        return me;
      } catch (error) {
        if (error instanceof ApiProblem && error.status === 401) return null;
        throw error;
      }
    },
    staleTime: 60_000,
  });
}

export function hasRole(me: Me | null | undefined, ...roles: string[]): boolean {
  return !!me?.roles.some((r) => roles.includes(r.role));
}

export interface Person {
  id: string;
  name: string;
  self: boolean;
}

/** The people this person books for: themself if a recipient, and everyone they act for. */
export function bookablePeople(me: Me | null | undefined): Person[] {
  if (!me?.person) return [];
  const people: Person[] = [];
  if (hasRole(me, 'recipient')) people.push({ id: me.person.id, name: me.person.given_name, self: true });
  for (const p of me.acts_for ?? []) people.push({ id: p.id, name: `${p.given_name} ${p.family_name}`, self: false });
  return people;
}

const MUNICIPALITY_KEY = 'tjenesteshop.municipality';

/**
 * The demo municipality's number, which the server writes into the page in demo mode; remembered, so a page the
 * service worker serves from its cache (the build's index.html, without the server's addition) still knows it.
 */
export function municipalityNumber(): string | null {
  const written = document.querySelector<HTMLMetaElement>('meta[name="tjenesteshop-municipality"]')?.content || null;
  try {
    if (written) localStorage.setItem(MUNICIPALITY_KEY, written);
    return written ?? localStorage.getItem(MUNICIPALITY_KEY);
  } catch {
    return written;
  }
}

export function useDepartments() {
  const number = municipalityNumber();
  return useQuery({
    queryKey: ['departments', number],
    enabled: number !== null,
    queryFn: () => call(api.GET('/api/v1/departments', { params: { query: { municipality: number ?? '' } } })),
    staleTime: 10 * 60_000,
  });
}

export function useDepartment(id: string | undefined) {
  return useQuery({
    queryKey: ['department', id],
    enabled: !!id,
    queryFn: () => call(api.GET('/api/v1/departments/{department_id}', { params: { path: { department_id: id ?? '' } } })),
    staleTime: 10 * 60_000,
  });
}

export function useCatalogue(departments: Department[] | undefined) {
  return useQueries({
    queries: (departments ?? []).map((d) => ({
      queryKey: ['services', d.id],
      queryFn: () => call(api.GET('/api/v1/departments/{department_id}/services', { params: { path: { department_id: d.id } } })),
      staleTime: 10 * 60_000,
    })),
    combine: (results) => ({
      services: results.flatMap((r) => r.data ?? []) as Service[],
      pending: results.some((r) => r.isPending),
    }),
  });
}

/** Free times for a person and a service; `moving`: the booking being moved, whose own time, staff and hours count as free. */
export function availabilityQuery(who: string, serviceId: string, moving?: string) {
  return {
    queryKey: keys.availability(who, serviceId, moving),
    queryFn: () => call(api.GET('/api/v1/availability', { params: { query: { recipient_id: who, service_id: serviceId, moving } } })),
    staleTime: 20_000,
  };
}

export function useAvailability(who: string | undefined, serviceId: string | undefined, moving?: string) {
  return useQuery({ ...availabilityQuery(who ?? '', serviceId ?? '', moving), enabled: !!who && !!serviceId });
}

export interface Offer {
  service: Service;
  availability: Availability;
}

/**
 * The services a person may book: those whose availability has days (the API answers no days without a
 * valid decision). A list of allocations from the API would say this directly, with the hours granted.
 */
export function useOffers(who: string | undefined) {
  const departments = useDepartments();
  const catalogue = useCatalogue(departments.data);
  return useQueries({
    queries: catalogue.services.map((s) => ({ ...availabilityQuery(who ?? '', s.id), enabled: !!who })),
    combine: (results) => ({
      offers: results
        .map((r, i) => ({ service: catalogue.services[i], availability: r.data }))
        .filter((o): o is Offer => !!o.service && !!o.availability && o.availability.days.length > 0),
      pending: departments.isLoading || catalogue.pending || results.some((r) => r.isPending),
      error: departments.error ?? results.find((r) => r.error)?.error ?? null,
    }),
  });
}

export function useBookings(people: string[]) {
  return useQueries({
    queries: people.map((who) => ({
      queryKey: keys.bookings(who),
      queryFn: () => call(api.GET('/api/v1/bookings', { params: { query: { recipient_id: who } } })),
      staleTime: 15_000,
    })),
    combine: (results) => ({
      bookings: results.flatMap((r) => r.data ?? []).sort((a, b) => a.start.localeCompare(b.start)) as Booking[],
      pending: results.some((r) => r.isPending),
      error: results.find((r) => r.error)?.error ?? null,
    }),
  });
}

/** Every service of the municipality's departments by id (names for bookings, also of retired services). */
export function useServiceIndex() {
  const departments = useDepartments();
  const catalogue = useCatalogue(departments.data);
  const services = new Map(catalogue.services.map((s) => [s.id, s]));
  const departmentById = new Map((departments.data ?? []).map((d) => [d.id, d]));
  return { services, departments: departmentById, pending: departments.isLoading || catalogue.pending };
}
