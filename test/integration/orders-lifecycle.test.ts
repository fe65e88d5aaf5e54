import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../functions/core/data/table-design';
import { startTestSystem, type TestSystem } from '../helpers/local-system';
import { orderRequest } from '../helpers/fixtures';
import { readHolds } from '../helpers/reliability';

let system: TestSystem;
let alice: string;
let bob: string;
let admin: string;

beforeAll(async () => {
  system = await startTestSystem();
  [alice, bob, admin] = await Promise.all([
    system.tokenFor('alice'),
    system.tokenFor('bob'),
    system.tokenFor('admin', ['admins']),
  ]);
});

afterAll(async () => {
  await system?.stop();
});

async function product(productId: string) {
  const { Item } = await system.runtime.documentClient.send(
    new GetCommand({ TableName: system.runtime.tableName, Key: keys.product(productId), ConsistentRead: true }),
  );
  return Item!;
}

const holdsOf = (orderId: string) => readHolds(system.runtime.documentClient, system.runtime.tableName, orderId);

async function confirmedOrder(token = alice, productId = 'prod_espresso_beans', quantity = 1) {
  const placed = await system.call('POST', '/orders', {
    token,
    body: orderRequest({ items: [{ productId, quantity }], paymentToken: 'pm_card_visa' }),
  });
  expect(placed.status).toBe(202);
  const order = await system.waitForTerminal(placed.body.orderId as string, token);
  expect(order.status).toBe('CONFIRMED');
  return order.orderId as string;
}

describe('cancelling', () => {
  it('cancels a confirmed order: payment voided, stock back, event published, repeatable', async () => {
    const before = (await product('prod_pour_over_kettle')).available as number;
    const orderId = await confirmedOrder(alice, 'prod_pour_over_kettle', 2);
    expect((await product('prod_pour_over_kettle')).available).toBe(before - 2);

    const cancelled = await system.call('POST', `/orders/${orderId}/cancel`, { token: alice });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('CANCELLED');
    await system.runtime.drain(10_000);

    expect((await product('prod_pour_over_kettle')).available).toBe(before);
    expect(await holdsOf(orderId)).toEqual([]);
    expect(system.liveAuthorizations(orderId)).toEqual([]);
    expect(system.runtime.payments.paymentIntents().find((a) => a.metadata.orderId === orderId)?.status).toBe(
      'canceled',
    );
    const types = (await system.publishedEvents())
      .filter((event) => (event.detail as { data: { orderId: string } }).data.orderId === orderId)
      .map((event) => event.detailType);
    expect(types).toEqual(['order.placed', 'order.confirmed', 'order.cancelled']);

    const again = await system.call('POST', `/orders/${orderId}/cancel`, { token: alice });
    expect(again.status).toBe(200);
    await system.runtime.drain(10_000);
    expect((await product('prod_pour_over_kettle')).available).toBe(before);
  });

  it('refuses to cancel a failed order with 409 ORDER_NOT_CANCELLABLE', async () => {
    const placed = await system.call('POST', '/orders', {
      token: alice,
      body: orderRequest({
        items: [{ productId: 'prod_espresso_beans', quantity: 1 }],
        paymentToken: 'pm_card_chargeDeclined',
      }),
    });
    await system.waitForTerminal(placed.body.orderId as string, alice);
    const refused = await system.call('POST', `/orders/${placed.body.orderId as string}/cancel`, { token: alice });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'ORDER_NOT_CANCELLABLE' });
  });

  it("answers 404 for someone else's order and changes nothing", async () => {
    const orderId = await confirmedOrder(alice);
    const refused = await system.call('POST', `/orders/${orderId}/cancel`, { token: bob });
    expect(refused.status).toBe(404);
    expect((await system.call('GET', `/orders/${orderId}`, { token: alice })).body.status).toBe('CONFIRMED');
  });

  it('rejects a body on cancel', async () => {
    const orderId = await confirmedOrder(alice);
    expect(
      (await system.call('POST', `/orders/${orderId}/cancel`, { token: alice, body: { reason: 'x' } })).status,
    ).toBe(400);
  });
});

describe('fulfilling (admins)', () => {
  it('captures the payment, commits the held stock as sold and marks the order FULFILLED, once', async () => {
    const orderId = await confirmedOrder(alice, 'prod_burr_grinder', 2);
    const before = await product('prod_burr_grinder');

    const fulfilled = await system.call('POST', `/admin/orders/${orderId}/fulfill`, { token: admin });
    expect(fulfilled.status).toBe(200);
    expect(fulfilled.body).toMatchObject({ orderId, status: 'FULFILLED', customerId: expect.any(String) });

    const after = await product('prod_burr_grinder');
    expect(after.available).toBe(before.available);
    expect(after.sold).toBe(((before.sold as number | undefined) ?? 0) + 2);
    expect(await holdsOf(orderId)).toEqual([]);
    expect(system.runtime.payments.paymentIntents().find((a) => a.metadata.orderId === orderId)?.status).toBe(
      'succeeded',
    );

    const again = await system.call('POST', `/admin/orders/${orderId}/fulfill`, { token: admin });
    expect(again.status).toBe(200);
    expect((await product('prod_burr_grinder')).sold).toBe(after.sold);

    const cancel = await system.call('POST', `/orders/${orderId}/cancel`, { token: alice });
    expect(cancel.status).toBe(409);
    expect(cancel.body).toMatchObject({ code: 'ORDER_NOT_CANCELLABLE' });
  });

  it('refuses orders that are not confirmed, customers, and unknown orders', async () => {
    const placed = await system.call('POST', '/orders', {
      token: alice,
      body: orderRequest({
        items: [{ productId: 'prod_espresso_beans', quantity: 1 }],
        paymentToken: 'pm_card_chargeDeclined',
      }),
    });
    const failedId = placed.body.orderId as string;
    await system.waitForTerminal(failedId, alice);
    const refused = await system.call('POST', `/admin/orders/${failedId}/fulfill`, { token: admin });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'ORDER_NOT_FULFILLABLE' });

    expect((await system.call('POST', `/admin/orders/${failedId}/fulfill`, { token: alice })).status).toBe(403);
    expect((await system.call('POST', '/admin/orders/ord_unknown/fulfill', { token: admin })).status).toBe(404);
  });

  it('a cancellation that wins the race leaves nothing captured or sold', async () => {
    const orderId = await confirmedOrder(alice, 'prod_paper_filters', 3);
    const before = await product('prod_paper_filters');
    await system.call('POST', `/orders/${orderId}/cancel`, { token: alice });
    await system.runtime.drain(10_000);
    const fulfil = await system.call('POST', `/admin/orders/${orderId}/fulfill`, { token: admin });
    expect(fulfil.status).toBe(409);
    const after = await product('prod_paper_filters');
    expect(after.sold ?? 0).toBe(before.sold ?? 0);
    expect(after.available).toBe((before.available as number) + 3);
    expect(system.runtime.payments.paymentIntents().find((a) => a.metadata.orderId === orderId)?.status).toBe(
      'canceled',
    );
  });
});

describe('reading orders', () => {
  it("lists only the caller's orders, newest first, with a status filter and pagination", async () => {
    const carol = await system.tokenFor('carol');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await confirmedOrder(carol));
    const declined = await system.call('POST', '/orders', {
      token: carol,
      body: orderRequest({
        items: [{ productId: 'prod_espresso_beans', quantity: 1 }],
        paymentToken: 'pm_card_chargeDeclined',
      }),
    });
    await system.waitForTerminal(declined.body.orderId as string, carol);

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await system.call<{ orders: { orderId: string }[]; nextCursor?: string }>(
        'GET',
        `/orders?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        { token: carol },
      );
      expect(page.status).toBe(200);
      expect(page.body.orders.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.orders.map((order) => order.orderId));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual([declined.body.orderId, ...[...ids].reverse()]);

    const failedOnly = await system.call<{ orders: { status: string }[] }>('GET', '/orders?status=FAILED', {
      token: carol,
    });
    expect(failedOnly.body.orders.map((order) => order.status)).toEqual(['FAILED']);

    const others = await system.call<{ orders: unknown[] }>('GET', '/orders', { token: await system.tokenFor('dave') });
    expect(others.body.orders).toEqual([]);
  });

  it('rejects a forged cursor and unknown query parameters with 400', async () => {
    expect((await system.call('GET', '/orders?cursor=bm90LWEtY3Vyc29y', { token: alice })).status).toBe(400);
    expect((await system.call('GET', '/orders?sort=asc', { token: alice })).status).toBe(400);
    expect((await system.call('GET', '/orders?limit=1000', { token: alice })).status).toBe(400);
  });

  it('returns the history oldest first, hides it from others, and answers 304 when unchanged', async () => {
    const orderId = await confirmedOrder(alice);
    const history = await system.call<{ history: { status: string; at: string }[] }>(
      'GET',
      `/orders/${orderId}/history`,
      {
        token: alice,
      },
    );
    expect(history.status).toBe(200);
    expect(history.body.history.map((entry) => entry.status)).toEqual([
      'PENDING',
      'RESERVED',
      'AUTHORIZED',
      'CONFIRMED',
    ]);
    expect((await system.call('GET', `/orders/${orderId}/history`, { token: bob })).status).toBe(404);

    const first = await system.call('GET', `/orders/${orderId}`, { token: alice });
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"\d+"$/);
    const notModified = await system.call('GET', `/orders/${orderId}`, {
      token: alice,
      headers: { 'if-none-match': etag },
    });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get('etag')).toBe(etag);
    await system.call('POST', `/orders/${orderId}/cancel`, { token: alice });
    const changed = await system.call('GET', `/orders/${orderId}`, {
      token: alice,
      headers: { 'if-none-match': etag },
    });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    expect(changed.headers.get('cache-control')).toContain('private');
  });
});

describe('admin order listing', () => {
  it('pages through one status across write shards without gaps or repeats, newest first', async () => {
    const erin = await system.tokenFor('erin');
    const placed = new Set<string>();
    for (let i = 0; i < 12; i++) placed.add(await confirmedOrder(erin, 'prod_paper_filters'));
    const from = new Date(Date.now() - 10 * 60_000).toISOString();

    const seen: { orderId: string; createdAt: string }[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await system.call<{
        orders: { orderId: string; createdAt: string; status: string }[];
        nextCursor?: string;
      }>(
        'GET',
        `/admin/orders?status=CONFIRMED&from=${from}&limit=5${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        { token: admin },
      );
      expect(page.status).toBe(200);
      expect(page.body.orders.every((order) => order.status === 'CONFIRMED')).toBe(true);
      seen.push(...page.body.orders);
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor && pages < 50);
    const ids = seen.map((order) => order.orderId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of placed) expect(ids).toContain(id);
    const times = seen.map((order) => order.createdAt);
    expect([...times].sort().reverse()).toEqual(times);

    const future = new Date(Date.now() + 60_000).toISOString();
    const none = await system.call<{ orders: unknown[] }>('GET', `/admin/orders?status=CONFIRMED&from=${future}`, {
      token: admin,
    });
    expect(none.body.orders).toEqual([]);
  });

  it('requires a status and an admin', async () => {
    expect((await system.call('GET', '/admin/orders', { token: admin })).status).toBe(400);
    expect((await system.call('GET', '/admin/orders?status=CONFIRMED', { token: alice })).status).toBe(403);
  });
});
