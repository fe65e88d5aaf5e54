import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Stripe from 'stripe';
import { startStripeSandbox, type StripeSandbox } from '../../local/emulators/stripe-sandbox';

// The sandbox driven by the official SDK: the subset the adapter uses is proven to be spoken as Stripe speaks it.
const apiKey = 'sk_test_unit';
let directory: string;
const running: StripeSandbox[] = [];

async function start(options: { dataFile?: string; hangMs?: number } = {}) {
  const sandbox = await startStripeSandbox({ port: 0, apiKey, ...options });
  running.push(sandbox);
  const url = new URL(sandbox.url);
  const stripe = new Stripe(apiKey, {
    host: url.hostname,
    port: url.port,
    protocol: 'http',
    maxNetworkRetries: 0,
    telemetry: false,
  });
  return { sandbox, stripe };
}

const authorize = (stripe: Stripe, orderId: string, paymentMethod = 'pm_card_visa', amount = 1000) =>
  stripe.paymentIntents.create(
    {
      amount,
      currency: 'eur',
      payment_method: paymentMethod,
      confirm: true,
      capture_method: 'manual',
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      metadata: { orderId },
    },
    { idempotencyKey: `${orderId}:authorize` },
  );

async function failure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    return error as Stripe.errors.StripeError;
  }
  throw new Error('expected the call to fail');
}

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'stripe-sandbox-'));
});

afterEach(async () => {
  for (const { stop } of running.splice(0)) await stop();
  rmSync(directory, { recursive: true, force: true });
});

describe('Stripe sandbox, through the official SDK', () => {
  it('authorizes pm_card_visa for manual capture, with metadata and a charge', async () => {
    const { stripe } = await start();
    const intent = await authorize(stripe, 'order-1');
    expect(intent).toMatchObject({
      object: 'payment_intent',
      status: 'requires_capture',
      amount: 1000,
      amount_capturable: 1000,
      currency: 'eur',
      capture_method: 'manual',
      metadata: { orderId: 'order-1' },
    });
    expect(intent.id).toMatch(/^pi_/);
    expect(intent.latest_charge).toMatch(/^ch_/);
    expect(intent.created).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
  });

  it('answers Stripe errors for the test PaymentMethods', async () => {
    const { stripe } = await start();
    const declined = await failure(authorize(stripe, 'order-d', 'pm_card_chargeDeclined'));
    expect(declined).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(declined).toMatchObject({ statusCode: 402, code: 'card_declined', decline_code: 'generic_decline' });
    expect(declined.payment_intent?.status).toBe('requires_payment_method');
    const processing = await failure(authorize(stripe, 'order-p', 'pm_card_chargeDeclinedProcessingError'));
    expect(processing).toMatchObject({ statusCode: 402, code: 'processing_error' });
    const unknown = await failure(authorize(stripe, 'order-u', 'pm_card_nonsense'));
    expect(unknown).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(unknown).toMatchObject({ code: 'resource_missing', param: 'payment_method' });
    const action = await authorize(stripe, 'order-a', 'pm_card_authenticationRequired');
    expect(action.status).toBe('requires_action');
    expect(action.next_action?.type).toBe('use_stripe_sdk');
    expect(action.client_secret).toMatch(/^pi_.+_secret_/);
  });

  it('finishes a 3-D Secure challenge with the client secret only, as Stripe.js does', async () => {
    const { sandbox, stripe } = await start();
    const challenge = (id: string, form: Record<string, string>) =>
      fetch(`${sandbox.url}/v1/test_helpers/payment_intents/${id}/authenticate`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form).toString(),
      });
    const passed = await authorize(stripe, 'order-a', 'pm_card_authenticationRequired');
    expect((await challenge(passed.id, { client_secret: 'pi_x_secret_wrong', outcome: 'complete' })).status).toBe(401);
    const completed = await challenge(passed.id, { client_secret: passed.client_secret!, outcome: 'complete' });
    expect(completed.status).toBe(200);
    const held = await stripe.paymentIntents.retrieve(passed.id);
    expect(held).toMatchObject({ status: 'requires_capture', amount_capturable: 1000, next_action: null });
    expect(held.latest_charge).toMatch(/^ch_/);
    // A second answer finds the challenge over.
    const again = await challenge(passed.id, { client_secret: passed.client_secret!, outcome: 'fail' });
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ error: { code: 'payment_intent_unexpected_state' } });

    const refused = await authorize(stripe, 'order-b', 'pm_card_authenticationRequired');
    expect((await challenge(refused.id, { client_secret: refused.client_secret!, outcome: 'fail' })).status).toBe(200);
    const failed = await stripe.paymentIntents.retrieve(refused.id);
    expect(failed.status).toBe('requires_payment_method');
    expect(failed.last_payment_error?.code).toBe('payment_intent_authentication_failure');
  });

  it('refuses a wrong key with an authentication error', async () => {
    const { sandbox } = await start();
    const url = new URL(sandbox.url);
    const wrong = new Stripe('sk_test_wrong', { host: url.hostname, port: url.port, protocol: 'http' });
    expect(await failure(wrong.paymentIntents.list())).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
  });

  it('replays an idempotency key with the first answer, and refuses it with other parameters', async () => {
    const { sandbox, stripe } = await start();
    const first = await authorize(stripe, 'order-1');
    const replay = await authorize(stripe, 'order-1');
    expect(replay.id).toBe(first.id);
    expect(replay.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(first.lastResponse.headers['idempotent-replayed']).toBeUndefined();
    // Stripe replays the answer as it was, not the intent as it is now.
    await stripe.paymentIntents.cancel(first.id);
    expect((await authorize(stripe, 'order-1')).status).toBe('requires_capture');
    const other = await failure(authorize(stripe, 'order-1', 'pm_card_visa', 2000));
    expect(other).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(sandbox.paymentIntents()).toHaveLength(1);
  });

  it('captures, cancels and refunds (partial, then the rest) with Stripe state rules', async () => {
    const { stripe } = await start();
    const kept = await authorize(stripe, 'order-1');
    const captured = await stripe.paymentIntents.capture(kept.id);
    expect(captured).toMatchObject({ status: 'succeeded', amount_received: 1000 });
    const again = await failure(stripe.paymentIntents.cancel(kept.id));
    expect(again).toMatchObject({ code: 'payment_intent_unexpected_state' });
    const partial = await stripe.refunds.create({ payment_intent: kept.id, amount: 300 });
    expect(partial).toMatchObject({ object: 'refund', amount: 300, payment_intent: kept.id });
    expect((await stripe.refunds.create({ payment_intent: kept.id })).amount).toBe(700);
    expect(await failure(stripe.refunds.create({ payment_intent: kept.id }))).toMatchObject({
      code: 'charge_already_refunded',
    });
    const charge = (await stripe.paymentIntents.retrieve(kept.id, { expand: ['latest_charge'] }))
      .latest_charge as Stripe.Charge;
    expect(charge).toMatchObject({ amount_refunded: 1000, refunded: true });
    expect((await stripe.refunds.list({ payment_intent: kept.id })).data.map((made) => made.amount)).toEqual([
      700, 300,
    ]);

    const voided = await authorize(stripe, 'order-2');
    expect((await stripe.paymentIntents.cancel(voided.id)).status).toBe('canceled');
    expect(await failure(stripe.paymentIntents.capture(voided.id))).toMatchObject({
      code: 'payment_intent_unexpected_state',
    });
  });

  it('lists newest first with created[gte] and pagination, and searches by metadata', async () => {
    const { stripe } = await start();
    const made = [];
    for (let index = 0; index < 5; index++) made.push((await authorize(stripe, `order-${index}`)).id);
    const seen: string[] = [];
    for await (const intent of stripe.paymentIntents.list({ limit: 2, created: { gte: 0 } })) seen.push(intent.id);
    expect(seen).toEqual([...made].reverse());
    expect((await stripe.paymentIntents.list({ created: { gte: Math.ceil(Date.now() / 1000) + 60 } })).data).toEqual(
      [],
    );
    const found = await stripe.paymentIntents.search({ query: "metadata['orderId']:'order-3'" });
    expect(found.data.map((intent) => intent.id)).toEqual([made[3]]);
  });

  it('keeps intents, charges and idempotent answers across a restart, dropping a torn last line', async () => {
    const dataFile = join(directory, 'nested', 'stripe-sandbox.jsonl');
    const first = await start({ dataFile });
    const kept = await authorize(first.stripe, 'order-1');
    await first.stripe.paymentIntents.capture(kept.id, {}, { idempotencyKey: 'order-1:capture' });
    const before = first.sandbox.paymentIntents();
    await first.sandbox.stop();
    appendFileSync(dataFile, '{"op":"put","obj');

    const second = await start({ dataFile });
    expect(second.sandbox.paymentIntents()).toEqual(before);
    const replay = await authorize(second.stripe, 'order-1');
    expect(replay.id).toBe(kept.id);
    expect(replay.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect((await second.stripe.paymentIntents.retrieve(kept.id)).status).toBe('succeeded');
  });

  it('logs correlation ids and holds pm_card_sandbox_timeout past the caller deadline', async () => {
    const { sandbox, stripe } = await start({ hangMs: 300 });
    const started = Date.now();
    const intent = await stripe.paymentIntents.create(
      {
        amount: 500,
        currency: 'eur',
        payment_method: 'pm_card_sandbox_timeout',
        confirm: true,
        capture_method: 'manual',
      },
      { idempotencyKey: 'slow', headers: { 'x-correlation-id': 'corr-1' } },
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(intent.status).toBe('requires_capture');
    expect(sandbox.requests()).toEqual([
      expect.objectContaining({
        method: 'POST',
        path: '/v1/payment_intents',
        idempotencyKey: 'slow',
        correlationId: 'corr-1',
      }),
    ]);
  });
});
