import { NotFoundError, OrderNotFulfillableError } from '../../domain/errors';
import type { Order } from '../../domain/order';
import type { InventoryStore, OrderStore, PaymentProvider } from '../../domain/ports';

/**
 * Fulfils a confirmed order: captures the payment, turns the stock holds into sold stock and marks it FULFILLED.
 * Capture comes first: if a cancellation got there before, the provider refuses to capture a voided authorization
 * and nothing is committed; if the cancellation comes after, its compensation refunds the capture. Every step is
 * idempotent, so a retried fulfilment completes what an interrupted one started. The capture request and the
 * order.fulfilled event carry the fulfil request's correlation id.
 */
export async function fulfillOrder(
  deps: { orders: OrderStore; inventory: InventoryStore; payments: PaymentProvider },
  orderId: string,
  correlationId?: string,
): Promise<Order> {
  const order = await deps.orders.get(orderId);
  if (!order) throw new NotFoundError(`order ${orderId} not found`);
  if (order.status === 'FULFILLED') return order;
  if (order.status !== 'CONFIRMED' || !order.paymentAuthorizationId) {
    throw new OrderNotFulfillableError(`order ${orderId} is ${order.status}; only CONFIRMED orders can be fulfilled`);
  }
  await deps.payments.capture(order.paymentAuthorizationId, `${orderId}:capture`, correlationId);
  // order.fulfilled is written with the transition (the outbox), so a fulfilment retried after a crash that
  // followed the commit finds the order FULFILLED above, and its event already on its way.
  return deps.inventory.commit(order, correlationId);
}
