import { readFileSync, writeFileSync } from 'node:fs';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomUUID,
  sign,
  type KeyObject,
} from 'node:crypto';
import { CognitoJwtVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { Jwks } from 'aws-jwt-verify/jwk';

/**
 * A development-only stand-in for a Cognito user pool: it mints RS256 ID and access tokens shaped like Cognito's
 * (issuer, `token_use`, `cognito:groups`, `aud`/`client_id`), and the gateway verifies them with aws-jwt-verify
 * exactly as it would verify real Cognito tokens. It exists only in the local runtime, never in the CDK app.
 */
export const localUserPool = {
  region: 'us-east-1',
  userPoolId: 'us-east-1_LocalDevPool',
  clientId: 'localdevclient0000000000000',
} as const;

/** Authenticates a confidential app client (the local user pool's app clients, local/emulators/cognito-app-clients.ts). */
export interface AppClientAuthenticator {
  authenticate(clientId: string, clientSecret: string): { readonly scopes: readonly string[] } | undefined;
}

export const issuer = `https://cognito-idp.${localUserPool.region}.amazonaws.com/${localUserPool.userPoolId}`;
const tokenLifetimeSeconds = 3600;

export interface DevUser {
  readonly username: string;
  readonly groups: readonly string[];
  readonly email: string;
}

export const devUsers: readonly DevUser[] = [
  { username: 'alice', groups: ['customers'], email: 'alice@example.com' },
  { username: 'bob', groups: ['customers'], email: 'bob@example.com' },
  { username: 'admin', groups: ['admins'], email: 'admin@example.com' },
];

export const knownGroups = ['customers', 'admins'] as const;

export interface IssuedTokens {
  readonly idToken: string;
  readonly accessToken: string;
  readonly expiresIn: number;
  readonly tokenType: 'Bearer';
}

/**
 * The signing key kept in a PEM file, made on first use: processes that load the same file sign with one key, as the
 * regions of the failover drill do (in AWS the standby trusts the primary pool's keys). Created exclusively, so two
 * processes starting at once end up with the same key.
 */
export function signingKeyFromFile(path: string): KeyObject {
  try {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(path, privateKey.export({ format: 'pem', type: 'pkcs8' }), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return createPrivateKey(readFileSync(path));
}

export interface TokenIssuerOptions {
  /** Sign with this key (e.g. `signingKeyFromFile`) instead of a key made for this process alone. */
  readonly signingKey?: KeyObject;
}

export class LocalTokenIssuer {
  private readonly privateKey: KeyObject;
  private readonly keyId: string;
  readonly jwks: Jwks;
  readonly verifier;

  constructor(
    private readonly appClients: AppClientAuthenticator = { authenticate: () => undefined },
    options: TokenIssuerOptions = {},
  ) {
    this.privateKey = options.signingKey ?? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const jwk = createPublicKey(this.privateKey).export({ format: 'jwk' }) as { n: string; e: string };
    // Derived from the key, so every process signing with one key names it alike (a verifier picks keys by kid).
    this.keyId = options.signingKey
      ? createHash('sha256').update(jwk.n).digest('base64url').slice(0, 22)
      : randomUUID();
    this.jwks = { keys: [{ kty: 'RSA', kid: this.keyId, alg: 'RS256', use: 'sig', n: jwk.n, e: jwk.e }] };
    // The JWKS is handed to the verifier up front; the fetcher refuses, so verification never leaves this machine.
    const jwksCache = new SimpleJwksCache({
      fetcher: {
        fetch: async (uri: string) => {
          throw new Error(`local token verifier does not fetch ${uri}`);
        },
      },
    });
    this.verifier = CognitoJwtVerifier.create(
      {
        userPoolId: localUserPool.userPoolId,
        // Any client of the pool, as API Gateway's Cognito authorizer accepts: partner clients come and go at runtime.
        clientId: null,
        tokenUse: null,
      },
      { jwksCache },
    );
    this.verifier.cacheJwks(this.jwks);
  }

  /**
   * Mints tokens for a user. The `sub` is the directory's for signed-up users; otherwise derived from the username,
   * so a dev user keeps their orders across restarts.
   */
  issue(
    username: string,
    groups: readonly string[],
    email = `${username}@example.com`,
    sub = userSub(username),
  ): IssuedTokens {
    const now = Math.floor(Date.now() / 1000);
    const common = {
      sub,
      iss: issuer,
      'cognito:groups': [...groups],
      auth_time: now,
      iat: now,
      exp: now + tokenLifetimeSeconds,
      event_id: randomUUID(),
    };
    const idToken = this.sign({
      ...common,
      aud: localUserPool.clientId,
      token_use: 'id',
      'cognito:username': username,
      email,
      email_verified: true,
    });
    const accessToken = this.sign({
      ...common,
      client_id: localUserPool.clientId,
      token_use: 'access',
      scope: 'aws.cognito.signin.user.admin',
      username,
      jti: randomUUID(),
    });
    return { idToken, accessToken, expiresIn: tokenLifetimeSeconds, tokenType: 'Bearer' };
  }

  /**
   * The client-credentials grant, as Cognito's /oauth2/token answers it: an access token for the client itself
   * (`sub` is the client id, no username, no groups) with the scopes asked for, all of which it must be allowed.
   */
  issueClientCredentials(clientId: string, clientSecret: string, requestedScopes?: readonly string[]) {
    const client = this.appClients.authenticate(clientId, clientSecret);
    if (!client) return { error: 'invalid_client' as const };
    const scopes = requestedScopes && requestedScopes.length > 0 ? requestedScopes : client.scopes;
    if (!scopes.every((scope) => client.scopes.includes(scope))) {
      return { error: 'invalid_scope' as const };
    }
    const now = Math.floor(Date.now() / 1000);
    const accessToken = this.sign({
      sub: clientId,
      client_id: clientId,
      iss: issuer,
      token_use: 'access',
      scope: scopes.join(' '),
      auth_time: now,
      iat: now,
      exp: now + tokenLifetimeSeconds,
      jti: randomUUID(),
      version: 2,
    });
    return { access_token: accessToken, token_type: 'Bearer' as const, expires_in: tokenLifetimeSeconds };
  }

  private sign(payload: Record<string, unknown>): string {
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const signingInput = `${encode({ alg: 'RS256', kid: this.keyId, typ: 'JWT' })}.${encode(payload)}`;
    return `${signingInput}.${sign('sha256', Buffer.from(signingInput), this.privateKey).toString('base64url')}`;
  }
}

/** A stable, UUID-shaped subject per username (Cognito's `sub` is a UUID). */
export function userSub(username: string): string {
  const hex = createHash('sha256').update(`local-user:${username}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
