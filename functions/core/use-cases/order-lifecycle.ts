import { orderEvent } from '../domain/events';
import {
  NotFoundError,
  OrderNotCancellableError,
  OrderNotFulfillableError,
  OrderStateConflictError,
} from '../domain/errors';
import { canTransition, type Order } from '../domain/order';
import type { EventPublisher, InventoryStore, OrderStore, PaymentProvider, WorkflowStarter } from '../domain/ports';
import { newCorrelationId } from '../observability/correlation-id';

/** Loads an order for its owner; anyone else gets "not found" (never "forbidden"), so ids cannot be probed. */
export async function loadOwnOrder(orders: OrderStore, orderId: string, customerId: string): Promise<Order> {
  const order = await orders.get(orderId);
  if (!order || order.customerId !== customerId) throw new NotFoundError(`order ${orderId} not found`);
  return order;
}

/**
 * Cancels an order until it is fulfilled. The status change is the commitment (conditional, so it cannot race the
 * saga or a fulfilment); the compensations (reverse the payment, release the stock) then run in the cancellation
 * workflow, with retries, exactly as the saga's own compensations. Cancelling twice is answered with the order.
 * The cancellation workflow and the order.cancelled event carry the cancel request's correlation id.
 */
export async function cancelOrder(
  deps: {
    orders: OrderStore;
    cancellations: WorkflowStarter;
    events: EventPublisher;
    /** How long the cancellation workflow may take before the recovery job runs it again (it died, say). */
    compensationDeadlineSeconds: number;
    now?: () => Date;
  },
  order: Order,
  correlationId: string = newCorrelationId(),
): Promise<Order> {
  const now = (deps.now ?? (() => new Date()))();
  // Written with the cancellation itself: if this process dies before the workflow starts, or the workflow dies
  // before it completes, the recovery job finds the entry and runs the compensations again.
  const pendingCompensation = {
    checkAfter: new Date(now.getTime() + deps.compensationDeadlineSeconds * 1000).toISOString(),
    settledAfter: now.toISOString(),
  };
  let cancelled = order;
  // The saga keeps moving the order (RESERVED, AUTHORIZED, CONFIRMED) while the customer cancels: a transition that
  // lost that race is tried again on the order as it is now, as long as it can still be cancelled. Bounded: each
  // retry follows a saga step, and the saga has only a few.
  for (let attempt = 1; cancelled.status !== 'CANCELLED'; attempt++) {
    if (!canTransition(cancelled.status, 'CANCELLED')) {
      throw new OrderNotCancellableError(
        `order ${order.orderId} is ${cancelled.status} and can no longer be cancelled`,
      );
    }
    try {
      cancelled = await deps.orders.transition(cancelled, 'CANCELLED', {
        reason: 'cancelled by the customer',
        pendingCompensation,
      });
    } catch (error) {
      if (!(error instanceof OrderStateConflictError) || attempt >= 5) throw error;
      const current = await deps.orders.get(order.orderId);
      if (!current) throw error;
      cancelled = current;
    }
  }
  await deps.cancellations.start(`${order.orderId}-cancel`, { orderId: order.orderId, correlationId });
  await deps.events.publish([orderEvent('order.cancelled', cancelled, cancelled.updatedAt, correlationId)]);
  return cancelled;
}

/**
 * Fulfils a confirmed order: captures the payment, turns the stock holds into sold stock and marks it FULFILLED.
 * Capture comes first: if a cancellation got there before, the provider refuses to capture a voided authorization
 * and nothing is committed; if the cancellation comes after, its compensation refunds the capture. Every step is
 * idempotent, so a retried fulfilment completes what an interrupted one started. The capture request and the
 * order.fulfilled event carry the fulfil request's correlation id.
 */
export async function fulfillOrder(
  deps: { orders: OrderStore; inventory: InventoryStore; payments: PaymentProvider; events: EventPublisher },
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
  const fulfilled = await deps.inventory.commit(order);
  await deps.events.publish([orderEvent('order.fulfilled', fulfilled, fulfilled.updatedAt, correlationId)]);
  return fulfilled;
}
