import {
  PaymentAuthorizationReversedError,
  PaymentCaptureError,
  PaymentDeclinedError,
  PaymentProviderError,
  PaymentProviderUnavailableError,
  PaymentTimeoutError,
} from '../../functions/core/domain/errors';
import type { PaymentProviderTelemetry } from '../../functions/core/adapters/payment-resilience';
import { StripePaymentProvider } from '../../functions/core/adapters/stripe-payment-provider';
import { startStripeSandbox, type StripeSandbox } from '../../local/emulators/stripe-sandbox';

// The adapter against the Stripe sandbox: the same SDK calls it makes to api.stripe.com.
const apiKey = 'sk_test_adapter';
const quiet: PaymentProviderTelemetry = {
  requestCompleted: () => undefined,
  retrying: () => undefined,
  breakerChanged: () => undefined,
  faultInjected: () => undefined,
};
let sandbox: StripeSandbox;

beforeEach(async () => {
  sandbox = await startStripeSandbox({ port: 0, apiKey, hangMs: 400 });
});
afterEach(() => sandbox.stop());

function adapter(options: { keys?: string[]; breakerThreshold?: number } = {}) {
  const keys = options.keys ?? [apiKey];
  const reads = { current: 0, reload: 0 };
  const provider = new StripePaymentProvider({
    apiUrl: sandbox.url,
    secretKey: {
      current: async () => (reads.current++, keys[0]!),
      reload: async () => (reads.reload++, keys.at(-1)!),
    },
    timeoutMs: 150,
    telemetry: quiet,
    resilience: { backoffInitialMs: 1, backoffMaxMs: 2, breakerThreshold: options.breakerThreshold ?? 100 },
  });
  return { provider, reads };
}

const request = (reference: string, paymentToken = 'pm_card_visa', amount = { amount: 1999, currency: 'EUR' }) => ({
  reference,
  amount,
  paymentToken,
  idempotencyKey: `${reference}:authorize`,
  correlationId: `corr-${reference}`,
});

describe('Stripe payment provider', () => {
  it('authorizes with manual capture, idempotently, tagging the intent with order and correlation ids', async () => {
    const { provider } = adapter();
    const { authorizationId } = await provider.authorize(request('order-1'));
    expect((await provider.authorize(request('order-1'))).authorizationId).toBe(authorizationId);
    expect(sandbox.paymentIntents()).toEqual([
      expect.objectContaining({
        id: authorizationId,
        status: 'requires_capture',
        amount: 1999,
        currency: 'eur',
        metadata: { orderId: 'order-1', correlationId: 'corr-order-1' },
      }),
    ]);
    expect(sandbox.requests().every((made) => made.correlationId === 'corr-order-1')).toBe(true);
  });

  it('sends zero-decimal amounts as Stripe counts them', async () => {
    await adapter().provider.authorize(request('order-jpy', 'pm_card_visa', { amount: 1500, currency: 'JPY' }));
    expect(sandbox.paymentIntents()[0]).toMatchObject({ amount: 1500, currency: 'jpy' });
  });

  it.each([
    ['pm_card_chargeDeclined', PaymentDeclinedError],
    ['pm_card_unknown', PaymentDeclinedError],
    ['pm_card_chargeDeclinedProcessingError', PaymentProviderError],
    ['pm_card_sandbox_timeout', PaymentTimeoutError],
  ])('maps %s to %p', async (paymentMethod, expected) => {
    await expect(adapter().provider.authorize(request('order-x', paymentMethod))).rejects.toBeInstanceOf(expected);
  });

  it('answers requires_action with the customer action, and reads the intent again once authenticated', async () => {
    const { provider } = adapter();
    const outcome = await provider.authorize(request('order-3ds', 'pm_card_authenticationRequired'));
    expect(outcome).toEqual({
      authorizationId: expect.stringMatching(/^pi_/),
      customerAction: { clientSecret: expect.stringMatching(/_secret_/), nextActionType: 'use_stripe_sdk' },
    });
    expect(await provider.paymentState(outcome.authorizationId)).toBe('action_required');
    sandbox.authenticate(outcome.authorizationId, 'complete');
    expect(await provider.paymentState(outcome.authorizationId)).toBe('authorized');
    // A replayed authorization after the challenge finds the intent authorized now.
    expect(await provider.authorize(request('order-3ds', 'pm_card_authenticationRequired'))).toEqual({
      authorizationId: outcome.authorizationId,
    });
    const failed = await provider.authorize(request('order-3ds-fail', 'pm_card_authenticationRequired'));
    sandbox.authenticate(failed.authorizationId, 'fail');
    expect(await provider.paymentState(failed.authorizationId)).toBe('declined');
    expect(await provider.reverse('order-3ds', 'order-3ds:reverse')).toEqual({ voided: 1, refunded: 0 });
    expect(await provider.paymentState(outcome.authorizationId)).toBe('voided');
  });

  it('refuses a replayed authorization whose intent was cancelled since', async () => {
    const { provider } = adapter();
    await provider.authorize(request('order-1'));
    expect(await provider.reverse('order-1', 'order-1:reverse')).toEqual({ voided: 1, refunded: 0 });
    await expect(provider.authorize(request('order-1'))).rejects.toBeInstanceOf(PaymentAuthorizationReversedError);
  });

  it('captures, refuses to capture a cancelled intent, and reverses by refunding what was captured', async () => {
    const { provider } = adapter();
    const { authorizationId } = await provider.authorize(request('order-1'));
    await provider.capture(authorizationId, 'order-1:capture');
    await provider.capture(authorizationId, 'order-1:capture');
    expect(await provider.reverse('order-1', 'order-1:reverse')).toEqual({ voided: 0, refunded: 1 });
    expect(await provider.reverse('order-1', 'order-1:reverse')).toEqual({ voided: 0, refunded: 0 });
    expect(sandbox.refunds()).toEqual([expect.objectContaining({ amount: 1999, payment_intent: authorizationId })]);

    const voided = await provider.authorize(request('order-2'));
    await provider.reverse('order-2', 'order-2:reverse');
    await expect(provider.capture(voided.authorizationId, 'order-2:capture')).rejects.toBeInstanceOf(
      PaymentCaptureError,
    );
  });

  it('refunds part, then the rest, of a captured intent, once per key, and lists it as partially refunded', async () => {
    const { provider } = adapter();
    const since = new Date(Date.now() - 60_000).toISOString();
    const { authorizationId } = await provider.authorize(request('order-1'));
    await provider.capture(authorizationId, 'order-1:capture');
    const refund = (amount: number, key: string) =>
      provider.refund({
        reference: 'order-1',
        authorizationId,
        amount: { amount, currency: 'EUR' },
        idempotencyKey: key,
      });
    const first = await refund(500, 'order-1:refund:a');
    expect((await refund(500, 'order-1:refund:a')).refundId).toBe(first.refundId);
    expect(await provider.listPayments(since)).toEqual([
      expect.objectContaining({ id: authorizationId, status: 'partially_refunded', amount: 1999 }),
    ]);
    await expect(refund(1500, 'order-1:refund:b')).rejects.toBeInstanceOf(PaymentProviderError);
    await refund(1499, 'order-1:refund:c');
    expect(sandbox.refunds().map((made) => made.amount)).toEqual([500, 1499]);
    expect(await provider.listPayments(since)).toEqual([expect.objectContaining({ status: 'refunded' })]);
  });

  it('cancels the intent whose answer timed out, found by its order id', async () => {
    const { provider } = adapter();
    await expect(provider.authorize(request('order-1', 'pm_card_sandbox_timeout'))).rejects.toBeInstanceOf(
      PaymentTimeoutError,
    );
    expect(await provider.reverse('order-1', 'order-1:reverse')).toEqual({ voided: 1, refunded: 0 });
    expect(sandbox.paymentIntents().map((intent) => intent.status)).toEqual(['canceled']);
  });

  it('lists the payments that held money, in domain terms', async () => {
    const { provider } = adapter();
    const since = new Date(Date.now() - 60_000).toISOString();
    const kept = await provider.authorize(request('order-1'));
    const captured = await provider.authorize(request('order-2', 'pm_card_visa', { amount: 1500, currency: 'JPY' }));
    await provider.capture(captured.authorizationId, 'order-2:capture');
    await provider.authorize(request('order-3'));
    await provider.reverse('order-3', 'order-3:reverse');
    await expect(provider.authorize(request('order-4', 'pm_card_chargeDeclined'))).rejects.toThrow();
    const payments = await provider.listPayments(since);
    expect(payments.sort((a, b) => a.reference.localeCompare(b.reference))).toEqual([
      { id: kept.authorizationId, reference: 'order-1', amount: 1999, currency: 'EUR', status: 'authorized' },
      { id: captured.authorizationId, reference: 'order-2', amount: 1500, currency: 'JPY', status: 'captured' },
      expect.objectContaining({ reference: 'order-3', status: 'voided' }),
    ]);
  });

  it('reads the secret key again once when Stripe refuses it, then carries on with the new one', async () => {
    const { provider, reads } = adapter({ keys: ['sk_test_rotated_away', apiKey] });
    await provider.authorize(request('order-1'));
    expect(reads).toEqual({ current: 1, reload: 1 });
    const stale = adapter({ keys: ['sk_test_wrong'] });
    await expect(stale.provider.authorize(request('order-2'))).rejects.toBeInstanceOf(PaymentProviderError);
    expect(stale.reads).toEqual({ current: 1, reload: 1 });
  });

  it('opens its breaker during an outage and fails fast, compensations excepted', async () => {
    const { provider } = adapter({ breakerThreshold: 2 });
    sandbox.setOutage('error');
    await expect(provider.authorize(request('order-1'))).rejects.toBeInstanceOf(PaymentProviderError);
    const before = sandbox.requests().length;
    await expect(provider.authorize(request('order-2'))).rejects.toBeInstanceOf(PaymentProviderUnavailableError);
    expect(sandbox.requests()).toHaveLength(before);
    sandbox.setOutage(undefined);
    expect(await provider.reverse('order-1', 'order-1:reverse')).toEqual({ voided: 0, refunded: 0 });
  });
});
