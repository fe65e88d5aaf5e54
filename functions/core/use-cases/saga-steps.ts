import { orderEvent } from '../domain/events';
import { OrderStateConflictError, RiskRejectedError } from '../domain/errors';
import type { FailureReason, Order } from '../domain/order';
import type { AttentionQueue, EventPublisher, InventoryStore, OrderStore, PaymentProvider } from '../domain/ports';
import { assessRisk, type RiskLimits } from '../domain/risk';

/**
 * The saga's steps. Step Functions runs each at least once (Express workflows, retries), so each is idempotent:
 * it reads the order, does nothing if its work is already done, and relies on conditional writes otherwise.
 */

/** Compensations never touch an order that was confirmed: its payment and stock are the customer's now. */
const keptStatuses = new Set<Order['status']>(['CONFIRMED', 'FULFILLED']);

async function load(orders: OrderStore, orderId: string): Promise<Order> {
  const order = await orders.get(orderId);
  if (!order) throw new OrderStateConflictError(`order ${orderId} does not exist`);
  return order;
}

/**
 * Runs the risk rules on a PENDING order. Replays are safe: the velocity count covers only orders placed before this
 * one, so the answer does not change when the step runs again.
 */
export async function checkRisk(deps: { orders: OrderStore; limits: RiskLimits; now?: () => Date }, orderId: string) {
  const order = await load(deps.orders, orderId);
  if (order.status !== 'PENDING') return { approved: true, skipped: order.status };
  const since = new Date(new Date(order.createdAt).getTime() - 60 * 60 * 1000).toISOString();
  const assessment = assessRisk(order.total, await deps.orders.countRecentOrders(order, since), deps.limits);
  if (!assessment.approved) throw new RiskRejectedError(assessment.reasons.join('; '));
  return { approved: true };
}

/**
 * The last resort when a compensation keeps failing: the order is flagged and queued for an operator, so it is never
 * silently left half way. Flagging is idempotent; a duplicate queue message is harmless (redrive is idempotent too).
 */
export async function flagForAttention(
  deps: { orders: OrderStore; queue: AttentionQueue },
  orderId: string,
  failure: { reason: string; failedStep?: string; error?: unknown },
) {
  await deps.orders.flagForAttention(orderId, failure.reason);
  await deps.queue.send({ orderId, ...failure });
  return { flagged: true };
}

export async function reserveStock(deps: { orders: OrderStore; inventory: InventoryStore }, orderId: string) {
  const order = await load(deps.orders, orderId);
  const reserved = order.status === 'PENDING' ? await deps.inventory.reserve(order) : order;
  if (!['RESERVED', 'AUTHORIZED', 'CONFIRMED', 'FULFILLED'].includes(reserved.status)) {
    throw new OrderStateConflictError(`order ${orderId} is ${reserved.status}, cannot reserve stock`);
  }
  return { status: reserved.status };
}

export async function authorizePayment(
  deps: { orders: OrderStore; payments: PaymentProvider },
  orderId: string,
  paymentToken: string,
) {
  const order = await load(deps.orders, orderId);
  if (order.paymentAuthorizationId) return { authorizationId: order.paymentAuthorizationId };
  if (order.status !== 'RESERVED') {
    throw new OrderStateConflictError(`order ${orderId} is ${order.status}, cannot authorize payment`);
  }
  // The idempotency key makes a retried call (after a timeout, say) return the first authorization, not a second.
  const { authorizationId } = await deps.payments.authorize({
    reference: orderId,
    amount: order.total,
    paymentToken,
    idempotencyKey: `${orderId}:authorize`,
  });
  await deps.orders.transition(order, 'AUTHORIZED', {
    paymentAuthorizationId: authorizationId,
    reason: 'payment authorized',
  });
  return { authorizationId };
}

export async function confirmOrder(deps: { orders: OrderStore; events: EventPublisher }, orderId: string) {
  const order = await load(deps.orders, orderId);
  const confirmed = await deps.orders.transition(order, 'CONFIRMED', { reason: 'saga completed' });
  await deps.events.publish([orderEvent('order.confirmed', confirmed, confirmed.updatedAt)]);
  return { status: confirmed.status };
}

/** Voids the order's authorizations, or refunds them if they were captured meanwhile (a cancel racing a fulfil). */
export async function voidPayment(deps: { orders: OrderStore; payments: PaymentProvider }, orderId: string) {
  const order = await load(deps.orders, orderId);
  if (keptStatuses.has(order.status)) return { voided: 0, refunded: 0, skipped: order.status };
  return deps.payments.reverse(orderId, `${orderId}:reverse`);
}

export async function releaseStock(deps: { orders: OrderStore; inventory: InventoryStore }, orderId: string) {
  const order = await load(deps.orders, orderId);
  if (keptStatuses.has(order.status)) return { released: 0, skipped: order.status };
  return { released: await deps.inventory.release(order) };
}

export async function failOrder(
  deps: { orders: OrderStore; events: EventPublisher },
  orderId: string,
  failureReason: FailureReason,
) {
  const order = await load(deps.orders, orderId);
  if (keptStatuses.has(order.status) || order.status === 'CANCELLED') return { status: order.status };
  const failed = await deps.orders.transition(order, 'FAILED', { failureReason, reason: failureReason });
  await deps.events.publish([orderEvent('order.failed', failed, failed.updatedAt)]);
  return { status: failed.status };
}
