import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startFailoverRouter, type FailoverRouter } from '../../local/regions/failover-router';

/**
 * The failover router in front of two stub regions whose /health/ready the test controls: Route 53's failover
 * answer (thresholds, string matching, all unhealthy) and a faithful proxy.
 */

interface StubRegion {
  readonly name: string;
  readonly url: string;
  /** What /health/ready answers now. */
  health: { status: number; body: string; delayMs?: number };
  /** Health checks received so far. */
  readonly checks: () => number;
  readonly received: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[];
  close(): Promise<void>;
}

const active = (region: string) => JSON.stringify({ status: 'ready', role: 'active', region });
const standby = (region: string) => JSON.stringify({ status: 'ready', role: 'standby', region });

async function stubRegion(name: string): Promise<StubRegion> {
  let checks = 0;
  const stub = {
    name,
    checks: () => checks,
    health: { status: 200, body: active(name) } as StubRegion['health'],
    received: [] as StubRegion['received'],
  };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.url === '/health/ready') {
        checks += 1;
        const { status, body, delayMs } = stub.health;
        setTimeout(() => response.writeHead(status, { 'content-type': 'application/json' }).end(body), delayMs ?? 0);
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      stub.received.push({ method: request.method!, url: request.url!, headers: request.headers, body });
      response.writeHead(201, 'Created Here', {
        'content-type': 'application/problem+json',
        'retry-after': '3',
        'set-cookie': ['a=1', 'b=2'],
        'x-region': name,
      });
      response.end(JSON.stringify({ echoed: body, region: name }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return Object.assign(stub, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}

let east: StubRegion;
let west: StubRegion;
let router: FailoverRouter | undefined;
const intervalMs = 40;

beforeEach(async () => {
  east = await stubRegion('us-east-1');
  west = await stubRegion('us-west-2');
});
afterEach(async () => {
  await router?.stop();
  router = undefined;
  await east.close();
  await west.close();
});

function start(overrides: { failureThreshold?: number; searchString?: string } = {}) {
  return startFailoverRouter({
    primary: { name: east.name, url: east.url },
    secondary: { name: west.name, url: west.url },
    intervalMs,
    failureThreshold: overrides.failureThreshold ?? 3,
    timeoutMs: 200,
    ...(overrides.searchString === undefined ? {} : { searchString: overrides.searchString }),
  });
}

async function until(check: () => boolean, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test('proxies method, path, query, headers and body, and answers with the status, headers and body it got', async () => {
  router = await start();
  const response = await fetch(`${router.url}/orders/o-1?expand=history&x=%20y`, {
    method: 'PATCH',
    headers: { authorization: 'Bearer t', 'x-api-key': 'k', 'idempotency-key': 'idem-1', 'content-type': 'text/plain' },
    body: 'the body, unchanged: ü',
  });
  expect(response.status).toBe(201);
  expect(response.statusText).toBe('Created Here');
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  expect(response.headers.get('retry-after')).toBe('3');
  expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
  expect(response.headers.get('x-failover-target')).toBe('us-east-1');
  expect(await response.json()).toEqual({ echoed: 'the body, unchanged: ü', region: 'us-east-1' });
  expect(east.received).toHaveLength(1);
  expect(east.received[0]).toMatchObject({
    method: 'PATCH',
    url: '/orders/o-1?expand=history&x=%20y',
    body: 'the body, unchanged: ü',
    headers: { authorization: 'Bearer t', 'x-api-key': 'k', 'idempotency-key': 'idem-1', 'content-type': 'text/plain' },
  });
  expect(west.received).toHaveLength(0);
});

test('fails over only after the threshold of consecutive failures, and back after as many successes', async () => {
  const eastChecks = east.checks;
  router = await start({ failureThreshold: 3 });
  await until(() => eastChecks() >= 2);
  east.health = { status: 503, body: '{"title":"Service Unavailable"}' };
  const failingFrom = eastChecks();
  await until(() => router!.activeTarget().name === 'us-west-2');
  // The third failing check flips it, not the first or second.
  expect(eastChecks() - failingFrom).toBeGreaterThanOrEqual(3);
  expect(router.events).toEqual([expect.objectContaining({ from: 'us-east-1', to: 'us-west-2' })]);
  expect((await fetch(`${router.url}/orders`)).headers.get('x-region')).toBe('us-west-2');

  east.health = { status: 200, body: active('us-east-1') };
  const passingFrom = eastChecks();
  await until(() => router!.activeTarget().name === 'us-east-1');
  expect(eastChecks() - passingFrom).toBeGreaterThanOrEqual(3);
  expect(router.events.map((event) => event.to)).toEqual(['us-west-2', 'us-east-1']);
});

test('one failing check between passing ones changes nothing', async () => {
  const eastChecks = east.checks;
  router = await start({ failureThreshold: 2 });
  for (let round = 0; round < 4; round++) {
    east.health = { status: 500, body: '' };
    const from = eastChecks();
    await until(() => eastChecks() > from);
    east.health = { status: 200, body: active('us-east-1') };
    const back = eastChecks();
    await until(() => eastChecks() > back);
  }
  expect(router.events).toEqual([]);
  expect(router.activeTarget().name).toBe('us-east-1');
});

test('follows the search string: a primary that answers 200 as a standby is unhealthy', async () => {
  router = await start({ failureThreshold: 1 });
  west.health = { status: 200, body: standby('us-west-2') };
  // A promotion: the old primary now says standby, the new one active.
  east.health = { status: 200, body: standby('us-east-1') };
  // Neither passes: Route 53 answers with the primary.
  await until(() => !router!.healthy('us-east-1') && !router!.healthy('us-west-2'));
  expect(router.activeTarget().name).toBe('us-east-1');
  west.health = { status: 200, body: active('us-west-2') };
  await until(() => router!.activeTarget().name === 'us-west-2');
  expect(router.events.at(-1)).toMatchObject({ from: 'us-east-1', to: 'us-west-2' });
});

test('a slow answer fails the check, and the search string is configurable', async () => {
  router = await startFailoverRouter({
    primary: { name: east.name, url: east.url },
    secondary: { name: west.name, url: west.url },
    intervalMs,
    failureThreshold: 1,
    timeoutMs: 100,
    searchString: '"status":"ready"',
  });
  east.health = { status: 200, body: active('us-east-1'), delayMs: 300 };
  await until(() => router!.activeTarget().name === 'us-west-2');
  // Standby or not, "status":"ready" passes with this search string.
  east.health = { status: 200, body: standby('us-east-1') };
  await until(() => router!.activeTarget().name === 'us-east-1');
});

test('a target that does not answer gets the client a 502 until the health checks move the traffic', async () => {
  router = await start({ failureThreshold: 1_000 });
  await east.close();
  const answer = await fetch(`${router.url}/orders`, { method: 'POST', body: '{}' });
  expect(answer.status).toBe(502);
  expect(answer.headers.get('content-type')).toBe('application/problem+json');
  expect(answer.headers.get('x-failover-target')).toBe('us-east-1');
  expect(router.activeTarget().name).toBe('us-east-1');
});
