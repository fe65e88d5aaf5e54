import type { APIGatewayProxyEvent } from 'aws-lambda';
import { PartnerDisabledError, UnknownPartnerError } from '../domain/errors';
import type { PartnerClientRecord } from '../domain/ports';
import { partnerCustomerId } from '../domain/tenancy';
import type { Actor } from '../domain/order';

export interface Caller {
  /** Who authenticated: the Cognito `sub` of a user (stable for life, unlike the username) or a partner's client id. */
  readonly principalId: string;
  readonly kind: 'user' | 'partner';
  readonly groups: readonly string[];
  readonly scopes: readonly string[];
  /**
   * The tenant: whose orders the caller places and sees, whose idempotency keys and limits apply. The user themself,
   * or the partner that owns the app client (`partner:<partnerId>`), once `resolvePartner` has found it.
   */
  readonly customerId: string;
  /** The partner that owns the token's app client (partners only, after `resolvePartner`). */
  readonly partnerId?: string;
}

/** Finds which partner owns an app client (the registry, cached): undefined when none does. */
export type PartnerLookup = (clientId: string) => Promise<PartnerClientRecord | undefined>;

/**
 * Reads the caller from the claims that API Gateway's Cognito authorizer (or the local gateway) verified, under
 * `authorizer.claims`; or, in the standby region, from the context of its Lambda authorizer, which API Gateway
 * flattens into `authorizer` itself (functions/core/identity/standby-authorization.ts). REST APIs pass every claim as
 * a string: groups arrive comma-separated, or as "[a b]" in some integrations; both are read.
 * A client-credentials token has no username: that is how a partner machine client is told from a user.
 */
export function callerFrom(event: APIGatewayProxyEvent): Caller | undefined {
  const authorizer = event.requestContext?.authorizer as Record<string, unknown> | null | undefined;
  const claims = (authorizer?.claims ?? authorizer ?? undefined) as Record<string, unknown> | undefined;
  const sub = claims?.sub;
  if (typeof sub !== 'string' || sub === '') return undefined;
  const isUser = typeof (claims?.username ?? claims?.['cognito:username']) === 'string';
  return {
    principalId: sub,
    kind: isUser ? 'user' : 'partner',
    groups: isUser ? parseList(claims?.['cognito:groups']) : [],
    scopes: parseList(claims?.scope),
    // Until the registry names the partner, a client owns nothing: no partner data is keyed by a client id.
    customerId: isUser ? sub : `unresolved-client:${sub}`,
  };
}

/**
 * Turns a partner token's client id into its partner: the tenant whose data it owns. A client no partner owns, or a
 * disabled partner's, is refused before the handler runs, whatever the token's scopes say.
 */
export async function resolvePartner(caller: Caller, lookup: PartnerLookup): Promise<Caller> {
  if (caller.kind !== 'partner') return caller;
  const partner = await lookup(caller.principalId);
  if (!partner) throw new UnknownPartnerError('this app client belongs to no partner');
  if (partner.status !== 'active') throw new PartnerDisabledError('this partner is disabled; contact support');
  return { ...caller, partnerId: partner.partnerId, customerId: partnerCustomerId(partner.partnerId) };
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
  // A partner acts as the partner (whichever of its clients called), a shopper as their `sub`.
  if (caller.kind === 'partner') return { kind: 'partner', id: caller.partnerId ?? caller.principalId };
  return { kind: 'customer', id: caller.principalId };
}
