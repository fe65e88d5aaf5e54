import { DeleteCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { queryPartitionPrefix } from '../../functions/core/adapters/dynamodb/pagination';
import { keys } from '../../functions/core/data/table-design';
import { orderIdFor } from '../../functions/core/use-cases/orders/place-order';
import { userSub } from '../../local/emulators/token-issuer';
import { startWithUser, type TestSystem } from '../helpers/local-system';
import { orderRequest } from '../helpers/fixtures';

let system: TestSystem;
let alice: string;
beforeAll(async () => ({ system, token: alice } = await startWithUser('alice')));
afterAll(() => system?.stop());

const order = (quantity = 1, paymentToken = 'pm_card_visa') =>
  orderRequest({
    items: [{ productId: 'prod_espresso_beans', quantity }],
    paymentToken,
  });

/** POST /orders with an Idempotency-Key: alice's default order unless the test says whose and which. */
const placeWithKey = (key: string, { token = alice, body = order() as object } = {}) =>
  system.call('POST', '/orders', { token, body, headers: { 'idempotency-key': key } });

async function ordersOf(customerId: string) {
  const { Items = [] } = await system.runtime.documentClient.send(
    new QueryCommand({
      TableName: system.runtime.tableName,
      IndexName: 'GSI1',
      KeyConditionExpression: 'GSI1PK = :customer',
      ExpressionAttributeValues: { ':customer': `CUSTOMER#${customerId}` },
    }),
  );
  return Items;
}

async function historyOf(orderId: string) {
  const { documentClient, tableName } = system.runtime;
  const items = await queryPartitionPrefix(documentClient, tableName, keys.order(orderId).PK, keys.orderHistoryPrefix);
  return items.map((item) => item.SK as string);
}

describe('Idempotency-Key on POST /orders', () => {
  it('replays the first answer for the same key and body, and derives the order id from the key', async () => {
    const key = `checkout-${Date.now()}`;
    const first = await placeWithKey(key);
    expect(first.status).toBe(202);
    expect(first.headers.get('idempotent-replayed')).toBe('false');
    expect(first.body.orderId).toBe(orderIdFor(userSub('alice'), key));

    const replay = await placeWithKey(key);
    expect(replay.status).toBe(202);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(first.body);
    await system.waitForTerminal(first.body.orderId as string, alice);
    expect(
      system.runtime.payments.paymentIntents().filter((a) => a.metadata.orderId === first.body.orderId),
    ).toHaveLength(1);
  });

  it('refuses the same key with a different body with 422 and changes nothing', async () => {
    const key = `reuse-${Date.now()}`;
    await placeWithKey(key, { body: order(1) });
    await system.runtime.drain(10_000);
    const before = (await ordersOf(userSub('alice'))).length;
    const reused = await placeWithKey(key, { body: order(2) });
    expect(reused.status).toBe(422);
    expect(reused.body).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
    expect((await ordersOf(userSub('alice'))).length).toBe(before);
  });

  it('answers a key whose stored response expired with the order it created, and writes no second one', async () => {
    const grace = await system.tokenFor('grace');
    const key = `expired-${Date.now()}`;
    const first = await placeWithKey(key, { token: grace });
    expect(first.status).toBe(202);
    await system.waitForTerminal(first.body.orderId as string, grace);
    // The stored responses expire (their TTL); removing them is what expiry does.
    const idempotencyTable = `${system.runtime.tableName}-idempotency`;
    const { Items: records = [] } = await system.runtime.documentClient.send(
      new ScanCommand({ TableName: idempotencyTable }),
    );
    for (const record of records) {
      await system.runtime.documentClient.send(
        new DeleteCommand({ TableName: idempotencyTable, Key: { id: record.id } }),
      );
    }
    const historyBefore = await historyOf(first.body.orderId as string);

    const again = await placeWithKey(key, { token: grace });
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('false');
    expect(again.body).toMatchObject({ orderId: first.body.orderId, status: 'CONFIRMED' });
    await system.runtime.drain(10_000);
    expect(await ordersOf(userSub('grace'))).toHaveLength(1);
    expect(await historyOf(first.body.orderId as string)).toEqual(historyBefore);
    expect(
      system.runtime.payments.paymentIntents().filter((a) => a.metadata.orderId === first.body.orderId),
    ).toHaveLength(1);
  });

  it('creates exactly one order and one authorization for truly concurrent duplicates', async () => {
    const frank = await system.tokenFor('frank');
    const key = `double-click-${Date.now()}`;
    const responses = await Promise.all(Array.from({ length: 8 }, () => placeWithKey(key, { token: frank })));
    const statuses = responses.map((response) => response.status);
    expect(statuses.every((status) => status === 202 || status === 409)).toBe(true);
    expect(statuses).toContain(202);
    for (const response of responses.filter((r) => r.status === 409)) {
      expect(response.body).toMatchObject({ code: 'IDEMPOTENCY_KEY_IN_USE' });
    }
    const orderIds = new Set(responses.filter((r) => r.status === 202).map((r) => r.body.orderId));
    expect(orderIds.size).toBe(1);
    await system.runtime.drain(10_000);
    expect(await ordersOf(userSub('frank'))).toHaveLength(1);
    const [orderId] = [...orderIds] as string[];
    expect(system.runtime.payments.paymentIntents().filter((a) => a.metadata.orderId === orderId)).toHaveLength(1);
  });

  it('keys are per caller: the same key from another customer is a different order', async () => {
    const key = `shared-${Date.now()}`;
    const grace = await system.tokenFor('grace');
    const a = await placeWithKey(key);
    const b = await placeWithKey(key, { token: grace });
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    expect(a.body.orderId).not.toBe(b.body.orderId);
  });

  it('rejects a malformed key with 400', async () => {
    const response = await placeWithKey('has spaces in it');
    expect(response.status).toBe(400);
  });

  it('does not store failures: a rejected request can be retried with the same key', async () => {
    const key = `retry-${Date.now()}`;
    const retired = orderRequest({
      items: [{ productId: 'prod_retired_scale', quantity: 1 }],
      paymentToken: 'pm_card_visa',
    });
    const bad = await placeWithKey(key, { body: retired });
    expect(bad.status).toBe(422);
    const good = await placeWithKey(key, { body: retired });
    expect(good.status).toBe(422);
    expect(good.headers.get('idempotent-replayed')).toBeNull();
  });

  it('replays cancel and fulfil too', async () => {
    const placed = await system.call('POST', '/orders', { token: alice, body: order() });
    const orderId = placed.body.orderId as string;
    await system.waitForTerminal(orderId, alice);
    const key = `cancel-${orderId}`;
    const first = await system.call('POST', `/orders/${orderId}/cancel`, {
      token: alice,
      headers: { 'idempotency-key': key },
    });
    const second = await system.call('POST', `/orders/${orderId}/cancel`, {
      token: alice,
      headers: { 'idempotency-key': key },
    });
    expect(first.status).toBe(200);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.body).toEqual(first.body);
  });
});

describe('partners (client credentials + API key under their own plan)', () => {
  it('places and reads orders as their own customer', async () => {
    const partner = await system.partnerToken();
    const apiKey = system.apiKey('partner-standard');
    const placed = await system.call('POST', '/orders', { token: partner, apiKey, body: order() });
    expect(placed.status).toBe(202);
    const orderId = placed.body.orderId as string;
    const seen = await system.call('GET', `/orders/${orderId}`, { token: partner, apiKey });
    expect(seen.status).toBe(200);
    const listed = await system.call<{ orders: { orderId: string }[] }>('GET', '/orders', { token: partner, apiKey });
    expect(listed.body.orders.map((o) => o.orderId)).toContain(orderId);
    // A customer cannot see the partner's order, nor the partner a customer's.
    expect((await system.call('GET', `/orders/${orderId}`, { token: alice })).status).toBe(404);
  });

  it('needs the right scope: a read-only client cannot place orders', async () => {
    const reader = await system.partnerToken('orders/read');
    const apiKey = system.apiKey('partner-standard');
    expect((await system.call('GET', '/orders', { token: reader, apiKey })).status).toBe(200);
    expect((await system.call('POST', '/orders', { token: reader, apiKey, body: order() })).status).toBe(401);
  });

  it('never reaches admin routes', async () => {
    const partner = await system.partnerToken();
    const apiKey = system.apiKey('partner-standard');
    expect((await system.call('GET', '/admin/orders?status=CONFIRMED', { token: partner, apiKey })).status).toBe(401);
  });

  it('refuses a wrong client secret or scope at the token endpoint', async () => {
    const response = await fetch(`${system.runtime.apiUrl}/local/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&client_id=${system.partner('partner-a').clientId}&client_secret=wrong`,
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'invalid_client' });
  });

  it('ID tokens are refused on scoped routes, as the Cognito authorizer with scopes does', async () => {
    const idToken = await system.idTokenFor('alice');
    expect((await system.call('GET', '/orders', { token: idToken })).status).toBe(401);
  });
});
