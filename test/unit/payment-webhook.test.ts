import { fromStripeEvent, holdsMoney, webhookAction } from '../../functions/core/domain/payment-webhook';
import {
  handlePaymentWebhook,
  type PaymentWebhookDeps,
} from '../../functions/core/use-cases/payments/handle-payment-webhook';
import type { Order } from '../../functions/core/domain/order';
import type { PaymentState, WebhookRecord } from '../../functions/core/domain/ports';

describe('webhookAction', () => {
  it.each([
    ['payment_intent.amount_capturable_updated', { kind: 'settle-authorization', outcome: 'authorized' }],
    ['payment_intent.succeeded', { kind: 'settle-authorization', outcome: 'captured' }],
    ['payment_intent.payment_failed', { kind: 'settle-authorization', outcome: 'failed' }],
    ['payment_intent.canceled', { kind: 'settle-authorization', outcome: 'canceled' }],
    ['charge.refunded', { kind: 'record-refund' }],
    ['charge.dispute.created', { kind: 'record-dispute' }],
    ['customer.created', { kind: 'ignore' }],
    ['payment_intent.created', { kind: 'ignore' }],
  ])('%s → %j', (type, action) => {
    expect(webhookAction({ type })).toEqual(action);
  });

  it('counts only live or captured authorizations as holding money', () => {
    expect(['authorized', 'captured', 'failed', 'canceled'].filter((o) => holdsMoney(o as never))).toEqual([
      'authorized',
      'captured',
    ]);
  });
});

describe('fromStripeEvent', () => {
  it('reads the order id from a PaymentIntent', () => {
    expect(
      fromStripeEvent({
        id: 'evt_1',
        type: 'payment_intent.succeeded',
        created: 1_700_000_000,
        data: { object: { id: 'pi_1', object: 'payment_intent', metadata: { orderId: 'ord_1' }, currency: 'eur' } },
      }),
    ).toEqual({
      id: 'evt_1',
      type: 'payment_intent.succeeded',
      createdAt: '2023-11-14T22:13:20.000Z',
      objectId: 'pi_1',
      paymentIntentId: 'pi_1',
      orderId: 'ord_1',
      currency: 'eur',
    });
  });

  it('takes a refund amount from the charge and the intent from its payment_intent', () => {
    expect(
      fromStripeEvent({
        id: 'evt_2',
        type: 'charge.refunded',
        created: 1_700_000_000,
        data: { object: { id: 'ch_1', object: 'charge', amount: 500, amount_refunded: 200, payment_intent: 'pi_1' } },
      }),
    ).toMatchObject({ objectId: 'ch_1', paymentIntentId: 'pi_1', amount: 200 });
  });

  it('takes a dispute amount and reason, without an order id (disputes carry no intent metadata)', () => {
    const event = fromStripeEvent({
      id: 'evt_3',
      type: 'charge.dispute.created',
      created: 1_700_000_000,
      data: { object: { id: 'dp_1', object: 'dispute', amount: 500, reason: 'fraudulent', payment_intent: 'pi_1' } },
    });
    expect(event).toMatchObject({ objectId: 'dp_1', paymentIntentId: 'pi_1', amount: 500, reason: 'fraudulent' });
    expect(event).not.toHaveProperty('orderId');
  });
});

describe('handlePaymentWebhook', () => {
  const order = (status: Order['status']): Order =>
    ({ orderId: 'ord_1', customerId: 'c', status, items: [], total: { amount: 500, currency: 'EUR' } }) as never;

  function deps(status: Order['status'], paymentNow: PaymentState = 'authorized') {
    const records: WebhookRecord[] = [];
    const seen = new Set<string>();
    const reverse = jest.fn(async () => ({ voided: 1, refunded: 0 }));
    const value: PaymentWebhookDeps = {
      orders: { get: async () => order(status) },
      payments: { reverse, paymentState: async () => paymentNow },
      lookup: { orderIdOf: async () => 'ord_1' },
      ledger: {
        seen: async (id) => seen.has(id),
        record: async (entry) => {
          if (seen.has(entry.eventId)) return false;
          seen.add(entry.eventId);
          records.push(entry);
          return true;
        },
      },
      continueAuthenticated: async () => false,
      dedupSeconds: 60,
      now: () => new Date('2026-01-01T00:00:00Z'),
    };
    return { value, records, reverse };
  }
  const authorized = {
    id: 'evt_a',
    type: 'payment_intent.amount_capturable_updated',
    createdAt: '2026-01-01T00:00:00Z',
    objectId: 'pi_1',
    paymentIntentId: 'pi_1',
    orderId: 'ord_1',
  };

  it('reverses a live authorization of a failed order at once, and only once', async () => {
    const { value, reverse, records } = deps('FAILED');
    expect(await handlePaymentWebhook(value, authorized)).toBe('reversed');
    expect(await handlePaymentWebhook(value, authorized)).toBe('duplicate');
    expect(reverse).toHaveBeenCalledTimes(1);
    expect(reverse).toHaveBeenCalledWith('ord_1', 'ord_1:reverse', undefined);
    expect(records[0]).toMatchObject({ eventId: 'evt_a', expiresAt: 1_767_225_660, order: { status: 'FAILED' } });
  });

  it('neither reverses nor records in the history an authorization that the order released since (a late event)', async () => {
    const { value, reverse, records } = deps('CANCELLED', 'voided');
    expect(await handlePaymentWebhook(value, authorized)).toBe('recorded');
    expect(reverse).not.toHaveBeenCalled();
    expect(records[0]).toEqual({ eventId: 'evt_a', expiresAt: 1_767_225_660, orderId: 'ord_1' });
  });

  it('leaves an order in flight to its saga: the fact is recorded, nothing reversed', async () => {
    const { value, reverse, records } = deps('RESERVED');
    expect(await handlePaymentWebhook(value, authorized)).toBe('recorded');
    expect(reverse).not.toHaveBeenCalled();
    expect(records[0]).toEqual({ eventId: 'evt_a', expiresAt: 1_767_225_660, orderId: 'ord_1' });
  });

  it('does not reverse for an outcome that holds no money', async () => {
    const { value, reverse } = deps('FAILED');
    await handlePaymentWebhook(value, { ...authorized, type: 'payment_intent.canceled' });
    expect(reverse).not.toHaveBeenCalled();
  });

  it('records a dispute on the order found through its intent, with its event, once', async () => {
    const { value, records } = deps('FULFILLED');
    const dispute = {
      id: 'evt_d',
      type: 'charge.dispute.created',
      createdAt: '2026-01-01T00:00:00Z',
      objectId: 'dp_1',
      paymentIntentId: 'pi_1',
      amount: 500,
      currency: 'eur',
      reason: 'fraudulent',
    };
    expect(await handlePaymentWebhook(value, dispute)).toBe('recorded');
    expect(await handlePaymentWebhook(value, dispute)).toBe('duplicate');
    expect(records[0]?.order?.fact).toEqual({
      field: 'disputes',
      value: {
        eventId: 'evt_d',
        objectId: 'dp_1',
        amount: 500,
        currency: 'eur',
        reason: 'fraudulent',
        at: '2026-01-01T00:00:00Z',
      },
    });
    expect(records).toHaveLength(1);
    expect(records[0]?.order?.event).toEqual(
      expect.objectContaining({ id: 'ord_1:order.payment-disputed:evt_d', type: 'order.payment-disputed' }),
    );
  });

  it('acknowledges an event type it does not act on', async () => {
    const { value, records } = deps('CONFIRMED');
    expect(await handlePaymentWebhook(value, { ...authorized, type: 'customer.created' })).toBe('ignored');
    expect(records).toEqual([{ eventId: 'evt_a', expiresAt: 1_767_225_660 }]);
  });
});
