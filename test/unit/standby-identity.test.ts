import type { APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { routeList, type RouteDefinition } from '../../functions/api/routes';
import { callerFrom } from '../../functions/core/http/caller';
import { mirrorSigningKeys } from '../../functions/core/identity/mirror-signing-keys';
import {
  jwksUrl,
  mirroredSigningKeysFrom,
  signingKeysItem,
  signingKeysItemKey,
  type MirroredSigningKeys,
} from '../../functions/core/identity/mirrored-signing-keys';
import {
  contextOf,
  routeOf,
  signingKeysMaxAgeMs,
  StandbyAuthorizer,
} from '../../functions/core/identity/standby-authorization';
import { LocalTokenIssuer, localUserPool } from '../../local/emulators/token-issuer';

const issuer = new LocalTokenIssuer({
  authenticate: (clientId, secret) =>
    clientId === 'partner-client' && secret === 'partner-secret' ? { scopes: ['orders/read'] } : undefined,
});
const keys: MirroredSigningKeys = {
  userPoolId: localUserPool.userPoolId,
  jwks: issuer.jwks,
  fetchedAt: '2026-01-01T00:00:00.000Z',
};

const routeWhere = (test: (route: RouteDefinition) => boolean) => {
  const route = routeList.find(test);
  if (!route) throw new Error('no such route in the route table');
  return route;
};
const partnerReadRoute = routeWhere(
  (route) => route.access !== 'public' && route.access.partnerScopes.includes('orders/read') && route.method === 'GET',
);
const adminOnlyRoute = routeWhere((route) => route.access !== 'public' && route.access.partnerScopes.length === 0);

function requestFor(route: RouteDefinition, token: string | undefined): APIGatewayRequestAuthorizerEvent {
  const methodArn = `arn:aws:execute-api:us-west-2:123456789012:api123/v1/${route.method}${route.path}`;
  return {
    type: 'REQUEST',
    methodArn,
    resource: route.path,
    path: route.path,
    httpMethod: route.method,
    headers: token === undefined ? {} : { Authorization: `Bearer ${token}` },
  } as unknown as APIGatewayRequestAuthorizerEvent;
}

function partnerToken(): string {
  const answer = issuer.issueClientCredentials('partner-client', 'partner-secret');
  const token = 'access_token' in answer ? answer.access_token : undefined;
  if (!token) throw new Error('the local issuer refused the partner client');
  return token;
}

describe('standby authorizer', () => {
  const authorizer = () => new StandbyAuthorizer(async () => keys);

  it("allows a signed-in user's access token on a user route and passes the claims on", async () => {
    const tokens = issuer.issue('ada', ['customers', 'admins']);
    const result = await authorizer().authorize(requestFor(adminOnlyRoute, tokens.accessToken));
    expect(result.policyDocument.Statement).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: requestFor(adminOnlyRoute, '').methodArn },
    ]);
    expect(result.context).toMatchObject({
      username: 'ada',
      'cognito:groups': 'customers,admins',
      scope: 'aws.cognito.signin.user.admin',
      token_use: 'access',
    });
    expect(result.principalId).toBe(result.context?.sub);
  });

  it('allows a partner token holding one of the route scopes, and refuses it where the route grants partners none', async () => {
    const token = partnerToken();
    await expect(authorizer().authorize(requestFor(partnerReadRoute, token))).resolves.toMatchObject({
      principalId: 'partner-client',
    });
    await expect(authorizer().authorize(requestFor(adminOnlyRoute, token))).rejects.toThrow('Unauthorized');
  });

  it('refuses id tokens, tampered tokens, missing tokens and tokens of another key', async () => {
    const tokens = issuer.issue('ada', ['customers']);
    const [header, payload, signature] = tokens.accessToken.split('.');
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), sub: 'x' }),
    );
    const stranger = new LocalTokenIssuer().issue('ada', ['customers']).accessToken;
    for (const token of [
      tokens.idToken,
      `${header}.${forged.toString('base64url')}.${signature}`,
      undefined,
      stranger,
    ]) {
      await expect(authorizer().authorize(requestFor(partnerReadRoute, token))).rejects.toThrow('Unauthorized');
    }
  });

  it('refuses every token while no signing keys are mirrored', async () => {
    const empty = new StandbyAuthorizer(async () => undefined);
    const token = issuer.issue('ada', ['customers']).accessToken;
    await expect(empty.authorize(requestFor(partnerReadRoute, token))).rejects.toThrow('Unauthorized');
  });

  it('reads the mirrored keys once per few minutes per instance', async () => {
    let now = 0;
    const loadKeys = jest.fn(async () => keys);
    const cached = new StandbyAuthorizer(loadKeys, () => now);
    const token = issuer.issue('ada', ['customers']).accessToken;
    await cached.authorize(requestFor(partnerReadRoute, token));
    await cached.authorize(requestFor(partnerReadRoute, token));
    expect(loadKeys).toHaveBeenCalledTimes(1);
    now = signingKeysMaxAgeMs;
    await cached.authorize(requestFor(partnerReadRoute, token));
    expect(loadKeys).toHaveBeenCalledTimes(2);
  });

  it('finds every authenticated route by its method and resource template', () => {
    for (const route of routeList) expect(routeOf(route.method, route.path)?.path).toBe(route.path);
    expect(routeOf('GET', '/no/such/route')).toBeUndefined();
  });

  it('flattens claims to what an authorizer context carries', () => {
    expect(contextOf({ sub: 's', exp: 5, flag: true, groups: ['a', 'b'], nested: { x: 1 } })).toEqual({
      sub: 's',
      exp: 5,
      flag: true,
      groups: 'a,b',
    });
  });
});

describe('caller from a Lambda authorizer context', () => {
  const eventWith = (authorizer: Record<string, unknown> | null) =>
    ({ requestContext: { authorizer } }) as unknown as APIGatewayProxyEvent;

  it("reads a user from the standby authorizer's flattened context as from Cognito claims", async () => {
    const tokens = issuer.issue('ada', ['customers', 'admins']);
    const { context, principalId } = await new StandbyAuthorizer(async () => keys).authorize(
      requestFor(adminOnlyRoute, tokens.accessToken),
    );
    const caller = callerFrom(eventWith({ principalId, integrationLatency: 3, ...context }));
    expect(caller).toMatchObject({
      principalId,
      kind: 'user',
      groups: ['customers', 'admins'],
      scopes: ['aws.cognito.signin.user.admin'],
      customerId: principalId,
    });
  });

  it('reads a partner client from the flattened context', () => {
    const caller = callerFrom(eventWith({ principalId: 'c1', sub: 'c1', client_id: 'c1', scope: 'orders/read' }));
    expect(caller).toMatchObject({ kind: 'partner', groups: [], scopes: ['orders/read'] });
  });

  it('still reads Cognito claims, and nothing from a request without an authorizer', () => {
    expect(callerFrom(eventWith({ claims: { sub: 'u1', username: 'bo' } }))?.principalId).toBe('u1');
    expect(callerFrom(eventWith(null))).toBeUndefined();
    expect(callerFrom({ requestContext: {} } as unknown as APIGatewayProxyEvent)).toBeUndefined();
  });
});

describe('mirror-signing-keys', () => {
  it("fetches the pool's JWKS and stores it under IDENTITY/JWKS, readable back", async () => {
    const stored: MirroredSigningKeys[] = [];
    const fetched: string[] = [];
    const report = await mirrorSigningKeys(
      {
        fetchJson: async (url) => {
          fetched.push(url);
          return issuer.jwks;
        },
        store: async (item) => {
          stored.push(item);
        },
        now: () => new Date('2026-02-03T04:05:06.000Z'),
      },
      'eu-west-1_AbC123',
    );
    expect(fetched).toEqual(['https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123/.well-known/jwks.json']);
    expect(report).toEqual({
      userPoolId: 'eu-west-1_AbC123',
      keyIds: [issuer.jwks.keys[0]!.kid],
      fetchedAt: '2026-02-03T04:05:06.000Z',
    });
    const item = signingKeysItem(stored[0]!);
    expect(item).toMatchObject(signingKeysItemKey);
    expect(mirroredSigningKeysFrom(item)).toEqual(stored[0]);
  });

  it('writes nothing when the answer is not a key set', async () => {
    const store = jest.fn(async () => undefined);
    for (const answer of [{ keys: [] }, { message: 'Forbidden' }, 'nope']) {
      await expect(
        mirrorSigningKeys({ fetchJson: async () => answer, store, now: () => new Date() }, 'us-east-1_X1'),
      ).rejects.toThrow(/not a JWKS/);
    }
    expect(store).not.toHaveBeenCalled();
  });

  it('refuses a malformed pool id and reads a damaged item as no keys', () => {
    expect(() => jwksUrl('not-a-pool')).toThrow(/not a user pool id/);
    expect(
      mirroredSigningKeysFrom({ ...signingKeysItemKey, userPoolId: 'p', jwks: '{', fetchedAt: 'x' }),
    ).toBeUndefined();
    expect(mirroredSigningKeysFrom(undefined)).toBeUndefined();
  });
});
