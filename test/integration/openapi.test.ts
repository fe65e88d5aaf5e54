import { startTestSystem, type TestSystem } from '../helpers/local-system';

let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem();
});

afterAll(async () => {
  await system?.stop();
});

describe('GET /openapi.json through the local gateway', () => {
  it('serves the OpenAPI 3.1 document without an API key or token', async () => {
    const { status, headers, body } = await system.call<{ openapi: string; paths: Record<string, unknown> }>(
      'GET',
      '/openapi.json',
      { apiKey: null },
    );
    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/^application\/json/);
    expect(headers.get('cache-control')).toBe('public, max-age=300');
    expect(headers.get('etag')).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(body.openapi).toBe('3.1.0');
    expect(Object.keys(body.paths)).toEqual(expect.arrayContaining(['/openapi.json', '/orders', '/products']));
  });

  it('answers 304 without a body when the client holds the current copy', async () => {
    const first = await system.call('GET', '/openapi.json', { apiKey: null });
    const etag = first.headers.get('etag')!;
    const response = await fetch(`${system.runtime.apiUrl}/openapi.json`, { headers: { 'if-none-match': etag } });
    expect(response.status).toBe(304);
    expect(response.headers.get('etag')).toBe(etag);
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    expect(await response.text()).toBe('');

    const stale = await fetch(`${system.runtime.apiUrl}/openapi.json`, { headers: { 'if-none-match': '"stale"' } });
    expect(stale.status).toBe(200);
    await stale.arrayBuffer();
  });
});

describe('GET /docs through the local gateway', () => {
  it('serves the page with a restrictive Content-Security-Policy', async () => {
    const response = await fetch(`${system.runtime.apiUrl}/docs`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const policy = response.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("script-src 'self'");
    expect(policy).not.toMatch(/unsafe-inline|unsafe-eval|\*|https?:/);
    expect(await response.text()).toContain('/docs/swagger-ui-bundle.js');
  });

  it.each([
    ['/docs/swagger-ui-bundle.js', 'text/javascript; charset=utf-8'],
    ['/docs/swagger-ui.css', 'text/css; charset=utf-8'],
    ['/docs/docs-init.js', 'text/javascript; charset=utf-8'],
  ])('serves %s from node_modules', async (path, type) => {
    const response = await fetch(`${system.runtime.apiUrl}${path}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(type);
    expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(100);
  });

  it('answers 404 for other docs paths and 405 for other methods, not the API 403', async () => {
    // Only the listed files: nothing else under node_modules/swagger-ui-dist (or anywhere) is reachable.
    const missing = await fetch(`${system.runtime.apiUrl}/docs/package.json`);
    expect(missing.status).toBe(404);
    await missing.arrayBuffer();
    const post = await fetch(`${system.runtime.apiUrl}/docs`, { method: 'POST' });
    expect(post.status).toBe(405);
    await post.arrayBuffer();
  });
});
