import { OrderStateConflictError } from '../../domain/errors';
import type { FailureReason, Order } from '../../domain/order';
import type { OrderStore } from '../../domain/ports';

/**
 * What the saga's steps share. Step Functions runs each step at least once (Express workflows, retries), so each is
 * idempotent: it reads the order, does nothing if its work is already done, and relies on conditional writes
 * otherwise. Steps that call the payment provider or publish events take the saga's correlation id (from its input)
 * and pass it on; events fall back to the one stored on the order.
 */

/** Compensations never touch an order that was confirmed: its payment and stock are the customer's now. */
// Refunded orders were fulfilled: a late compensation must leave their payment and stock alone as well.
export const keptStatuses = new Set<Order['status']>(['CONFIRMED', 'FULFILLED', 'PARTIALLY_REFUNDED', 'REFUNDED']);

export async function loadSagaOrder(orders: Pick<OrderStore, 'get'>, orderId: string): Promise<Order> {
  const order = await orders.get(orderId);
  if (!order) throw new OrderStateConflictError(`order ${orderId} does not exist`);
  return order;
}

/**
 * A forward step on an order whose failure was decided would undo the compensations that may already have run (a
 * saga resumed after a crash starts from the top): it refuses, and the saga's Catch leads back to the compensations.
 */
export function refuseIfFailing(order: Order): void {
  if (order.failure) {
    throw new OrderStateConflictError(`order ${order.orderId} is failing (${order.failure.reason}), it cannot go on`);
  }
}

/**
 * The first compensation records the failure decision (the first reason wins), so that from then on no forward step
 * can move the order; compensations run without a reason (a cancellation's) only read it.
 */
export async function loadForCompensation(
  orders: Pick<OrderStore, 'get' | 'markFailing'>,
  orderId: string,
  failureReason?: FailureReason,
): Promise<Order> {
  if (!failureReason) return loadSagaOrder(orders, orderId);
  const order = await orders.markFailing(orderId, failureReason);
  if (!order) throw new OrderStateConflictError(`order ${orderId} does not exist`);
  return order;
}
