import { OrderStateConflictError } from '../../domain/errors';
import type { OrderStore, PaymentProvider } from '../../domain/ports';
import { loadSagaOrder, refuseIfFailing } from './saga-order';
import { voidPayment } from './void-payment';

/**
 * What the step tells the state machine: the authorization, or that the order now waits for the customer's
 * authentication (ACTION_REQUIRED) or, authorized, for an admin's review (REVIEW: CheckRisk scored it for review).
 * The saga ends at either wait; the continuation workflow takes the order on. Never the client secret: step results
 * are kept in the workflow's logs.
 */
export type AuthorizeResult =
  | { readonly outcome: 'AUTHORIZED'; readonly authorizationId: string }
  | { readonly outcome: 'ACTION_REQUIRED' }
  | { readonly outcome: 'REVIEW' };

export async function authorizePayment(
  deps: {
    orders: OrderStore;
    payments: PaymentProvider;
    /** How long the customer has to authenticate before the order fails (PAYMENT_AUTHENTICATION_EXPIRED). */
    authenticationDeadlineSeconds: number;
    /** How long an order scored for review may wait for an admin before it is rejected (RISK_REJECTED). */
    reviewDeadlineSeconds: number;
    now?: () => Date;
  },
  orderId: string,
  correlationId?: string,
): Promise<AuthorizeResult> {
  const order = await loadSagaOrder(deps.orders, orderId);
  refuseIfFailing(order);
  // A replayed step (at-least-once) on an order already waiting for its customer: the saga ends there again.
  if (order.status === 'ACTION_REQUIRED') return { outcome: 'ACTION_REQUIRED' };
  if (order.status === 'REVIEW') return { outcome: 'REVIEW' };
  if (order.paymentAuthorizationId) return { outcome: 'AUTHORIZED', authorizationId: order.paymentAuthorizationId };
  if (order.status !== 'RESERVED') {
    throw new OrderStateConflictError(`order ${orderId} is ${order.status}, cannot authorize payment`);
  }
  // The payment method is read from the stored order, never from the saga's input: execution inputs and outputs end
  // up in the workflow's logs and history, which must hold no payment data (SECURITY.md).
  const paymentToken = order.paymentMethod;
  if (!paymentToken) throw new OrderStateConflictError(`order ${orderId} has no payment method`);
  // The idempotency key makes a retried call (after a timeout, say) return the first authorization, not a second.
  const { authorizationId, customerAction } = await deps.payments.authorize({
    reference: orderId,
    amount: order.total,
    paymentToken,
    idempotencyKey: `${orderId}:authorize`,
    ...(correlationId ? { correlationId } : {}),
  });
  const now = (deps.now ?? (() => new Date()))();
  try {
    if (customerAction) {
      // Stock stays reserved while the customer authenticates; the expiry (recover-orders) gives it back if not.
      await deps.orders.transition(order, 'ACTION_REQUIRED', {
        paymentAction: {
          paymentIntentId: authorizationId,
          clientSecret: customerAction.clientSecret,
          ...(customerAction.nextActionType ? { nextActionType: customerAction.nextActionType } : {}),
          expiresAt: new Date(now.getTime() + deps.authenticationDeadlineSeconds * 1000).toISOString(),
        },
        reason: 'the payment provider asks the customer to authenticate',
      });
      return { outcome: 'ACTION_REQUIRED' };
    }
    if (order.risk?.decision === 'review') {
      // Authorized and the stock held, but the fraud model wants a person to look first: the order waits for an
      // admin's decision (or its deadline) with both kept, so an approval confirms it without asking the customer again.
      await deps.orders.transition(order, 'REVIEW', {
        paymentAuthorizationId: authorizationId,
        reviewDeadline: new Date(now.getTime() + deps.reviewDeadlineSeconds * 1000).toISOString(),
        // The owner reads this reason in the order's history: it says that the order waits, never why.
        reason: 'payment authorized; the order waits for a review',
      });
      return { outcome: 'REVIEW' };
    }
    await deps.orders.transition(order, 'AUTHORIZED', {
      paymentAuthorizationId: authorizationId,
      reason: 'payment authorized',
    });
  } catch (error) {
    if (!(error instanceof OrderStateConflictError)) throw error;
    // The order moved on while the provider answered (cancelled, or its failure decided): the authorization just
    // made belongs to no order. Give it back now; the order's own compensations may have looked before it existed.
    await voidPayment(deps, orderId, undefined, correlationId);
    throw error;
  }
  return { outcome: 'AUTHORIZED', authorizationId };
}
