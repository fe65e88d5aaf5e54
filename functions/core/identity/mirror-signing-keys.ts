import type { Jwks } from 'aws-jwt-verify/jwk';
import { jwksUrl, parseJwks, type MirroredSigningKeys } from './mirrored-signing-keys';

export interface MirrorDependencies {
  /** GETs a URL and returns its JSON body; throws on a non-2xx answer or a timeout. */
  readonly fetchJson: (url: string) => Promise<unknown>;
  /** Writes the mirrored item into the orders table. */
  readonly store: (keys: MirroredSigningKeys) => Promise<void>;
  readonly now: () => Date;
}

export interface MirrorReport {
  readonly userPoolId: string;
  readonly keyIds: readonly string[];
  readonly fetchedAt: string;
}

/**
 * Copies the user pool's public signing keys into the table, where replication carries them to every replica region.
 * A fetch or validation failure throws before anything is written: the last good copy stays, and the standby keeps
 * verifying with it (Cognito rotates keys rarely, and publishes a new key beside the old one before using it).
 */
export async function mirrorSigningKeys(deps: MirrorDependencies, userPoolId: string): Promise<MirrorReport> {
  const jwks: Jwks = parseJwks(await deps.fetchJson(jwksUrl(userPoolId)));
  const fetchedAt = deps.now().toISOString();
  await deps.store({ userPoolId, jwks, fetchedAt });
  return { userPoolId, keyIds: jwks.keys.map((key) => key.kid ?? ''), fetchedAt };
}

/** A JSON GET with a deadline, for the job (Cognito answers in milliseconds; a hung call must not eat the run). */
export async function fetchJson(url: string, timeoutMs = 5000): Promise<unknown> {
  const response = await fetch(url, {
    signal: AbortSignal.timeout(timeoutMs),
    headers: { accept: 'application/json' },
  });
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  return (await response.json()) as unknown;
}
