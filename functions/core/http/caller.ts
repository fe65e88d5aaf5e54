import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { Actor } from '../domain/order';

export interface Caller {
  /** Who authenticated: the Cognito `sub` of a user (stable for life, unlike the username) or a partner's client id. */
  readonly principalId: string;
  readonly kind: 'user' | 'partner';
  readonly groups: readonly string[];
  readonly scopes: readonly string[];
  /** Whose orders the caller places and sees: the user themself, or the partner as its own customer. */
  readonly customerId: string;
}

/**
 * Reads the caller from the claims that API Gateway's Cognito authorizer (or the local gateway) verified. REST APIs
 * pass every claim as a string: groups arrive comma-separated, or as "[a b]" in some integrations; both are read.
 * A client-credentials token has no username: that is how a partner machine client is told from a user.
 */
export function callerFrom(event: APIGatewayProxyEvent): Caller | undefined {
  const claims = event.requestContext?.authorizer?.claims as Record<string, unknown> | undefined;
  const sub = claims?.sub;
  if (typeof sub !== 'string' || sub === '') return undefined;
  const isUser = typeof (claims?.username ?? claims?.['cognito:username']) === 'string';
  return {
    principalId: sub,
    kind: isUser ? 'user' : 'partner',
    groups: isUser ? parseList(claims?.['cognito:groups']) : [],
    scopes: parseList(claims?.scope),
    customerId: isUser ? sub : `partner:${sub}`,
  };
}

export function parseList(raw: unknown): string[] {
  if (Array.isArray(raw)) return raw.filter((entry): entry is string => typeof entry === 'string');
  if (typeof raw !== 'string') return [];
  return raw
    .replace(/^\[|\]$/g, '')
    .split(/[\s,]+/)
    .filter((entry) => entry.length > 0);
}

/**
 * Who the caller is in an order's history: the owner (a customer, or a partner acting as its own customer) on the
 * owner's routes, an admin on the admin routes. The authenticated principal, never the username (which can change).
 */
export function actorOf(caller: Caller, role: 'owner' | 'admin'): Actor {
  if (role === 'admin') return { kind: 'admin', id: caller.principalId };
  return { kind: caller.kind === 'partner' ? 'partner' : 'customer', id: caller.principalId };
}
