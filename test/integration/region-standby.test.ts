import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { roleItem } from '../../functions/core/adapters/dynamodb/region-fence';
import { startWithUser, type TestSystem } from '../helpers/local-system';
import { orderRequest } from '../helpers/fixtures';

/**
 * A standby region through the API (docs/regions.md): it serves reads, answers every write with 503 and Retry-After
 * while changing nothing, says `"role":"standby"` on /health/ready (what the failover records' health checks look
 * for), and takes writes once a promotion names it active.
 */

const beans = 'prod_espresso_beans';
let system: TestSystem;
let alice: string;
let admin: string;

beforeAll(async () => {
  ({ system, token: alice } = await startWithUser('alice', {
    regions: { region: 'us-west-2', primaryRegion: 'us-east-1', standbyRegions: ['us-west-2'] },
  }));
  admin = await system.tokenFor('admin', ['admins']);
});
afterAll(() => system?.stop());

const place = () =>
  system.call('POST', '/orders', {
    token: alice,
    body: orderRequest({ items: [{ productId: beans, quantity: 1 }], paymentToken: 'pm_card_visa' }),
  });

it('says it is a standby on /health/ready', async () => {
  const { status, body } = await system.call('GET', '/health/ready', { apiKey: null });
  expect(status).toBe(200);
  expect(body).toMatchObject({ status: 'ready', role: 'standby', region: 'us-west-2', epoch: 0 });
  expect(JSON.stringify(body)).not.toContain('"role":"active"');
});

it('serves reads', async () => {
  const { status, body } = await system.call<{ products: unknown[] }>('GET', '/products');
  expect(status).toBe(200);
  expect(body.products.length).toBeGreaterThan(0);
});

it('answers writes with 503, Retry-After and a problem naming the standby, and stores nothing', async () => {
  const before = await system.available(beans);
  const placed = await place();
  expect(placed.status).toBe(503);
  expect(placed.headers.get('retry-after')).toBe('30');
  expect(placed.headers.get('content-type')).toBe('application/problem+json');
  expect(placed.body).toMatchObject({ status: 503, code: 'REGION_STANDBY' });
  const adjusted = await system.call('POST', `/products/${beans}/stock`, {
    token: admin,
    body: { delta: 5, reason: 'restock' },
  });
  expect(adjusted.status).toBe(503);
  const orders = await system.call<{ orders: unknown[] }>('GET', '/orders', { token: alice });
  expect(orders.status).toBe(200);
  expect(orders.body.orders).toEqual([]);
  expect(await system.available(beans)).toBe(before);
});

it('takes writes once promoted, and says so', async () => {
  await system.runtime.documentClient.send(
    new PutCommand({
      TableName: system.runtime.tableName,
      Item: roleItem({
        activeRegion: 'us-west-2',
        epoch: 1,
        state: 'active',
        changedAt: new Date().toISOString(),
        previousRegion: 'us-east-1',
      }),
    }),
  );
  const ready = await system.call('GET', '/health/ready', { apiKey: null });
  expect(ready.body).toMatchObject({ role: 'active', region: 'us-west-2', epoch: 1 });
  // Single writes trust a role read up to a second old: the place-order write is a transaction, checked at once.
  const placed = await place();
  expect(placed.status).toBe(202);
  const order = await system.waitForTerminal(placed.body.orderId as string, alice);
  expect(order.status).toBe('CONFIRMED');
});
