import { startTestSystem, type TestSystem } from '../helpers/local-system';
import { orderRequest } from '../helpers/fixtures';

/**
 * Refunds after fulfilment, through the local gateway and the Stripe sandbox: partial then full, idempotent by the
 * request's Idempotency-Key, refused (409, nothing changed) beyond what is left or before fulfilment, and stock back
 * on the shelf only for the units the admin says came back.
 */

let system: TestSystem;
let alice: string;
let admin: string;

beforeAll(async () => {
  system = await startTestSystem();
  [alice, admin] = await Promise.all([system.tokenFor('alice'), system.tokenFor('refund-admin', ['admins'])]);
});

afterAll(async () => {
  await system?.stop();
});

const productId = 'prod_espresso_beans';

async function confirmedOrder(quantity = 1): Promise<{ orderId: string; total: number }> {
  const placed = await system.call('POST', '/orders', {
    token: alice,
    body: orderRequest({ items: [{ productId, quantity }], paymentToken: 'pm_card_visa' }),
  });
  expect(placed.status).toBe(202);
  const orderId = placed.body.orderId as string;
  await system.runtime.drain(10_000);
  const order = await system.call('GET', `/orders/${orderId}`, { token: alice });
  expect(order.body.status).toBe('CONFIRMED');
  return { orderId, total: (order.body.total as { amount: number }).amount };
}

async function fulfilledOrder(quantity = 1) {
  const order = await confirmedOrder(quantity);
  const fulfilled = await system.call('POST', `/admin/orders/${order.orderId}/fulfill`, { token: admin, body: {} });
  expect(fulfilled.body.status).toBe('FULFILLED');
  return order;
}

function refund(orderId: string, body: unknown, key?: string) {
  return system.call('POST', `/admin/orders/${orderId}/refunds`, {
    token: admin,
    body,
    ...(key ? { headers: { 'idempotency-key': key } } : {}),
  });
}

/** What the sandbox holds for the order: its charge's refunded amount and the refunds made. */
function atProvider(orderId: string) {
  const intent = system.runtime.payments.paymentIntents().find((made) => made.metadata.orderId === orderId)!;
  const charge = system.runtime.payments.charges().find((made) => made.id === intent.latest_charge)!;
  const refunds = system.runtime.payments.refunds().filter((made) => made.payment_intent === intent.id);
  return { status: intent.status, amountRefunded: charge.amount_refunded, refunds: refunds.map((r) => r.amount) };
}

const available = () => system.available(productId);

describe('POST /admin/orders/{orderId}/refunds', () => {
  it('refunds part, then the rest: PARTIALLY_REFUNDED, then REFUNDED, with the amounts at the provider', async () => {
    const { orderId, total } = await fulfilledOrder();
    const first = await refund(orderId, { amount: 100, reason: 'late delivery' });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'PARTIALLY_REFUNDED', refundedAmount: 100 });
    expect(first.body.refunds).toEqual([
      expect.objectContaining({
        amount: 100,
        reason: 'late delivery',
        actor: expect.objectContaining({ kind: 'admin' }),
      }),
    ]);
    expect(atProvider(orderId)).toEqual({ status: 'succeeded', amountRefunded: 100, refunds: [100] });

    const rest = await refund(orderId, { amount: total - 100, reason: 'customer unhappy' });
    expect(rest.status).toBe(200);
    expect(rest.body).toMatchObject({ status: 'REFUNDED', refundedAmount: total });
    expect(atProvider(orderId)).toEqual({ status: 'succeeded', amountRefunded: total, refunds: [100, total - 100] });

    const detail = await system.call('GET', `/admin/orders/${orderId}`, { token: admin });
    const history = detail.body.history as { status: string; reason?: string; actor?: { kind: string } }[];
    expect(history.slice(-2)).toEqual([
      expect.objectContaining({
        status: 'PARTIALLY_REFUNDED',
        reason: 'late delivery',
        actor: expect.objectContaining({ kind: 'admin' }),
      }),
      expect.objectContaining({ status: 'REFUNDED', reason: 'customer unhappy' }),
    ]);
    const events = (await system.publishedEvents())
      .filter((event) => event.detailType === 'order.refunded')
      .map((event) => event.detail as { data: { orderId: string; refund: { amount: number; refundedAmount: number } } })
      .filter((event) => event.data.orderId === orderId);
    expect(events.map((event) => [event.data.refund.amount, event.data.refund.refundedAmount])).toEqual([
      [100, 100],
      [total - 100, total],
    ]);

    // Fully refunded: nothing is left.
    const again = await refund(orderId, { amount: 1, reason: 'once more' });
    expect([again.status, again.body.code]).toEqual([409, 'ORDER_NOT_REFUNDABLE']);
  });

  it('refunds once when the request is replayed with the same Idempotency-Key', async () => {
    const { orderId } = await fulfilledOrder();
    const key = `refund-${orderId}`;
    const first = await refund(orderId, { amount: 50, reason: 'goodwill' }, key);
    const replay = await refund(orderId, { amount: 50, reason: 'goodwill' }, key);
    expect([first.status, replay.status]).toEqual([200, 200]);
    expect(replay.body).toEqual(first.body);
    expect(atProvider(orderId)).toMatchObject({ amountRefunded: 50, refunds: [50] });
    const order = await system.call('GET', `/admin/orders/${orderId}`, { token: admin });
    expect(order.body).toMatchObject({ refundedAmount: 50 });
    expect(order.body.refunds).toHaveLength(1);
  });

  it('refuses more than is left with 409 and changes nothing', async () => {
    const { orderId, total } = await fulfilledOrder();
    const before = await system.snapshot();
    const over = await refund(orderId, { amount: total + 1, reason: 'too much' });
    expect([over.status, over.body.code]).toEqual([409, 'ORDER_NOT_REFUNDABLE']);
    expect(await system.snapshot()).toEqual(before);
    expect(atProvider(orderId)).toMatchObject({ amountRefunded: 0, refunds: [] });
  });

  it('refuses an order that is not fulfilled with 409, and bad input with 400, changing nothing', async () => {
    const { orderId } = await confirmedOrder();
    const before = await system.snapshot();
    const early = await refund(orderId, { amount: 1, reason: 'not shipped yet' });
    expect([early.status, early.body.code]).toEqual([409, 'ORDER_NOT_REFUNDABLE']);
    for (const body of [
      { amount: 0, reason: 'zero' },
      { amount: 1.5, reason: 'fraction' },
      { amount: 1, reason: '' },
      { amount: 1, reason: 'x'.repeat(501) },
      { amount: 1, reason: 'bad line', restock: [{ productId, quantity: 0 }] },
      { amount: 1, reason: 'unknown field', extra: true },
    ]) {
      expect((await refund(orderId, body)).status).toBe(400);
    }
    expect(await system.snapshot()).toEqual(before);
  });

  it('puts exactly the returned units back on the shelf, and leaves stock alone without restock', async () => {
    const { orderId } = await fulfilledOrder(3);
    const shelf = await available();
    const plain = await refund(orderId, { amount: 10, reason: 'scratched box' });
    expect(plain.status).toBe(200);
    expect(await available()).toBe(shelf);

    const returned = await refund(orderId, {
      amount: 20,
      reason: 'two bags came back',
      restock: [{ productId, quantity: 2 }],
    });
    expect(returned.status).toBe(200);
    expect(await available()).toBe(shelf + 2);
    expect((returned.body.refunds as { restocked?: unknown }[]).at(-1)?.restocked).toEqual([
      { productId, quantity: 2 },
    ]);

    // Three were sold and two came back: a third and a fourth cannot.
    const tooMany = await refund(orderId, { amount: 1, reason: 'two more?', restock: [{ productId, quantity: 2 }] });
    expect([tooMany.status, tooMany.body.code]).toEqual([409, 'ORDER_NOT_REFUNDABLE']);
    expect(await available()).toBe(shelf + 2);
  });
});
