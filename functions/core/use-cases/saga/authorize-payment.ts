import { OrderStateConflictError } from '../../domain/errors';
import type { OrderStore, PaymentProvider } from '../../domain/ports';
import { loadSagaOrder, refuseIfFailing } from './saga-order';
import { voidPayment } from './void-payment';

export async function authorizePayment(
  deps: { orders: OrderStore; payments: PaymentProvider },
  orderId: string,
  correlationId?: string,
) {
  const order = await loadSagaOrder(deps.orders, orderId);
  refuseIfFailing(order);
  if (order.paymentAuthorizationId) return { authorizationId: order.paymentAuthorizationId };
  if (order.status !== 'RESERVED') {
    throw new OrderStateConflictError(`order ${orderId} is ${order.status}, cannot authorize payment`);
  }
  // The payment method is read from the stored order, never from the saga's input: execution inputs and outputs end
  // up in the workflow's logs and history, which must hold no payment data (SECURITY.md).
  const paymentToken = order.paymentMethod;
  if (!paymentToken) throw new OrderStateConflictError(`order ${orderId} has no payment method`);
  // The idempotency key makes a retried call (after a timeout, say) return the first authorization, not a second.
  const { authorizationId } = await deps.payments.authorize({
    reference: orderId,
    amount: order.total,
    paymentToken,
    idempotencyKey: `${orderId}:authorize`,
    ...(correlationId ? { correlationId } : {}),
  });
  try {
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
  return { authorizationId };
}
