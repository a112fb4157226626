// Server state for the pages around the decision (issue 9): feedback, the shared plan, the reports.
// Types come from the generated schema only, named here by the path that returns them.
import { useQuery } from '@tanstack/react-query';
import { ApiProblem, api, call } from '../api/client';
import type { paths } from '../api/schema';
import i18n from '../i18n';

type Ok<P extends keyof paths> = paths[P]['get'] extends { responses: { 200: { content: { 'application/json': infer T } } } } ? T : never;

export type PendingVisit = Ok<'/api/v1/feedback/pending'>[number];
export type Answer = Ok<'/api/v1/feedback'>[number];
export type Plan = Ok<'/api/v1/recipients/{recipient_id}/plan'>;
export type PlanAllocation = Plan['allocations'][number];
export type PlanVisit = Plan['upcoming'][number];
export type FollowUp = Plan['follow_ups'][number];
export type Coordinated = Ok<'/api/v1/coordinators/me/recipients'>[number];
export type Review = Ok<'/api/v1/reviews'>[number];
export type Coverage = Ok<'/api/v1/departments/{department_id}/coverage'>;
export type CoverageWeek = Coverage['weeks'][number];
export type Committee = Ok<'/api/v1/committee'>;
export type Thresholds = Committee['thresholds'];
export type Evaluation = Ok<'/api/v1/allocations/{allocation_id}/evaluation'>;
export type DepartmentFeedback = Ok<'/api/v1/departments/{department_id}/feedback'>;
export type FeedbackCreate = NonNullable<paths['/api/v1/bookings/{booking_id}/feedback']['post']['requestBody']>['content']['application/json'];
export type FeedbackAnswer = FeedbackCreate['answer'];

export const insightKeys = {
  pending: (who: string) => ['feedback-pending', who] as const,
  plan: (who: string) => ['plan', who] as const,
  coordinated: ['coordinated'] as const,
  committee: ['committee'] as const,
};

/** A text the API gives in every language ({nb, nn, en}), in the person's own (bokmål where one is missing). */
export { localText } from '../texts';

/** Minutes as hours with at most one decimal, in the person's number format ("7,5"). */
export function hours(minutes: number): string {
  return (minutes / 60).toLocaleString(i18n.language === 'en' ? 'en-GB' : 'nb-NO', { maximumFractionDigits: 1 });
}

export function usePendingFeedback(who: string | undefined) {
  return useQuery({
    queryKey: insightKeys.pending(who ?? ''),
    enabled: !!who,
    staleTime: 60_000,
    queryFn: async () => {
      try {
        return await call(api.GET('/api/v1/feedback/pending', { params: { query: { recipient_id: who } } }));
      } catch (error) {
        // Not for this person (or the installation has no feedback yet): nothing to ask.
        if (error instanceof ApiProblem && [403, 404].includes(error.status)) return [];
        throw error;
      }
    },
  });
}

export function postFeedback(bookingId: string, body: FeedbackCreate) {
  return call(api.POST('/api/v1/bookings/{booking_id}/feedback', { params: { path: { booking_id: bookingId } }, body }));
}

export function usePlan(who: string | undefined) {
  return useQuery({
    queryKey: insightKeys.plan(who ?? ''),
    enabled: !!who,
    staleTime: 30_000,
    queryFn: () => call(api.GET('/api/v1/recipients/{recipient_id}/plan', { params: { path: { recipient_id: who ?? '' } } })),
  });
}

/** Everyone the signed-in staff member coordinates; an empty list for anyone who coordinates no one. */
export function useCoordinated(enabled: boolean) {
  return useQuery({
    queryKey: insightKeys.coordinated,
    enabled,
    staleTime: 60_000,
    queryFn: async () => {
      try {
        return await call(api.GET('/api/v1/coordinators/me/recipients'));
      } catch (error) {
        if (error instanceof ApiProblem && [403, 404].includes(error.status)) return [];
        throw error;
      }
    },
  });
}

/** A local date (YYYY-MM-DD) as "30.11.2026" (or "30 Nov 2026" in English). */
export function shortDate(isoDate: string | null | undefined): string {
  if (!isoDate) return '';
  const locale = i18n.language === 'en' ? 'en-GB' : 'nb-NO';
  const options: Intl.DateTimeFormatOptions = i18n.language === 'en' ? { day: 'numeric', month: 'short', year: 'numeric' } : { day: '2-digit', month: '2-digit', year: 'numeric' };
  return new Intl.DateTimeFormat(locale, { ...options, timeZone: 'UTC' }).format(new Date(`${isoDate.slice(0, 10)}T12:00:00Z`));
}
