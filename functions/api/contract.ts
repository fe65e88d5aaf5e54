import type * as z from 'zod/mini';
import * as routeContracts from './route-contracts';
import type { RouteDefinition, RouteId } from './routes';

/**
 * What each route takes and returns, as zod schemas: `httpHandler` validates every request with them before the
 * handler runs, handlers answer with the success schema's type, and the published API description and API Gateway's
 * request models are generated from this table. Each route's is written once, in route-contracts.ts; `contract` below
 * keys them by route id, so a route cannot exist without its contract.
 * Error responses are problem+json; most follow from the route's settings (see `routeErrors`), and a contract lists
 * only the ones that mean something particular on its route.
 */
export interface RouteContract {
  readonly path?: z.ZodMiniType;
  readonly query?: z.ZodMiniType;
  readonly body?: z.ZodMiniType;
  /** What the body is called in validation messages and in the 400's description (`invalid order`); `body` if unset. */
  readonly bodyName?: string;
  /** The success response: status code, schema and a description. */
  readonly success: { readonly status: 200 | 201 | 202; readonly schema: z.ZodMiniType; readonly description: string };
  /**
   * What the route's own errors mean. A 409 or 422 on an idempotent route also covers the Idempotency-Key's
   * conflict, which `routeErrors` appends.
   */
  readonly errors: Readonly<Partial<Record<BusinessErrorStatus, string>>>;
  /** Whether a GET answers 304 to If-None-Match. */
  readonly conditional?: boolean;
}

type BusinessErrorStatus = 400 | 404 | 409 | 422 | 503;
export type ErrorStatus = 401 | 403 | BusinessErrorStatus | 429;

/** Each route's contract with its exact schemas, which type the handler's input and answer. */
export const contract: { readonly [Id in RouteId]: (typeof routeContracts)[Id] & RouteContract } = routeContracts;

const idempotencyConflicts = {
  409: ['A request with the same Idempotency-Key is still in progress', 'the key is in use'],
  422: ['The Idempotency-Key was used with a different body', 'the Idempotency-Key was used with another body'],
} as const;

/**
 * Every error status a route can answer with (besides 500) and what it means there, from its settings: a 400 when it
 * takes input, 401 and 403 when it needs a token, 403 for a missing API key, 409 and 422 for its Idempotency-Key,
 * 429 where a usage plan or method throttle applies; plus the contract's own (404, business conflicts, 503).
 */
export function routeErrors(
  route: RouteDefinition,
  routeContract: RouteContract,
): Partial<Record<ErrorStatus, string>> {
  const errors: Partial<Record<ErrorStatus, string>> = {};
  const invalid = invalidInputOf(routeContract);
  if (invalid) errors[400] = invalid;
  if (route.access !== 'public') {
    errors[401] = 'No token, or an invalid or expired one';
    errors[403] =
      route.access.partnerScopes.length > 0
        ? 'The caller may not call this operation, or no API key; a partner token whose app client no partner owns ' +
          '(UNKNOWN_PARTNER) or whose partner is disabled (PARTNER_DISABLED)'
        : 'The caller may not call this operation, or no API key';
  } else if (route.apiKeyRequired) {
    errors[403] = 'Missing or unknown API key';
  }
  Object.assign(errors, routeContract.errors);
  if (route.idempotent) {
    for (const status of [409, 422] as const) {
      const [alone, appended] = idempotencyConflicts[status];
      const own = routeContract.errors[status];
      errors[status] = own ? `${own}, or ${appended}` : alone;
    }
  }
  if (route.apiKeyRequired || route.access !== 'public') errors[429] = 'Rate limit or quota exceeded';
  return errors;
}

/** "Invalid order id or body": what a 400 on this route is about, from the inputs its contract validates. */
function invalidInputOf(routeContract: RouteContract): string | undefined {
  const parts = [
    ...Object.keys(shapeOf(routeContract.path)).map((name) =>
      name.replace(/[A-Z]/g, (letter) => ` ${letter.toLowerCase()}`),
    ),
    ...(routeContract.query ? ['cursor' in shapeOf(routeContract.query) ? 'query or cursor' : 'query'] : []),
    ...(routeContract.body ? [routeContract.bodyName ?? 'body'] : []),
  ];
  return parts.length > 0 ? `Invalid ${parts.join(' or ')}` : undefined;
}

function shapeOf(schema: z.ZodMiniType | undefined): Record<string, unknown> {
  return (schema as { shape?: Record<string, unknown> } | undefined)?.shape ?? {};
}
