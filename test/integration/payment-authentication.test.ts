import { localWebhookSecret } from '../../local/runtime/local-runtime';
import { orderRequest } from '../helpers/fixtures';
import { startWithUser, type TestSystem } from '../helpers/local-system';

/**
 * Customer authentication (3-D Secure) through the offline system: the saga parks the order in ACTION_REQUIRED with
 * the PaymentIntent's client secret for its owner; the customer finishes the challenge on the sandbox with that
 * secret (as Stripe.js does), and the confirm route or the signed webhook continues the order through the
 * continuation workflow; the recovery job fails orders left waiting past their deadline.
 */
const kettle = 'prod_pour_over_kettle';

let system: TestSystem;
let alice: string;
// A one-second deadline: the expiry test needs no waiting, and the recovery job runs only when a test runs it.
beforeAll(
  async () => ({ system, token: alice } = await startWithUser('alice', { paymentAuthenticationDeadlineSeconds: 1 })),
);
afterAll(() => system?.stop());

interface PaymentAction {
  type: string;
  provider: string;
  paymentIntentId: string;
  clientSecret: string;
  nextActionType?: string;
  expiresAt: string;
}

async function waitForStatus(orderId: string, statuses: string[], token = alice, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let last: Record<string, unknown> | undefined;
  while (Date.now() < deadline) {
    const { status, body } = await system.call('GET', `/orders/${orderId}`, { token });
    expect(status).toBe(200);
    last = body;
    if (statuses.includes(body.status as string)) return body;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`order ${orderId} not ${statuses.join('/')} within ${timeoutMs} ms (last ${String(last?.status)})`);
}

/** Places an order that needs 3-D Secure and waits until its saga parked it. */
async function placeAwaitingAuthentication(quantity = 1, productId = kettle) {
  const placed = await system.call('POST', '/orders', {
    token: alice,
    body: orderRequest({ items: [{ productId, quantity }], paymentToken: 'pm_card_authenticationRequired' }),
  });
  expect(placed.status).toBe(202);
  const orderId = placed.body.orderId as string;
  const order = await waitForStatus(orderId, ['ACTION_REQUIRED', 'FAILED', 'CONFIRMED']);
  await system.runtime.drain(10_000);
  return { orderId, order, action: order.paymentAction as PaymentAction };
}

/** The customer's answer to the challenge, sent as Stripe.js does: with the client secret, no secret key. */
async function authenticate(action: PaymentAction, outcome: 'complete' | 'fail') {
  const response = await fetch(
    `${system.runtime.payments.url}/v1/test_helpers/payment_intents/${action.paymentIntentId}/authenticate`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_secret: action.clientSecret, outcome }).toString(),
    },
  );
  expect(response.status).toBe(200);
}

const confirm = (orderId: string, token = alice) =>
  system.call('POST', `/orders/${orderId}/payment/confirm`, { token, body: {} });

const intentOf = (orderId: string) =>
  system.runtime.payments.paymentIntents().filter((intent) => intent.metadata.orderId === orderId);

/** Runs `action` with the sandbox's webhooks switched off, so only the confirm route can continue the order. */
async function withoutWebhooks<T>(action: () => Promise<T>): Promise<T> {
  system.runtime.payments.setWebhookEndpoint(undefined);
  try {
    return await action();
  } finally {
    system.runtime.payments.setWebhookEndpoint({
      url: `${system.runtime.apiUrl}/webhooks/stripe`,
      secret: localWebhookSecret,
    });
  }
}

describe('an order whose payment needs 3-D Secure', () => {
  it('waits in ACTION_REQUIRED with its stock held and the client secret for its owner only', async () => {
    const before = await system.available(kettle);
    const { orderId, order, action } = await placeAwaitingAuthentication(2);
    expect(order.status).toBe('ACTION_REQUIRED');
    const intent = intentOf(orderId)[0]!;
    expect(action).toEqual({
      type: 'authenticate_payment',
      provider: 'stripe',
      paymentIntentId: intent.id,
      clientSecret: intent.client_secret,
      nextActionType: 'use_stripe_sdk',
      expiresAt: expect.any(String),
    });
    expect(await system.available(kettle)).toBe(before - 2);
    // The saga ended there: nothing runs, nothing was confirmed or failed.
    const saga = system.runtime.saga.list().find((execution) => JSON.parse(execution.input).orderId === orderId);
    expect(saga?.status).toBe('SUCCEEDED');
    // A duplicate execution (at-least-once) passes the reservation and authorization again and ends the same way.
    const duplicate = system.runtime.saga.start(`${orderId}-duplicate`, saga!.input);
    await system.runtime.drain(10_000);
    expect(duplicate.status).toBe('SUCCEEDED');
    expect((await system.call('GET', `/orders/${orderId}`, { token: alice })).body.status).toBe('ACTION_REQUIRED');
    expect(intentOf(orderId)).toHaveLength(1);
    // Nobody else sees it: lists, admins and events carry no client secret.
    const list = await system.call('GET', '/orders', { token: alice });
    expect(JSON.stringify(list.body)).not.toContain(action.clientSecret);
    const admin = await system.tokenFor('admin', ['admins']);
    const adminView = await system.call('GET', `/admin/orders/${orderId}`, { token: admin });
    expect(adminView.status).toBe(200);
    expect(JSON.stringify(adminView.body)).not.toContain(action.clientSecret);
    expect(JSON.stringify(await system.publishedEvents())).not.toContain(action.clientSecret);
    const executions = [...system.runtime.saga.list(), ...system.runtime.continuations.list()];
    expect(JSON.stringify(executions)).not.toContain(action.clientSecret);
  });

  it("is someone else's order: 404 on read and on confirm, and nothing changes", async () => {
    const { orderId } = await placeAwaitingAuthentication();
    const bob = await system.tokenFor('bob');
    expect((await system.call('GET', `/orders/${orderId}`, { token: bob })).status).toBe(404);
    const before = await system.snapshot();
    const refused = await confirm(orderId, bob);
    expect(refused.status).toBe(404);
    expect(JSON.stringify(refused.body)).not.toContain('secret');
    expect(await system.snapshot()).toEqual(before);
  });

  it('answers 409 to a confirm before the customer finished, changing nothing', async () => {
    const { orderId } = await placeAwaitingAuthentication();
    const before = await system.snapshot();
    const early = await confirm(orderId);
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ code: 'PAYMENT_AUTHENTICATION_PENDING' });
    expect(await system.snapshot()).toEqual(before);
    expect((await system.call('GET', `/orders/${orderId}`, { token: alice })).body.status).toBe('ACTION_REQUIRED');
  });

  it('is confirmed through the confirm route once the customer passed the challenge, idempotently', async () => {
    const { orderId, action } = await placeAwaitingAuthentication();
    const first = await withoutWebhooks(async () => {
      await authenticate(action, 'complete');
      return confirm(orderId);
    });
    expect(first.status).toBe(200);
    expect(first.body).not.toHaveProperty('paymentAction');
    const confirmed = await waitForStatus(orderId, ['CONFIRMED', 'FAILED']);
    expect(confirmed.status).toBe('CONFIRMED');
    expect(confirmed).not.toHaveProperty('paymentAction');
    expect(intentOf(orderId).map((intent) => intent.status)).toEqual(['requires_capture']);
    // Confirming again is answered with the order; no second continuation.
    const again = await confirm(orderId);
    expect(again.status).toBe(200);
    expect(again.body.status).toBe('CONFIRMED');
    await system.runtime.drain(10_000);
    const continuations = system.runtime.continuations
      .list()
      .filter((execution) => JSON.parse(execution.input).orderId === orderId);
    expect(continuations.map((execution) => execution.status)).toEqual(['SUCCEEDED']);
    const history = await system.call<{ history: { status: string }[] }>('GET', `/orders/${orderId}/history`, {
      token: alice,
    });
    expect(history.body.history.map((entry) => entry.status)).toEqual([
      'PENDING',
      'RESERVED',
      'ACTION_REQUIRED',
      'AUTHORIZED',
      'CONFIRMED',
    ]);
  });

  it('is confirmed by the signed webhook alone, and a confirm racing it does not continue it twice', async () => {
    const { orderId, action } = await placeAwaitingAuthentication();
    await authenticate(action, 'complete');
    // The customer's client confirms while the sandbox's webhook is on its way.
    const raced = await confirm(orderId);
    expect(raced.status).toBe(200);
    expect((await waitForStatus(orderId, ['CONFIRMED', 'FAILED'])).status).toBe('CONFIRMED');
    await system.runtime.payments.webhookDeliveries();
    await system.runtime.drain(10_000);
    const continuations = system.runtime.continuations
      .list()
      .filter((execution) => JSON.parse(execution.input).orderId === orderId);
    expect(continuations).toHaveLength(1);
    const confirmedEvents = (await system.publishedEvents())
      .filter((event) => (event.detail as { data: { orderId: string } }).data.orderId === orderId)
      .map((event) => event.detailType);
    expect(confirmedEvents).toEqual(['order.placed', 'order.confirmed']);
  });

  it('is confirmed by the webhook with no confirm at all', async () => {
    const { orderId, action } = await placeAwaitingAuthentication();
    await authenticate(action, 'complete');
    expect((await waitForStatus(orderId, ['CONFIRMED', 'FAILED'])).status).toBe('CONFIRMED');
    const deliveries = await system.runtime.payments.webhookDeliveries();
    expect(deliveries.some((delivery) => delivery.event.type === 'payment_intent.amount_capturable_updated')).toBe(
      true,
    );
  });

  it('fails with PAYMENT_DECLINED when the challenge fails, its stock released and the intent not held', async () => {
    const before = await system.available(kettle);
    const { orderId, action } = await placeAwaitingAuthentication(3);
    expect(await system.available(kettle)).toBe(before - 3);
    await authenticate(action, 'fail');
    const failed = await waitForStatus(orderId, ['FAILED', 'CONFIRMED']);
    expect(failed).toMatchObject({ status: 'FAILED', failureReason: 'PAYMENT_DECLINED' });
    await system.runtime.drain(10_000);
    expect(await system.available(kettle)).toBe(before);
    expect(system.liveAuthorizations(orderId)).toEqual([]);
    // A late confirm is answered with the order as it is.
    const late = await confirm(orderId);
    expect(late.status).toBe(200);
    expect(late.body).toMatchObject({ status: 'FAILED', failureReason: 'PAYMENT_DECLINED' });
  });

  it('can be cancelled by its owner while it waits: the intent is cancelled and the stock comes back', async () => {
    const filters = 'prod_paper_filters';
    const before = await system.available(filters);
    const placed = await system.call('POST', '/orders', {
      token: alice,
      body: orderRequest({
        items: [{ productId: filters, quantity: 4 }],
        paymentToken: 'pm_card_authenticationRequired',
      }),
    });
    const orderId = placed.body.orderId as string;
    const { paymentAction } = await waitForStatus(orderId, ['ACTION_REQUIRED']);
    const cancelled = await system.call('POST', `/orders/${orderId}/cancel`, { token: alice, body: {} });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('CANCELLED');
    await system.runtime.drain(10_000);
    expect(await system.available(filters)).toBe(before);
    expect(intentOf(orderId).map((intent) => intent.status)).toEqual(['canceled']);
    // A confirm afterwards changes nothing.
    const late = await confirm(orderId);
    expect(late.status).toBe(200);
    expect(late.body.status).toBe('CANCELLED');
    expect((paymentAction as PaymentAction).clientSecret).toMatch(/_secret_/);
  });

  it('fails with PAYMENT_AUTHENTICATION_EXPIRED past its deadline: stock back, intent cancelled', async () => {
    // A product no other test here touches: the orders earlier tests left waiting expire in the same run.
    const grinder = 'prod_burr_grinder';
    const before = await system.available(grinder);
    const { orderId, action } = await placeAwaitingAuthentication(2, grinder);
    expect(await system.available(grinder)).toBe(before - 2);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(action.expiresAt) - Date.now() + 50)));
    const result = (await system.runtime.runJob('recover-orders')) as { authenticationExpired: string[] };
    expect(result.authenticationExpired).toContain(orderId);
    const failed = await waitForStatus(orderId, ['FAILED', 'CONFIRMED']);
    expect(failed).toMatchObject({ status: 'FAILED', failureReason: 'PAYMENT_AUTHENTICATION_EXPIRED' });
    await system.runtime.drain(10_000);
    expect(await system.available(grinder)).toBe(before);
    expect(intentOf(orderId).map((intent) => intent.status)).toEqual(['canceled']);
    // The customer can no longer finish the challenge for it.
    const response = await fetch(
      `${system.runtime.payments.url}/v1/test_helpers/payment_intents/${action.paymentIntentId}/authenticate`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_secret: action.clientSecret, outcome: 'complete' }).toString(),
      },
    );
    expect(response.status).toBe(400);
    // A second run finds nothing more to do.
    const again = (await system.runtime.runJob('recover-orders')) as { authenticationExpired: string[] };
    expect(again.authenticationExpired).not.toContain(orderId);
  });
});
