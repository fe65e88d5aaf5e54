import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { CognitoJwtVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { authorizationScopes, routeList, type RouteDefinition } from '../../api/routes';
import type { MirroredSigningKeys } from './mirrored-signing-keys';

/** Loads the mirrored signing keys from the region's own table replica; undefined when there are none. */
export type SigningKeysLoader = () => Promise<MirroredSigningKeys | undefined>;

/**
 * API Gateway turns this message, thrown by a Lambda authorizer, into 401 Unauthorized (the same answer its Cognito
 * authorizer gives for a missing, expired or wrongly scoped token); anything else thrown becomes a 500.
 */
export const unauthorized = 'Unauthorized';

/** How long one function instance trusts the keys it loaded before reading the item again. */
export const signingKeysMaxAgeMs = 5 * 60 * 1000;

function verifierFor(keys: MirroredSigningKeys) {
  // The keys are handed over up front and the fetcher refuses: the primary region may be down, and a verification
  // must never wait on it. An unknown key id is a refusal (verifySync), not a fetch.
  const jwksCache = new SimpleJwksCache({
    fetcher: {
      fetch: async (uri: string) => {
        throw new Error(`the standby authorizer does not fetch ${uri}`);
      },
    },
  });
  const verifier = CognitoJwtVerifier.create(
    // Access tokens of any client of the pool, as the Cognito authorizer with method scopes accepts: partner clients
    // come and go at runtime, so no client list is fixed here. Each route's scopes are checked per request.
    { userPoolId: keys.userPoolId, tokenUse: 'access', clientId: null },
    { jwksCache },
  );
  verifier.cacheJwks(keys.jwks);
  return verifier;
}

type Verifier = ReturnType<typeof verifierFor>;

/** The route a request is for, by its method and resource template (API Gateway's `resource`, e.g. /orders/{orderId}). */
export function routeOf(httpMethod: string, resource: string): RouteDefinition | undefined {
  return routeList.find((route) => route.method === httpMethod && route.path === resource);
}

function bearerToken(headers: APIGatewayRequestAuthorizerEvent['headers']): string | undefined {
  const entry = Object.entries(headers ?? {}).find(([name]) => name.toLowerCase() === 'authorization');
  const value = entry?.[1]?.trim();
  if (!value) return undefined;
  // The Cognito authorizer takes the header's value as the token; clients send it bare or as "Bearer <token>".
  return value.replace(/^Bearer\s+/i, '');
}

/**
 * The standby region's authorizer (a REQUEST authorizer on every non-public method): verifies the bearer token as
 * API Gateway's Cognito authorizer with the route's OAuth scopes does in the primary region (an access token of the
 * primary's user pool, signed with one of its mirrored keys, unexpired, holding one of the route's scopes), and
 * hands the claims on as the authorizer context, which functions/core/http/caller.ts reads. Which groups may call the
 * route stays the handler's check (`mayCall`), as in the primary.
 */
export class StandbyAuthorizer {
  private cached?: { readonly verifier: Verifier; readonly loadedAt: number };

  constructor(
    private readonly loadKeys: SigningKeysLoader,
    private readonly now: () => number = Date.now,
  ) {}

  async authorize(event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
    const route = routeOf(event.httpMethod, event.resource);
    const token = bearerToken(event.headers);
    // A public route never reaches an authorizer; one that does, or an unknown route, is refused.
    if (!route || route.access === 'public' || !token) throw new Error(unauthorized);
    const verifier = await this.verifier();
    let claims: Record<string, unknown>;
    try {
      claims = verifier.verifySync(token, { scope: authorizationScopes(route) }) as Record<string, unknown>;
    } catch {
      throw new Error(unauthorized);
    }
    const principalId = String(claims.sub);
    return {
      principalId,
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }],
      },
      context: contextOf(claims),
    };
  }

  private async verifier(): Promise<Verifier> {
    if (this.cached && this.now() - this.cached.loadedAt < signingKeysMaxAgeMs) return this.cached.verifier;
    const keys = await this.loadKeys();
    // No mirrored keys (the job never ran, or the item is damaged): nothing can be verified, every token is refused.
    if (!keys) throw new Error(unauthorized);
    this.cached = { verifier: verifierFor(keys), loadedAt: this.now() };
    return this.cached.verifier;
  }
}

/**
 * The claims as an authorizer context: API Gateway only passes strings, numbers and booleans, so lists are joined
 * (groups with commas, as the Cognito authorizer passes them; scopes with spaces, as in the token).
 */
export function contextOf(claims: Record<string, unknown>): Record<string, string | number | boolean> {
  const context: Record<string, string | number | boolean> = {};
  for (const [name, value] of Object.entries(claims)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') context[name] = value;
    else if (Array.isArray(value)) context[name] = value.filter((entry) => typeof entry === 'string').join(',');
  }
  return context;
}
