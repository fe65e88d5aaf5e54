import { startTestSystem, type ApiResult, type TestSystem } from '../helpers/local-system';
import { orderRequest } from '../helpers/fixtures';

const beans = 'prod_espresso_beans';
const order = orderRequest({ items: [{ productId: beans, quantity: 1 }], paymentToken: 'pm_card_visa' });

function expectThrottled(result: ApiResult, code: 'THROTTLED' | 'QUOTA_EXCEEDED'): number {
  expect(result.status).toBe(429);
  expect(result.body).toMatchObject({ status: 429, title: 'Too Many Requests', code, requestId: expect.any(String) });
  expect(result.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
  const retryAfter = result.headers.get('retry-after');
  expect(retryAfter).toMatch(/^[1-9]\d*$/);
  return Number(retryAfter);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// The first system of a run compiles every handler module; on a busy machine that alone can take several seconds.
const startTimeoutMs = 30_000;

describe('rate limits through the local gateway (throttles scaled to a tenth)', () => {
  let system: TestSystem;
  let alice: string;

  beforeAll(async () => {
    // partner-standard: 1 request/s, burst 2; customer-app and POST /orders: 5/s, burst 10
    system = await startTestSystem({ rateLimits: { scale: 0.1 } });
    alice = await system.tokenFor('alice');
  }, startTimeoutMs);

  afterAll(async () => {
    await system?.stop();
  });

  it("answers 429 beyond a key's burst, keeps serving other keys, and lets no rejected request through", async () => {
    const partnerPlan = system.runtime.rateLimits.plans['partner-standard']!;
    expect(partnerPlan).toMatchObject({ rateLimit: 1, burstLimit: 2 });
    const stockBefore = await system.available(beans);
    const placedBefore = (await system.publishedEvents()).filter((event) => event.detailType === 'order.placed').length;

    // Concurrent, so they all arrive within a few milliseconds: far less than the 1 s a new token takes.
    const attempts = partnerPlan.burstLimit + 3;
    const results = await Promise.all(
      Array.from({ length: attempts }, () =>
        system.call('POST', '/orders', { token: alice, body: order, apiKey: system.apiKey('partner-standard') }),
      ),
    );
    const accepted = results.filter((result) => result.status === 202);
    const rejected = results.filter((result) => result.status !== 202);
    expect(accepted).toHaveLength(partnerPlan.burstLimit);
    expect(rejected).toHaveLength(attempts - partnerPlan.burstLimit);
    const retryAfter = Math.max(...rejected.map((result) => expectThrottled(result, 'THROTTLED')));
    for (const result of rejected) expect(result.headers.get('location')).toBeNull();

    // The customer app's key has buckets of its own, and POST /orders still has tokens for everyone.
    const other = await system.call('POST', '/orders', { token: alice, body: order });
    expect(other.status).toBe(202);

    const orderIds = [...accepted, other].map((result) => result.body.orderId as string);
    // Drain first so that each poll finds its order terminal at once and stays within the customer app's burst.
    expect(await system.runtime.drain(5_000)).toBe(true);
    for (const orderId of orderIds) expect((await system.waitForTerminal(orderId, alice)).status).toBe('CONFIRMED');
    const placed = (await system.publishedEvents()).filter((event) => event.detailType === 'order.placed');
    expect(placed).toHaveLength(placedBefore + orderIds.length);
    expect(await system.available(beans)).toBe(stockBefore - orderIds.length);
    const listed = await system.call<{ orders: { orderId: string }[] }>('GET', '/orders', { token: alice });
    expect(listed.status).toBe(200);
    expect(listed.body.orders.map((listedOrder) => listedOrder.orderId).sort()).toEqual([...orderIds].sort());

    // Retry-After is a promise: after it, the throttled key is served again.
    await sleep(retryAfter * 1000);
    const again = await system.call('GET', '/orders', { token: alice, apiKey: system.apiKey('partner-standard') });
    expect(again.status).toBe(200);
  }, 20_000);

  it('draws on key buckets only where the method requires a key', async () => {
    const partnerKey = system.apiKey('partner-standard');
    // One more than the burst: whatever the key has left from the test before, it ends up empty.
    const attempts = system.runtime.rateLimits.plans['partner-standard']!.burstLimit + 1;
    const products = await Promise.all(
      Array.from({ length: attempts }, () => system.call('GET', '/products', { apiKey: partnerKey })),
    );
    expect(products.map((result) => result.status)).toContain(429);
    // GET /health needs no key, so the spent partner key is no reason to refuse it there.
    expect((await system.call('GET', '/health', { apiKey: partnerKey })).status).toBe(200);
  });
});

describe('daily quota and per-user buckets through the local gateway', () => {
  let system: TestSystem;

  beforeAll(async () => {
    system = await startTestSystem({ rateLimits: { quotaPerDay: 3, perUser: { rateLimit: 0.5, burstLimit: 1 } } });
  }, startTimeoutMs);

  afterAll(async () => {
    await system?.stop();
  });

  it('answers QUOTA_EXCEEDED once a key has spent its quota, with Retry-After until midnight UTC', async () => {
    const partnerKey = system.apiKey('partner-standard');
    for (let i = 0; i < 3; i++)
      expect((await system.call('GET', '/products', { apiKey: partnerKey })).status).toBe(200);
    const spent = await system.call('GET', '/products', { apiKey: partnerKey });
    const secondsToMidnight = (new Date().setUTCHours(24, 0, 0, 0) - Date.now()) / 1000;
    const retryAfter = expectThrottled(spent, 'QUOTA_EXCEEDED');
    expect(Math.abs(retryAfter - secondsToMidnight)).toBeLessThanOrEqual(2);
    expect((await system.call('GET', '/products')).status).toBe(200);
  });

  it('throttles each signed-in user on their own when a per-user limit is set, before the handler runs', async () => {
    const [carol, dave] = await Promise.all([system.tokenFor('carol'), system.tokenFor('dave')]);
    expect((await system.call('GET', '/orders', { token: carol })).status).toBe(200);
    const second = await system.call('POST', '/orders', { token: carol, body: order });
    expect(expectThrottled(second, 'THROTTLED')).toBe(2);
    expect(await system.publishedEvents()).toEqual([]);
    expect((await system.call('GET', '/orders', { token: dave })).status).toBe(200);
  });
});
