import { startWithUser, type TestSystem } from '../helpers/local-system';
import { orderRequest } from '../helpers/fixtures';

const beans = 'prod_espresso_beans';
const kettle = 'prod_pour_over_kettle';
const mug = 'prod_limited_mug';

let system: TestSystem;
let alice: string;
beforeAll(async () => ({ system, token: alice } = await startWithUser('alice')));
afterAll(() => system?.stop());

async function place(items: { productId: string; quantity: number }[], paymentToken: string, token = alice) {
  const placed = await system.call('POST', '/orders', { token, body: orderRequest({ items, paymentToken }) });
  expect(placed.status).toBe(202);
  return placed;
}

describe('catalog and health', () => {
  it('answers the liveness check without a token', async () => {
    const { status, body } = await system.call('GET', '/health');
    expect(status).toBe(200);
    expect(body).toEqual({ status: 'ok' });
  });

  it('lists the seeded catalog with integer minor-unit prices and stock', async () => {
    const { status, body } = await system.call<{ products: Record<string, unknown>[] }>('GET', '/products');
    expect(status).toBe(200);
    const beansEntry = body.products.find((product) => product.productId === beans);
    expect(beansEntry).toMatchObject({ price: { amount: 2490, currency: 'EUR' }, available: 100, active: true });
    for (const product of body.products) {
      expect(Number.isInteger((product.price as { amount: number }).amount)).toBe(true);
      expect(product).not.toHaveProperty('PK');
    }
  });
});

describe('placing an order', () => {
  it('accepts it with 202, prices it from the catalog and confirms it through the saga', async () => {
    const before = await system.available(beans);
    const placed = await place(
      [
        { productId: beans, quantity: 2 },
        { productId: kettle, quantity: 1 },
      ],
      'pm_card_visa',
    );
    const orderId = placed.body.orderId as string;
    expect(placed.headers.get('location')).toBe(`/orders/${orderId}`);
    expect(placed.body).toMatchObject({
      status: 'PENDING',
      total: { amount: 2 * 2490 + 5900, currency: 'EUR' },
      items: [
        {
          productId: beans,
          quantity: 2,
          unitPrice: { amount: 2490, currency: 'EUR' },
          lineTotal: { amount: 4980, currency: 'EUR' },
        },
        { productId: kettle, quantity: 1, unitPrice: { amount: 5900, currency: 'EUR' } },
      ],
    });

    const final = await system.waitForTerminal(orderId, alice);
    expect(final.status).toBe('CONFIRMED');
    expect(final).not.toHaveProperty('failureReason');
    expect(await system.available(beans)).toBe(before - 2);

    // The event is published just after the status write: let the saga finish before reading the bus.
    await system.runtime.drain(10_000);
    const authorizations = system.liveAuthorizations(orderId);
    expect(authorizations).toHaveLength(1);
    expect(authorizations[0]).toMatchObject({ amount: 10880, currency: 'eur', capture_method: 'manual' });

    const events = (await system.publishedEvents()).filter(
      (event) => (event.detail as { data: { orderId: string } }).data.orderId === orderId,
    );
    expect(events.map((event) => event.detailType)).toEqual(['order.placed', 'order.confirmed']);
    expect((events[1]!.detail as { id: string }).id).toBe(`${orderId}:order.confirmed`);
    // Events are archived and reach every consumer: the payment method token never travels with them.
    for (const event of events) {
      expect(event.detail).toMatchObject({ version: 2 });
      const data = (event.detail as { data: Record<string, unknown> }).data;
      expect(data).toMatchObject({ orderId, status: expect.any(String) });
      expect(Object.keys(data)).not.toEqual(expect.arrayContaining(['paymentMethod']));
      expect(JSON.stringify(data)).not.toContain('pm_card_visa');
    }
  });

  it('merges repeated lines for one product into one reservation', async () => {
    const placed = await place(
      [
        { productId: beans, quantity: 1 },
        { productId: beans, quantity: 2 },
      ],
      'pm_card_visa',
    );
    expect(placed.body.items).toEqual([expect.objectContaining({ productId: beans, quantity: 3 })]);
    expect((await system.waitForTerminal(placed.body.orderId as string, alice)).status).toBe('CONFIRMED');
  });

  it('ignores prices sent by the client', async () => {
    const { status, body } = await system.call('POST', '/orders', {
      token: alice,
      body: orderRequest({
        items: [{ productId: beans, quantity: 1, unitPrice: { amount: 1, currency: 'EUR' } }],
        paymentToken: 'pm_card_visa',
      }),
    });
    expect(status).toBe(400);
    expect(body).toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});

describe('failure paths compensate and leave stock exactly as before', () => {
  it.each([
    ['pm_card_chargeDeclined', 'PAYMENT_DECLINED'],
    ['pm_card_chargeDeclinedProcessingError', 'PAYMENT_ERROR'],
    ['pm_card_sandbox_timeout', 'PAYMENT_ERROR'],
  ])('%s ends FAILED with %s, stock released and no live authorization', async (paymentToken, reason) => {
    const before = await system.available(kettle);
    const placed = await place([{ productId: kettle, quantity: 2 }], paymentToken);
    const orderId = placed.body.orderId as string;
    const final = await system.waitForTerminal(orderId, alice);
    expect(final).toMatchObject({ status: 'FAILED', failureReason: reason });
    expect(await system.available(kettle)).toBe(before);
    expect(system.liveAuthorizations(orderId)).toEqual([]);
    await system.runtime.drain(10_000);
    const types = (await system.publishedEvents())
      .filter((event) => (event.detail as { data: { orderId: string } }).data.orderId === orderId)
      .map((event) => event.detailType);
    expect(types).toEqual(['order.placed', 'order.failed']);
  });

  it('voids the authorization the provider made before it timed out', async () => {
    const placed = await place([{ productId: beans, quantity: 1 }], 'pm_card_sandbox_timeout');
    const orderId = placed.body.orderId as string;
    await system.waitForTerminal(orderId, alice);
    const made = system.runtime.payments
      .paymentIntents()
      .filter((authorization) => authorization.metadata.orderId === orderId);
    expect(made.length).toBeGreaterThan(0);
    expect(made.every((authorization) => authorization.status === 'canceled')).toBe(true);
  });

  it('fails an order for more than the stock with OUT_OF_STOCK and never charges', async () => {
    const before = await system.available(mug);
    const placed = await place(
      [
        { productId: beans, quantity: 1 },
        { productId: mug, quantity: before + 1 },
      ],
      'pm_card_visa',
    );
    const orderId = placed.body.orderId as string;
    expect(await system.waitForTerminal(orderId, alice)).toMatchObject({
      status: 'FAILED',
      failureReason: 'OUT_OF_STOCK',
    });
    expect(await system.available(mug)).toBe(before);
    expect(system.runtime.payments.paymentIntents().filter((a) => a.metadata.orderId === orderId)).toEqual([]);
  });

  it('sells exactly the stock under concurrent orders, never more', async () => {
    const start = await system.available(mug);
    const attempts = 12;
    const placed = await Promise.all(
      Array.from({ length: attempts }, () => place([{ productId: mug, quantity: 1 }], 'pm_card_visa')),
    );
    const finals = await Promise.all(placed.map((p) => system.waitForTerminal(p.body.orderId as string, alice)));
    const confirmed = finals.filter((order) => order.status === 'CONFIRMED');
    const outOfStock = finals.filter((order) => order.failureReason === 'OUT_OF_STOCK');
    expect(confirmed).toHaveLength(start);
    expect(outOfStock).toHaveLength(attempts - start);
    expect(await system.available(mug)).toBe(0);
  });
});

describe('access', () => {
  it('hides an order from other customers with 404', async () => {
    const placed = await place([{ productId: beans, quantity: 1 }], 'pm_card_visa');
    await system.waitForTerminal(placed.body.orderId as string, alice);
    const bob = await system.tokenFor('bob');
    const { status, body, headers } = await system.call('GET', `/orders/${placed.body.orderId as string}`, {
      token: bob,
    });
    expect(status).toBe(404);
    expect(headers.get('content-type')).toBe('application/problem+json');
    expect(body).toMatchObject({ code: 'NOT_FOUND', status: 404 });
    expect(typeof body.requestId).toBe('string');
  });

  it('rejects a missing or forged token with 401 and changes nothing', async () => {
    expect(
      (
        await system.call('POST', '/orders', {
          body: orderRequest({ items: [{ productId: beans, quantity: 1 }], paymentToken: 'pm_card_visa' }),
        })
      ).status,
    ).toBe(401);
    const forged = `${alice.slice(0, -6)}AAAAAA`;
    expect((await system.call('GET', '/orders/ord_x', { token: forged })).status).toBe(401);
  });

  it('rejects callers outside the route group with 403', async () => {
    const admin = await system.tokenFor('admin', ['admins']);
    const { status, body } = await system.call('POST', '/orders', {
      token: admin,
      body: orderRequest({ items: [{ productId: beans, quantity: 1 }], paymentToken: 'pm_card_visa' }),
    });
    expect(status).toBe(403);
    expect(body).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('answers an unknown route with the 404 problem the deployed API sends', async () => {
    const { status, body } = await system.call('DELETE', '/orders');
    expect(status).toBe(404);
    expect(body).toMatchObject({ code: 'NOT_FOUND', status: 404, requestId: expect.any(String) });
  });
});

describe('bad input gets a clear error and changes nothing', () => {
  it.each([
    ['malformed JSON', { rawBody: '{"items": [' }, 'VALIDATION_FAILED'],
    ['no items', { body: orderRequest({ items: [], paymentToken: 'pm_card_visa' }) }, 'VALIDATION_FAILED'],
    [
      'zero quantity',
      { body: orderRequest({ items: [{ productId: beans, quantity: 0 }], paymentToken: 'pm_card_visa' }) },
      'VALIDATION_FAILED',
    ],
    [
      'unknown field',
      { body: orderRequest({ items: [{ productId: beans, quantity: 1 }], paymentToken: 'pm_card_visa', coupon: 'x' }) },
      'VALIDATION_FAILED',
    ],
    [
      'fractional quantity',
      { body: orderRequest({ items: [{ productId: beans, quantity: 1.5 }], paymentToken: 'pm_card_visa' }) },
      'VALIDATION_FAILED',
    ],
  ])('%s → 400', async (_name, request, code) => {
    await system.runtime.drain(10_000);
    const eventsBefore = (await system.publishedEvents()).length;
    const stockBefore = await system.available(beans);
    const { status, body } = await system.call('POST', '/orders', { token: alice, ...request });
    expect(status).toBe(400);
    expect(body).toMatchObject({ code, status: 400 });
    expect(JSON.stringify(body)).not.toMatch(/orders-test|dynamodb|stack|at .*\.ts/i);
    expect((await system.publishedEvents()).length).toBe(eventsBefore);
    expect(await system.available(beans)).toBe(stockBefore);
  });

  it.each([
    ['an inactive product', 'prod_retired_scale'],
    ['an unknown product', 'prod_does_not_exist'],
  ])('refuses %s with 422 PRODUCT_UNAVAILABLE', async (_name, productId) => {
    await system.runtime.drain(10_000);
    const eventsBefore = (await system.publishedEvents()).length;
    const { status, body } = await system.call('POST', '/orders', {
      token: alice,
      body: orderRequest({ items: [{ productId, quantity: 1 }], paymentToken: 'pm_card_visa' }),
    });
    expect(status).toBe(422);
    expect(body).toMatchObject({ code: 'PRODUCT_UNAVAILABLE' });
    expect((await system.publishedEvents()).length).toBe(eventsBefore);
  });
});
