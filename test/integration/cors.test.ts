import { randomUUID } from 'node:crypto';
import { startTestSystem, type ApiResult, type TestSystem } from '../helpers/local-system';

/** cdk.json's dev origins: what `npm start` allows. */
const allowed = 'http://localhost:5173';
const alsoAllowed = 'http://127.0.0.1:5173';
const other = 'https://evil.example.com';

let system: TestSystem;
let alice: string;
let admin: string;

beforeAll(async () => {
  // A per-user bucket of two requests, so that one user's third call meets the gateway's own 429.
  system = await startTestSystem({ rateLimits: { perUser: { rateLimit: 0.01, burstLimit: 2 } } });
  [alice, admin] = await Promise.all([system.tokenFor('alice'), system.tokenFor('admin', ['admins'])]);
});

afterAll(async () => {
  await system?.stop();
});

/** A browser's preflight: no API key, no token, the method and headers it is about to send. */
function preflight(path: string, origin: string, method = 'POST') {
  return system.call('OPTIONS', path, {
    apiKey: null,
    headers: {
      origin,
      'access-control-request-method': method,
      'access-control-request-headers': 'authorization, content-type, idempotency-key, x-api-key',
    },
  });
}

function expectCors(result: ApiResult<unknown>, origin: string | null) {
  expect(result.headers.get('access-control-allow-origin')).toBe(origin);
  expect(result.headers.get('vary')).toMatch(/\bOrigin\b/);
  expect(result.headers.get('access-control-allow-credentials')).toBeNull();
  expect(result.headers.get('access-control-expose-headers')).toBe(
    'Location, ETag, x-correlation-id, Retry-After, idempotent-replayed',
  );
}

describe('CORS preflight through the local gateway', () => {
  it("answers an allowed origin with 204, the resource's methods and the headers the API accepts", async () => {
    const products = await preflight('/products', allowed);
    expect(products.status).toBe(204);
    expect(products.headers.get('access-control-allow-origin')).toBe(allowed);
    expect(products.headers.get('vary')).toBe('Origin');
    expect(products.headers.get('access-control-allow-methods')).toBe('GET, POST, OPTIONS');
    expect(products.headers.get('access-control-allow-headers')).toBe(
      'Authorization, Content-Type, Idempotency-Key, If-None-Match, X-Api-Key, x-correlation-id',
    );
    expect(products.headers.get('access-control-max-age')).toBe('600');
    expect(products.headers.get('access-control-allow-credentials')).toBeNull();

    const cancel = await preflight(`/orders/${randomUUID()}/cancel`, alsoAllowed);
    expect(cancel.status).toBe(204);
    expect(cancel.headers.get('access-control-allow-origin')).toBe(alsoAllowed);
    expect(cancel.headers.get('access-control-allow-methods')).toBe('POST, OPTIONS');
    const product = await preflight('/products/prod_espresso_beans', allowed, 'PATCH');
    expect(product.headers.get('access-control-allow-methods')).toBe('GET, PATCH, OPTIONS');
  });

  it('gives another origin no Allow-Origin, so its browser refuses the actual request', async () => {
    for (const origin of [other, 'http://localhost:5174', 'null']) {
      const result = await preflight('/orders', origin);
      expect(result.status).toBe(204);
      expect(result.headers.get('access-control-allow-origin')).toBeNull();
      expect(result.headers.get('vary')).toBe('Origin');
    }
  });

  it('answers 404 (with CORS headers) for a path that is no resource', async () => {
    const result = await preflight('/nowhere', allowed);
    expect(result.status).toBe(404);
    expectCors(result, allowed);
  });
});

describe('CORS headers on every answer through the local gateway', () => {
  it('on successes, their 304s and idempotent replays', async () => {
    const list = await system.call('GET', '/products', { headers: { origin: allowed } });
    expect(list.status).toBe(200);
    expectCors(list, allowed);
    const one = await system.call('GET', '/products/prod_espresso_beans', { headers: { origin: alsoAllowed } });
    expect(one.status).toBe(200);
    expectCors(one, alsoAllowed);
    const notModified = await system.call('GET', '/products/prod_espresso_beans', {
      headers: { origin: allowed, 'if-none-match': one.headers.get('etag')! },
    });
    expect(notModified.status).toBe(304);
    expectCors(notModified, allowed);

    const key = randomUUID();
    const create = () =>
      system.call('POST', '/products', {
        token: admin,
        headers: { origin: allowed, 'idempotency-key': key },
        body: { name: 'CORS mug', description: '', price: { amount: 900, currency: 'EUR' }, initialStock: 3 },
      });
    const created = await create();
    const replayed = await create();
    expect([created.status, replayed.status]).toEqual([201, 201]);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expectCors(created, allowed);
    expectCors(replayed, allowed);
  });

  it("on the handlers' problems", async () => {
    const missing = await system.call('GET', '/products/prod_nope', { headers: { origin: allowed } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
    expectCors(missing, allowed);
    const forbidden = await system.call('GET', '/admin/orders', { token: alice, headers: { origin: allowed } });
    expect(forbidden.status).toBe(403);
    expectCors(forbidden, allowed);
  });

  it("on the gateway's own errors: no token, no API key, no route, a throttled caller", async () => {
    const noToken = await system.call('GET', '/orders', { headers: { origin: allowed } });
    expect(noToken.status).toBe(401);
    expectCors(noToken, allowed);
    const noKey = await system.call('GET', '/products', { apiKey: null, headers: { origin: allowed } });
    expect(noKey.status).toBe(403);
    expectCors(noKey, allowed);
    const noRoute = await system.call('GET', '/nowhere', { headers: { origin: allowed } });
    expect(noRoute.status).toBe(404);
    expectCors(noRoute, allowed);

    const bob = await system.tokenFor('bob');
    const first = await system.call('GET', '/orders', { token: bob, headers: { origin: allowed } });
    await system.call('GET', '/orders', { token: bob });
    const throttled = await system.call('GET', '/orders', { token: bob, headers: { origin: allowed } });
    expect([first.status, throttled.status]).toEqual([200, 429]);
    expectCors(first, allowed);
    expectCors(throttled, allowed);
    expect(throttled.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('without Allow-Origin for another origin or none, with Vary: Origin still', async () => {
    const carol = await system.tokenFor('carol');
    for (const headers of [{ origin: other }, {}] as Record<string, string>[]) {
      const results = [
        await system.call('GET', '/products', { headers }),
        await system.call('GET', '/products/prod_nope', { headers }),
        await system.call('GET', '/orders', { headers }),
        await system.call('GET', '/products', { apiKey: null, headers }),
        await system.call('GET', '/nowhere', { headers }),
        await system.call('GET', '/orders', { token: carol, headers }),
      ];
      expect(results.map((result) => result.status)).toEqual([200, 404, 401, 403, 404, 200]);
      for (const result of results) expectCors(result, null);
    }
  });
});
