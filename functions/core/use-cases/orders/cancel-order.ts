import { OrderNotCancellableError, OrderStateConflictError } from '../../domain/errors';
import type { Cancellation } from '../../domain/events';
import { canTransition, type Actor, type Order } from '../../domain/order';
import type { OrderStore, WorkflowStarter } from '../../domain/ports';
import { newCorrelationId } from '../../observability/correlation-id';

/**
 * Cancels an order until it is fulfilled. The status change is the commitment (conditional, so it cannot race the
 * saga or a fulfilment); the compensations (reverse the payment, release the stock) then run in the cancellation
 * workflow, with retries, exactly as the saga's own compensations. Cancelling twice is answered with the order.
 * The cancellation workflow and the order.cancelled event (written with the status change: the outbox) carry the
 * cancel request's correlation id.
 *
 * Owners and admins cancel alike (same conditions, same compensations); `request` says who asked and why. The
 * history entry records it, and so does the order.cancelled event: an admin's cancellation is audited with the
 * admin's id and the reason support gave. The owner's own cancellation needs no reason.
 */
export async function cancelOrder(
  deps: {
    orders: OrderStore;
    cancellations: WorkflowStarter;
    /** How long the cancellation workflow may take before the recovery job runs it again (it died, say). */
    compensationDeadlineSeconds: number;
    now?: () => Date;
  },
  order: Order,
  request: { readonly actor: Actor; readonly reason?: string },
  correlationId: string = newCorrelationId(),
): Promise<Order> {
  const cancellation: Cancellation = {
    actor: request.actor,
    reason: request.reason ?? ownerReasons[request.actor.kind],
  };
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
        reason: cancellation.reason,
        actor: cancellation.actor,
        pendingCompensation,
        correlationId,
      });
    } catch (error) {
      if (!(error instanceof OrderStateConflictError) || attempt >= 5) throw error;
      const current = await deps.orders.get(order.orderId);
      if (!current) throw error;
      cancelled = current;
    }
  }
  await deps.cancellations.start(`${order.orderId}-cancel`, { orderId: order.orderId, correlationId });
  return cancelled;
}

/** The reason recorded when none is given: owners cancel their own orders without saying why. */
const ownerReasons: Record<Actor['kind'], string> = {
  customer: 'cancelled by the customer',
  partner: 'cancelled by the partner',
  admin: 'cancelled by an admin',
};
