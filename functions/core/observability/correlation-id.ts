import { randomUUID } from 'node:crypto';

/**
 * One id follows one order's flow: the API request that placed (or cancelled) it, the saga's tasks, the payment
 * provider's requests and the domain events. It is a log key (`correlationId`) and an X-Ray annotation of the same
 * name, so CloudWatch Logs Insights and X-Ray find every line and trace of the flow with one filter
 * (docs/architecture.md, "Following one order"). `tagInvocation` (./powertools.ts) sets both. Free of Powertools
 * itself, so use cases can take a fresh id from here.
 */
export const correlationIdHeader = 'x-correlation-id';

/**
 * What a client may send as its own correlation id: short, and only characters that are safe in a log line, an
 * HTTP header, a JSON document and an X-Ray annotation (UUIDs, ULIDs and W3C trace ids all fit). Anything else is
 * ignored rather than refused: a bad tracing header must never fail an order.
 */
export const correlationIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

export function isCorrelationId(value: unknown): value is string {
  return typeof value === 'string' && correlationIdPattern.test(value);
}

/**
 * The correlation id of an API request: the client's `x-correlation-id` when it is a valid one (so the client can
 * follow its own request into our logs), otherwise API Gateway's request id, which the client also sees in every
 * problem+json answer.
 */
export function correlationIdOf(headers: Readonly<Record<string, string | undefined>>, requestId: string): string {
  const sent = headers[correlationIdHeader]?.trim();
  return isCorrelationId(sent) ? sent : requestId;
}

/** A fresh id for flows no request started (a scheduled job run, an order from before correlation ids existed). */
export function newCorrelationId(): string {
  return randomUUID();
}
