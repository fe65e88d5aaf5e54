/**
 * What the API answers by itself, before any handler runs (API Gateway "gateway responses"). The CDK API stack
 * configures API Gateway from this table and the local gateway answers from it, so clients see the same bodies in
 * both: the handlers' problem shape wherever a client is expected to act on the answer.
 */
export interface GatewayResponseDefinition {
  readonly status: number;
  readonly title: string;
  readonly code: string;
  readonly detail: string;
  /** Seconds a client should wait before retrying (429s). */
  readonly retryAfterSeconds?: number;
}

export const gatewayResponses = {
  /** A path or method that does not exist (API Gateway's MISSING_AUTHENTICATION_TOKEN: no method uses IAM auth). */
  notFound: { status: 404, title: 'Not Found', code: 'NOT_FOUND', detail: 'No such resource or method.' },
  /** A rate limit (stage, method or usage plan) ran out. */
  throttled: {
    status: 429,
    title: 'Too Many Requests',
    code: 'THROTTLED',
    detail: 'Rate limit exceeded; retry after the number of seconds in Retry-After.',
    retryAfterSeconds: 1,
  },
  /** The API key's daily quota is used up (it resets at 00:00 UTC). */
  quotaExceeded: {
    status: 429,
    title: 'Too Many Requests',
    code: 'QUOTA_EXCEEDED',
    detail: "The API key's daily quota is used up; it resets at 00:00 UTC.",
    retryAfterSeconds: 3600,
  },
  /** A body the request model rejects: the same status and code as the handlers' own validation. */
  badRequestBody: { status: 400, title: 'Bad Request', code: 'VALIDATION_FAILED', detail: 'Invalid request body.' },
} as const satisfies Record<string, GatewayResponseDefinition>;

/** The problem body for a gateway response; `requestId` is API Gateway's `$context.requestId` in the cloud. */
export function gatewayProblem(response: GatewayResponseDefinition, requestId: string, detail = response.detail) {
  return {
    type: 'about:blank',
    title: response.title,
    status: response.status,
    code: response.code,
    detail,
    requestId,
  };
}
