import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { environmentConfigSchema } from '../../bin/environment-config';
import { contract } from '../../functions/api/contract';
import { routeList, routes } from '../../functions/api/routes';
import { envNames, readSettings } from '../../functions/core/config/settings';
import { NotFoundError } from '../../functions/core/domain/errors';
import { httpHandler } from '../../functions/core/handlers/http-handler';
import {
  corsHeaders,
  isOrigin,
  methodsByPath,
  parseOriginList,
  preflightResponse,
  withCorsHeaders,
  withVary,
} from '../../functions/core/http/cors';
import { devEnvironment, localCorsOrigins } from '../../local/runtime/dev-config';
import { projectRoot } from '../../local/runtime/local-runtime';
import { lambdaContext } from '../../local/emulators/lambda-context';

const shop = 'https://shop.example.com';
const local = 'http://localhost:5173';
const allowed = [shop, local];
const exposed = 'Location, ETag, x-correlation-id, Retry-After, idempotent-replayed';

describe('origins', () => {
  it('accepts exact origins only: scheme://host[:port], https except on loopback hosts', () => {
    for (const origin of [shop, local, 'http://127.0.0.1:5173', 'https://shop.example.com:8443', 'http://[::1]:3000']) {
      expect([origin, isOrigin(origin)]).toEqual([origin, true]);
    }
    for (const origin of [
      'https://shop.example.com/',
      'https://shop.example.com/app',
      'https://Shop.example.com',
      'https://shop.example.com:443',
      'http://shop.example.com',
      'shop.example.com',
      '*',
      'null',
      'ftp://shop.example.com',
      'https://user@shop.example.com',
      '',
    ]) {
      expect([origin, isOrigin(origin)]).toEqual([origin, false]);
    }
  });

  it('reads comma-separated lists and names the first entry that is not an origin', () => {
    expect(parseOriginList(` ${shop} ,${local},`)).toEqual({ origins: [shop, local] });
    expect(parseOriginList(`${shop},https://x.example.com/`).invalid).toBe('https://x.example.com/');
  });

  it('is validated in the environment config and in the functions’ settings, naming the field', () => {
    const dev = devEnvironment(projectRoot);
    expect(dev.api.cors.allowedOrigins).toEqual(['http://localhost:5173', 'http://127.0.0.1:5173']);
    const broken = environmentConfigSchema.safeParse({
      ...dev,
      api: { ...dev.api, cors: { allowedOrigins: ['https://shop.example.com/'] } },
    });
    expect(broken.success).toBe(false);
    expect(broken.error?.issues[0]?.path).toEqual(['api', 'cors', 'allowedOrigins', 0]);

    expect(readSettings('cors', {}).allowedOrigins).toEqual([]);
    expect(readSettings('cors', { [envNames.cors.allowedOrigins]: `${shop},${local}` }).allowedOrigins).toEqual(
      allowed,
    );
    expect(() => readSettings('cors', { [envNames.cors.allowedOrigins]: '*' })).toThrow(/CORS_ALLOWED_ORIGINS/);
  });

  it('offline: the dev origins by default, LOCAL_CORS_ALLOWED_ORIGINS instead when set, a bad one fails the start', () => {
    const dev = devEnvironment(projectRoot);
    expect(localCorsOrigins(dev, {})).toEqual(['http://localhost:5173', 'http://127.0.0.1:5173']);
    expect(localCorsOrigins(dev, { LOCAL_CORS_ALLOWED_ORIGINS: 'http://localhost:3000' })).toEqual([
      'http://localhost:3000',
    ]);
    expect(() => localCorsOrigins(dev, { LOCAL_CORS_ALLOWED_ORIGINS: 'localhost:3000' })).toThrow(/localhost:3000/);
  });
});

describe('CORS headers', () => {
  it('echo an allowed origin exactly, never *, never credentials; always Vary and the exposed headers', () => {
    expect(corsHeaders(allowed, shop)).toEqual({
      'access-control-allow-origin': shop,
      'access-control-expose-headers': exposed,
      vary: 'Origin',
    });
    for (const origin of ['https://evil.example.com', 'https://shop.example.com.evil.example', 'null', undefined]) {
      const headers = corsHeaders(allowed, origin);
      expect(headers).not.toHaveProperty('access-control-allow-origin');
      expect(headers.vary).toBe('Origin');
    }
    // The list is exact: no case folding, no wildcard, nothing allowed by an empty list.
    expect(corsHeaders(allowed, 'https://SHOP.example.com')).not.toHaveProperty('access-control-allow-origin');
    expect(corsHeaders([], shop)).not.toHaveProperty('access-control-allow-origin');
    expect(JSON.stringify(corsHeaders(allowed, shop))).not.toMatch(/credentials|\*/i);
  });

  it("answer a preflight with the resource's methods and OPTIONS, the accepted request headers and a max age", () => {
    const preflight = preflightResponse(allowed, local, ['GET', 'POST']);
    expect(preflight).toEqual({
      status: 204,
      headers: {
        'access-control-allow-origin': local,
        'access-control-allow-methods': 'GET, POST, OPTIONS',
        'access-control-allow-headers':
          'Authorization, Content-Type, Idempotency-Key, If-None-Match, X-Api-Key, x-correlation-id',
        'access-control-max-age': '600',
        vary: 'Origin',
      },
    });
    expect(preflightResponse(allowed, 'https://evil.example.com', ['GET']).headers).not.toHaveProperty(
      'access-control-allow-origin',
    );
  });

  it('group the route table by resource', () => {
    const byPath = methodsByPath(routeList);
    expect(byPath.get('/products')).toEqual(['GET', 'POST']);
    expect(byPath.get('/products/{productId}')).toEqual(['GET', 'PATCH']);
    expect([...byPath.values()].flat()).toHaveLength(routeList.length);
  });

  it('add Origin to the Vary a response already has, once', () => {
    expect(withVary(undefined, 'Origin')).toBe('Origin');
    expect(withVary('Accept-Encoding', 'Origin')).toBe('Accept-Encoding, Origin');
    expect(withVary('origin, Accept', 'Origin')).toBe('origin, Accept');
    expect(withVary('*', 'Origin')).toBe('*');
    expect(withCorsHeaders({ vary: 'Accept', etag: '"1"' }, allowed, shop)).toEqual({
      etag: '"1"',
      vary: 'Accept, Origin',
      'access-control-allow-origin': shop,
      'access-control-expose-headers': exposed,
    });
  });
});

describe('httpHandler answers with the CORS headers', () => {
  const previous = process.env[envNames.cors.allowedOrigins];
  beforeAll(() => {
    process.env[envNames.cors.allowedOrigins] = allowed.join(',');
  });
  afterAll(() => {
    if (previous === undefined) delete process.env[envNames.cors.allowedOrigins];
    else process.env[envNames.cors.allowedOrigins] = previous;
  });

  const product = {
    productId: 'p1',
    name: 'Tea',
    description: '',
    price: { amount: 100, currency: 'EUR' },
    available: 1,
    active: true,
    stockShards: 1,
  };
  const getProduct = httpHandler(routes.getProduct, contract.getProduct, async ({ path }) => {
    if (path.productId !== 'p1') throw new NotFoundError('no such product');
    return { body: product, headers: { etag: '"v1"', 'cache-control': 'public, max-age=30', vary: 'Accept' } };
  });
  const call = (productId: string, headers: Record<string, string>) =>
    getProduct(
      {
        httpMethod: 'GET',
        path: `/products/${productId}`,
        headers,
        multiValueHeaders: {},
        body: null,
        isBase64Encoded: false,
        pathParameters: { productId },
        queryStringParameters: null,
        multiValueQueryStringParameters: null,
        stageVariables: null,
        requestContext: { requestId: 'req-1' },
      } as unknown as APIGatewayProxyEvent,
      lambdaContext('test'),
    ) as Promise<APIGatewayProxyResult>;

  it('on a success, a 304 and a problem, for an allowed origin (whatever the header name case)', async () => {
    const ok = await call('p1', { Origin: shop });
    const notModified = await call('p1', { origin: local, 'if-none-match': '"v1"' });
    const missing = await call('p2', { origin: shop });
    expect([ok.statusCode, notModified.statusCode, missing.statusCode]).toEqual([200, 304, 404]);
    expect(ok.headers).toMatchObject({ 'access-control-allow-origin': shop, vary: 'Accept, Origin' });
    expect(notModified.headers).toMatchObject({ 'access-control-allow-origin': local, vary: 'Accept, Origin' });
    expect(missing.headers).toMatchObject({
      'access-control-allow-origin': shop,
      'access-control-expose-headers': exposed,
      'content-type': 'application/problem+json',
      vary: 'Origin',
    });
  });

  it('without Allow-Origin for another origin or none, still with Vary: Origin', async () => {
    for (const headers of [{ origin: 'https://evil.example.com' }, {}] as Record<string, string>[]) {
      for (const productId of ['p1', 'p2']) {
        const result = await call(productId, headers);
        expect(result.headers).not.toHaveProperty('access-control-allow-origin');
        expect(String(result.headers?.vary)).toMatch(/\bOrigin\b/);
      }
    }
  });
});
