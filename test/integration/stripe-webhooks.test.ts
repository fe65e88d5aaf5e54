import { StripePaymentProvider } from '../../functions/core/adapters/stripe-payment-provider';
import { localWebhookSecret } from '../../local/runtime/local-runtime';
import { sandboxEvent, stripeSignature } from '../../local/emulators/stripe-webhook-sender';
import { orderRequest } from '../helpers/fixtures';
import { startWithUser, type TestSystem } from '../helpers/local-system';

/**
 * Stripe's webhook through the local gateway: signatures checked by the SDK against the endpoint's secret, each event
 * processed once, and the sandbox's own signed deliveries (at least once, retried) settling and recording payments.
 */
const beans = 'prod_espresso_beans';
const mug = 'prod_limited_mug';

let system: TestSystem;
let alice: string;
beforeAll(async () => ({ system, token: alice } = await startWithUser('alice')));
afterAll(() => system?.stop());

function post(rawBody: string, signature: string | undefined) {
  return system.call<Record<string, unknown>>('POST', '/webhooks/stripe', {
    rawBody,
    apiKey: null,
    ...(signature === undefined ? {} : { headers: { 'stripe-signature': signature } }),
  });
}

async function placeAndSettle(paymentToken: string, items = [{ productId: beans, quantity: 1 }]) {
  const placed = await system.call('POST', '/orders', { token: alice, body: orderRequest({ items, paymentToken }) });
  expect(placed.status).toBe(202);
  const orderId = placed.body.orderId as string;
  const order = await system.waitForTerminal(orderId, alice);
  await system.runtime.drain(10_000);
  await system.runtime.payments.webhookDeliveries();
  return { orderId, order };
}

const intentsOf = (orderId: string) =>
  system.runtime.payments.paymentIntents().filter((intent) => intent.metadata.orderId === orderId);

async function adminOrder(orderId: string) {
  const admin = await system.tokenFor('admin', ['admins']);
  const { status, body } = await system.call<Record<string, unknown>>('GET', `/admin/orders/${orderId}`, {
    token: admin,
  });
  expect(status).toBe(200);
  return body;
}

describe('POST /webhooks/stripe', () => {
  it('refuses a missing or wrong signature and an old timestamp with 400, changing nothing', async () => {
    const rawBody = JSON.stringify(sandboxEvent('charge.refunded', { id: 'ch_unknown', object: 'charge' }));
    const before = await system.snapshot();
    const now = Math.floor(Date.now() / 1000);
    for (const signature of [
      undefined,
      stripeSignature(rawBody, 'whsec_not_the_secret'),
      stripeSignature(rawBody, localWebhookSecret, now - 301),
      stripeSignature(`${rawBody} `, localWebhookSecret),
    ]) {
      const { status, headers, body } = await post(rawBody, signature);
      expect(status).toBe(400);
      expect(headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
      expect(JSON.stringify(body)).not.toContain(localWebhookSecret);
    }
    expect(await system.snapshot()).toEqual(before);
  });

  it('processes a valid signed event once: a replay answers 200 with no second effect', async () => {
    const { orderId } = await placeAndSettle('pm_card_visa');
    const intent = intentsOf(orderId)[0]!;
    const event = sandboxEvent('charge.dispute.created', {
      id: 'dp_replayed',
      object: 'dispute',
      amount: intent.amount,
      currency: intent.currency,
      charge: intent.latest_charge,
      payment_intent: intent.id,
      reason: 'product_not_received',
      metadata: {},
    });
    const rawBody = JSON.stringify(event);
    const first = await post(rawBody, stripeSignature(rawBody, localWebhookSecret));
    expect([first.status, first.body]).toEqual([200, { received: true, outcome: 'recorded' }]);
    const after = await system.snapshot();
    const replay = await post(rawBody, stripeSignature(rawBody, localWebhookSecret));
    expect([replay.status, replay.body]).toEqual([200, { received: true, outcome: 'duplicate' }]);
    expect(await system.snapshot()).toEqual(after);
    const order = await adminOrder(orderId);
    expect(order.disputes).toEqual([expect.objectContaining({ eventId: event.id, objectId: 'dp_replayed' })]);
    const published = (await system.publishedEvents()).filter((e) => e.detailType === 'order.payment-disputed');
    expect(published.filter((e) => (e.detail as { data: { orderId: string } }).data.orderId === orderId)).toHaveLength(
      1,
    );
  });

  it('settles an authorization that appears after the order failed: released at once, not after the settle period', async () => {
    // An order that failed before any payment: the provider then reports an authorization for it (an answer that
    // was lost, which the provider's search did not show yet when the saga voided).
    const before = await system.available(mug);
    const { orderId, order } = await placeAndSettle('pm_card_visa', [{ productId: mug, quantity: before + 1 }]);
    expect(order.status).toBe('FAILED');
    const stripe = new StripePaymentProvider({
      apiUrl: system.runtime.payments.url,
      secretKey: {
        current: async () => system.runtime.payments.apiKey,
        reload: async () => system.runtime.payments.apiKey,
      },
      timeoutMs: 2000,
    });
    await stripe.authorize({
      reference: orderId,
      amount: { amount: 2490, currency: 'EUR' },
      paymentToken: 'pm_card_visa',
      idempotencyKey: `${orderId}:late`,
    } as never);
    const deliveries = await system.runtime.payments.webhookDeliveries();
    const delivery = deliveries.find(
      (d) =>
        d.event.type === 'payment_intent.amount_capturable_updated' &&
        (d.event.data.object as { metadata: Record<string, string> }).metadata.orderId === orderId,
    );
    expect(delivery?.delivered).toBe(true);
    expect(intentsOf(orderId).map((intent) => intent.status)).toEqual(['canceled']);
    const history = await system.call<{ history: { reason?: string }[] }>('GET', `/orders/${orderId}/history`, {
      token: alice,
    });
    expect(history.body.history.some((entry) => entry.reason?.includes('authorization was released'))).toBe(true);
  });

  it('records and publishes a refund the provider reports (charge.refunded)', async () => {
    const { orderId } = await placeAndSettle('pm_card_visa');
    const admin = await system.tokenFor('admin', ['admins']);
    const fulfilled = await system.call('POST', `/admin/orders/${orderId}/fulfill`, {
      token: admin,
      body: {},
      headers: { 'idempotency-key': `fulfil-${orderId}` },
    });
    expect(fulfilled.status).toBe(200);
    // A refund made in the Stripe dashboard: the backend learns of it only through the webhook.
    await fetch(`${system.runtime.payments.url}/v1/refunds`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${system.runtime.payments.apiKey}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ payment_intent: intentsOf(orderId)[0]!.id, amount: '500' }),
    });
    await system.runtime.payments.webhookDeliveries();
    const order = await adminOrder(orderId);
    expect(order.providerRefunds).toEqual([expect.objectContaining({ amount: 500 })]);
    const published = (await system.publishedEvents())
      .filter((e) => e.detailType === 'order.payment-refunded')
      .filter((e) => (e.detail as { data: { orderId: string } }).data.orderId === orderId);
    expect(published).toHaveLength(1);
  });
});

describe('the sandbox as Stripe', () => {
  it('sends a signed charge.dispute.created that is recorded on the order and published', async () => {
    const { orderId } = await placeAndSettle('pm_card_visa');
    system.runtime.payments.dispute(intentsOf(orderId)[0]!.id, 'fraudulent');
    const deliveries = await system.runtime.payments.webhookDeliveries();
    expect(deliveries.filter((d) => d.event.type === 'charge.dispute.created').every((d) => d.delivered)).toBe(true);
    const order = await adminOrder(orderId);
    expect(order.disputes).toEqual([expect.objectContaining({ reason: 'fraudulent' })]);
    expect(
      (await system.publishedEvents())
        .filter((e) => e.detailType === 'order.payment-disputed')
        .filter((e) => (e.detail as { data: { orderId: string } }).data.orderId === orderId),
    ).toHaveLength(1);
  });
});
