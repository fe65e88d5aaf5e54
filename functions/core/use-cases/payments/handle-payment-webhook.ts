import { orderEvent } from '../../domain/events';
import { fromStripeAmount } from '../../adapters/stripe-amounts';
import type { Order } from '../../domain/order';
import { holdsMoney, webhookAction, type PaymentFact, type ProviderEvent } from '../../domain/payment-webhook';
import type { OrderStore, PaymentLookup, PaymentProvider, PaymentState, WebhookLedger } from '../../domain/ports';

export interface PaymentWebhookDeps {
  readonly orders: Pick<OrderStore, 'get'>;
  readonly payments: Pick<PaymentProvider, 'reverse' | 'paymentState'>;
  readonly lookup: PaymentLookup;
  readonly ledger: WebhookLedger;
  /**
   * Continues an order that waits for its customer's authentication (functions/core/use-cases/orders/held-orders.ts),
   * from the payment as the provider reports it now; true when this call started the continuation.
   */
  readonly continueAuthenticated: (order: Order, correlationId?: string) => Promise<boolean>;
  /** How long an event id is remembered: longer than the provider's redelivery window (Stripe: 3 days). */
  readonly dedupSeconds: number;
  readonly now?: () => Date;
}

export type WebhookOutcome = 'duplicate' | 'ignored' | 'no-order' | 'recorded' | 'reversed' | 'continued';

/**
 * Acts on a verified provider event once. A payment_intent outcome for an order that has already failed (the saga's
 * unknown-outcome path: the authorization's answer was lost) settles it now: a live authorization is reversed at once
 * instead of after the settle period, so reconciliation finds nothing. For an order still in flight the saga owns the
 * payment: the fact is only recorded, except for an order waiting for its customer's authentication (ACTION_REQUIRED),
 * which the outcome continues (confirmed, or failed with PAYMENT_DECLINED). Refunds and disputes are recorded on the order and published.
 *
 * The provider acts before the record is written, so a crash in between makes the provider redeliver and the
 * reversal run again, which is safe (it is idempotent); the record then makes every later delivery a no-op.
 */
export async function handlePaymentWebhook(
  deps: PaymentWebhookDeps,
  event: ProviderEvent,
  correlationId?: string,
): Promise<WebhookOutcome> {
  const action = webhookAction(event);
  const now = (deps.now ?? (() => new Date()))();
  const expiresAt = Math.floor(now.getTime() / 1000) + deps.dedupSeconds;
  if (await deps.ledger.seen(event.id)) return 'duplicate';
  const orderId =
    action.kind === 'ignore'
      ? undefined
      : (event.orderId ?? (event.paymentIntentId ? await deps.lookup.orderIdOf(event.paymentIntentId) : undefined));
  const order = orderId ? await deps.orders.get(orderId) : undefined;
  if (!order) {
    // Not ours (another integration on the same account) or nothing to do: remembered, so it is not looked up again.
    return (await deps.ledger.record({ eventId: event.id, expiresAt }))
      ? action.kind === 'ignore'
        ? 'ignored'
        : 'no-order'
      : 'duplicate';
  }
  const reasonOf = `payment provider: ${event.type} (${event.id})`;
  if (action.kind === 'settle-authorization') {
    // A failed or cancelled order wants no money held; a live order's payment belongs to its saga or fulfilment.
    const settle = order.status === 'FAILED' || order.status === 'CANCELLED';
    // The customer finished (or failed) the 3-D Secure challenge: the order waiting for it continues now. The same
    // path as the customer's own confirm, racing it safely (one conditional decision, one continuation).
    const continued =
      order.status === 'ACTION_REQUIRED' && action.outcome !== 'captured'
        ? await deps.continueAuthenticated(order, correlationId)
        : false;
    let reversed = false;
    // Read again: a late delivery may describe an authorization that the order's own compensation has released
    // since, and that needs neither a reversal nor a history entry.
    const stillHoldsMoney =
      settle &&
      holdsMoney(action.outcome) &&
      (!event.paymentIntentId || moneyHeldIn(await deps.payments.paymentState(event.paymentIntentId, correlationId)));
    if (stillHoldsMoney) {
      await deps.payments.reverse(order.orderId, `${order.orderId}:reverse`, correlationId);
      reversed = true;
    }
    // Only a reversal is worth a history entry; the routine outcomes of a live order's payment (one or two per
    // order) are kept on the event's own item, which names the order, and the history stays the order's story.
    const recorded = await deps.ledger.record({
      eventId: event.id,
      expiresAt,
      orderId: order.orderId,
      ...(reversed
        ? {
            order: {
              orderId: order.orderId,
              status: order.status,
              reason: `${reasonOf}: the authorization was released, the order had ${order.status.toLowerCase()}`,
            },
          }
        : {}),
    });
    if (!recorded) return 'duplicate';
    return reversed ? 'reversed' : continued ? 'continued' : 'recorded';
  }
  if (action.kind === 'record-refund' && isOwnRefund(event, order)) {
    // Stripe reports the refunds an admin made through the API too: those are on the order already (with who made
    // them and why), so the event is only remembered. Its `amount` is the charge's running total.
    return (await deps.ledger.record({ eventId: event.id, expiresAt, orderId: order.orderId }))
      ? 'recorded'
      : 'duplicate';
  }
  const fact: PaymentFact = {
    eventId: event.id,
    objectId: event.objectId,
    at: event.createdAt,
    ...(event.amount === undefined ? {} : { amount: event.amount }),
    ...(event.currency === undefined ? {} : { currency: event.currency }),
    ...(event.reason === undefined ? {} : { reason: event.reason }),
  };
  const field = action.kind === 'record-refund' ? 'providerRefunds' : 'disputes';
  const type = action.kind === 'record-refund' ? 'order.payment-refunded' : 'order.payment-disputed';
  const base = orderEvent(
    type,
    { ...order, [field]: [...(order[field] ?? []), fact] },
    now.toISOString(),
    correlationId,
  );
  const recorded = await deps.ledger.record({
    eventId: event.id,
    expiresAt,
    orderId: order.orderId,
    order: {
      orderId: order.orderId,
      status: order.status,
      reason: reasonOf,
      fact: { field, value: fact },
      // Written with the fact (the outbox). One event per provider event: a second refund of the same order is
      // another event, not a replay of the first.
      event: { ...base, id: `${order.orderId}:${type}:${event.id}` },
    },
  });
  return recorded ? 'recorded' : 'duplicate';
}

/** Whether a charge.refunded event's running total is covered by the refunds the order itself recorded. */
function isOwnRefund(event: ProviderEvent, order: Order): boolean {
  if (event.amount === undefined || event.currency === undefined || order.refundedAmount === undefined) return false;
  return fromStripeAmount(event.amount, event.currency).amount <= order.refundedAmount;
}

function moneyHeldIn(state: PaymentState): boolean {
  return state === 'authorized' || state === 'captured';
}
