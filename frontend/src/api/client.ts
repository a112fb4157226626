// The typed client: paths and bodies come from the API's OpenAPI (src/api/schema.d.ts), never by hand.
import createClient, { type Middleware } from 'openapi-fetch';
import i18n from '../i18n';
import type { components, paths } from './schema';

export type Schemas = components['schemas'];
export type Me = Schemas['MeRead'];
export type Booking = Schemas['BookingRead'];
export type Service = Schemas['ServiceRead'];
export type Department = Schemas['DepartmentRead'];
export type Availability = Schemas['AvailabilityRead'];
// By its path, not its schema name: two structs named VisitRead in the API make the generator prefix both names.
export type Visit = paths['/api/v1/departments/{department_id}/roster']['get']['responses'][200]['content']['application/json'][number];
export type OpeningRule = Schemas['OpeningRuleRead'];
export type RuleWrite = Schemas['RuleWrite'];

const PREFIX = 'urn:tjenesteshop:problem:';
let csrfToken: string | null = null;

export function setCsrfToken(token: string | null | undefined): void {
  csrfToken = token ?? null;
}

/** A refusal from the API (RFC 9457), or a network failure (`code` "network"). */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly body: Record<string, unknown> = {},
  ) {
    super(title);
  }
}

const headers: Middleware = {
  onRequest({ request }) {
    request.headers.set('Accept-Language', i18n.language);
    if (!['GET', 'HEAD', 'OPTIONS'].includes(request.method) && csrfToken) request.headers.set('X-CSRF-Token', csrfToken);
    return request;
  },
};

export const api = createClient<paths>({ baseUrl: window.location.origin, credentials: 'same-origin' });
api.use(headers);

export function problemOf(status: number, body: unknown): ApiProblem {
  const problem = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const type = typeof problem.type === 'string' ? problem.type : '';
  const code = type.startsWith(PREFIX) ? type.slice(PREFIX.length) : status === 401 ? 'unauthorized' : 'unknown';
  return new ApiProblem(status, code, typeof problem.title === 'string' ? problem.title : '', problem);
}

/** Await an openapi-fetch call and return its data, or throw an ApiProblem. */
export async function call<T>(request: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await request;
  } catch (error) {
    if (error instanceof ApiProblem) throw error;
    throw new ApiProblem(0, 'network', '');
  }
  if (!result.response.ok) throw problemOf(result.response.status, result.error);
  return result.data as T;
}

/** The person's own words for a refusal: our text for the problem type, else the API's localised title. */
export function problemText(error: unknown): string {
  if (error instanceof ApiProblem) {
    if (error.code === 'network' && typeof navigator !== 'undefined' && navigator.onLine === false) return i18n.t('problem.offline');
    const key = `problem.${error.code}`;
    if (i18n.exists(key)) return i18n.t(key);
    if (error.title) return error.title;
  }
  return i18n.t('problem.unknown');
}

export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}
