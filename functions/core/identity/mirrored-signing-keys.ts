import type { Jwks } from 'aws-jwt-verify/jwk';
import * as z from 'zod/mini';

/**
 * The primary region's user pool signing keys, copied into the orders table (a global table) so that the standby
 * region can verify tokens the pool issued while the pool's region is unreachable (docs/identity.md, "Regional
 * failover"). One item, written by the primary's mirror-signing-keys job and read by the standby's authorizer.
 */
export const signingKeysItemKey = { PK: 'IDENTITY', SK: 'JWKS' } as const;

/** Where Cognito publishes a pool's public signing keys. The pool id starts with its region (`us-east-1_AbC123`). */
export function jwksUrl(userPoolId: string): string {
  return `https://cognito-idp.${userPoolRegion(userPoolId)}.amazonaws.com/${userPoolId}/.well-known/jwks.json`;
}

export function userPoolRegion(userPoolId: string): string {
  const match = /^([a-z]{2}(?:-gov)?-[a-z]+-\d)_[0-9A-Za-z]+$/.exec(userPoolId);
  if (!match) throw new Error(`not a user pool id: ${JSON.stringify(userPoolId)}`);
  return match[1]!;
}

/** A JSON Web Key Set as Cognito serves it: RSA signing keys, each with its key id. */
const jwksSchema = z.object({
  keys: z
    .array(
      z.looseObject({
        kty: z.literal('RSA'),
        kid: z.string().check(z.minLength(1)),
        n: z.string().check(z.minLength(1)),
        e: z.string().check(z.minLength(1)),
        alg: z.optional(z.string()),
        use: z.optional(z.string()),
      }),
    )
    .check(z.minLength(1)),
});

/** What the item holds: the pool (the verifier's issuer), its key set and when the job fetched it. */
export interface MirroredSigningKeys {
  readonly userPoolId: string;
  readonly jwks: Jwks;
  /** ISO 8601. */
  readonly fetchedAt: string;
}

const itemSchema = z.object({
  userPoolId: z.string().check(z.minLength(1)),
  // Stored as the JSON text Cognito served: one string attribute, no nested maps to marshal.
  jwks: z.string(),
  fetchedAt: z.string(),
});

/** Checks a fetched key set; throws naming what is wrong, so a bad answer never replaces a good mirror. */
export function parseJwks(raw: unknown): Jwks {
  const result = jwksSchema.safeParse(raw);
  if (!result.success) {
    throw new Error(`not a JWKS: ${result.error.issues.map((issue) => issue.path.join('.') || issue.message)[0]}`);
  }
  return result.data as Jwks;
}

/** The table item for `keys` (without the key attributes' values mixed in by the caller). */
export function signingKeysItem(keys: MirroredSigningKeys): Record<string, string> {
  return {
    ...signingKeysItemKey,
    userPoolId: keys.userPoolId,
    jwks: JSON.stringify(keys.jwks),
    fetchedAt: keys.fetchedAt,
  };
}

/** Reads the item back; undefined when it is missing or malformed (the authorizer then refuses every token). */
export function mirroredSigningKeysFrom(item: Record<string, unknown> | undefined): MirroredSigningKeys | undefined {
  if (!item) return undefined;
  const parsed = itemSchema.safeParse(item);
  if (!parsed.success) return undefined;
  try {
    return {
      userPoolId: parsed.data.userPoolId,
      jwks: parseJwks(JSON.parse(parsed.data.jwks)),
      fetchedAt: parsed.data.fetchedAt,
    };
  } catch {
    return undefined;
  }
}
