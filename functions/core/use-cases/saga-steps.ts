import { orderEvent } from '../domain/events';
import { OrderStateConflictError, RiskRejectedError } from '../domain/errors';
import type { FailureReason, Order } from '../domain/order';
import type {
  AttentionQueue,
  CompensationSchedule,
  CompensationTiming,
  EventPublisher,
  InventoryStore,
  OrderStore,
  PaymentProvider,
} from '../domain/ports';
import { assessRisk, type RiskLimits } from '../domain/risk';

/**
 * The saga's steps. Step Functions runs each at least once (Express workflows, retries), so each is idempotent:
 * it reads the order, does nothing if its work is already done, and relies on conditional writes otherwise.
 * Steps that call the payment provider or publish events take the saga's correlation id (from its input) and pass
 * it on; events fall back to the one stored on the order.
 */

/** Compensations never touch an order that was confirmed: its payment and stock are the customer's now. */
const keptStatuses = new Set<Order['status']>(['CONFIRMED', 'FULFILLED']);

async function load(orders: OrderStore, orderId: string): Promise<Order> {
  const order = await orders.get(orderId);
  if (!order) throw new OrderStateConflictError(`order ${orderId} does not exist`);
  return order;
}

/**
 * A forward step on an order whose failure was decided would undo the compensations that may already have run (a
 * saga resumed after a crash starts from the top): it refuses, and the saga's Catch leads back to the compensations.
 */
function refuseIfFailing(order: Order): void {
  if (order.failure) {
    throw new OrderStateConflictError(`order ${order.orderId} is failing (${order.failure.reason}), it cannot go on`);
  }
}

/**
 * The first compensation records the failure decision (the first reason wins), so that from then on no forward step
 * can move the order; compensations run without a reason (a cancellation's) only read it.
 */
async function loadForCompensation(orders: OrderStore, orderId: string, failureReason?: FailureReason) {
  if (!failureReason) return load(orders, orderId);
  const order = await orders.markFailing(orderId, failureReason);
  if (!order) throw new OrderStateConflictError(`order ${orderId} does not exist`);
  return order;
}

/**
 * Runs the risk rules on a PENDING order. Replays are safe: the velocity count covers only orders placed before this
 * one, so the answer does not change when the step runs again.
 */
export async function checkRisk(
  deps: { orders: OrderStore; limits: RiskLimits; now?: () => Date; riskCheckEnabled?: boolean },
  orderId: string,
) {
  const order = await load(deps.orders, orderId);
  if (order.status !== 'PENDING') return { approved: true, skipped: order.status };
  // Nothing is held or authorized for a PENDING order (both need the version the failure decision bumped).
  refuseIfFailing(order);
  // The riskCheck feature flag is off: approve unevaluated, and say so in the step's output.
  if (deps.riskCheckEnabled === false) return { approved: true, evaluated: false };
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
  refuseIfFailing(order);
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
  correlationId?: string,
) {
  const order = await load(deps.orders, orderId);
  refuseIfFailing(order);
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

export async function confirmOrder(
  deps: { orders: OrderStore; events: EventPublisher },
  orderId: string,
  correlationId?: string,
) {
  const order = await load(deps.orders, orderId);
  refuseIfFailing(order);
  const confirmed = await deps.orders.transition(order, 'CONFIRMED', { reason: 'saga completed' });
  await deps.events.publish([orderEvent('order.confirmed', confirmed, confirmed.updatedAt, correlationId)]);
  return { status: confirmed.status };
}

/** Voids the order's authorizations, or refunds them if they were captured meanwhile (a cancel racing a fulfil). */
export async function voidPayment(
  deps: { orders: OrderStore; payments: PaymentProvider },
  orderId: string,
  failureReason?: FailureReason,
  correlationId?: string,
) {
  const order = await loadForCompensation(deps.orders, orderId, failureReason);
  if (keptStatuses.has(order.status)) return { voided: 0, refunded: 0, skipped: order.status };
  return deps.payments.reverse(orderId, `${orderId}:reverse`, correlationId);
}

/**
 * The last compensation: returns held stock to the shelf. For an order that is already cancelled or failed it also
 * settles the order's pending compensation entry (unless a late provider answer may still come, see failOrder).
 */
export async function releaseStock(
  deps: { orders: OrderStore; inventory: InventoryStore; compensations: CompensationSchedule },
  orderId: string,
  failureReason?: FailureReason,
) {
  const order = await loadForCompensation(deps.orders, orderId, failureReason);
  if (keptStatuses.has(order.status)) return { released: 0, skipped: order.status };
  const released = await deps.inventory.release(order);
  const settled =
    order.status === 'CANCELLED' || order.status === 'FAILED' ? await deps.compensations.complete(orderId) : undefined;
  return { released, ...(settled === false ? { settled } : {}) };
}

/**
 * Marks the order FAILED with the reason decided first (a saga resumed after a crash may arrive with another).
 * When the payment's outcome is unknown (the provider timed out or failed), an authorization may still appear after
 * the void looked: the order's compensations are then scheduled to run again once late answers have settled.
 */
export async function failOrder(
  deps: { orders: OrderStore; events: EventPublisher; compensations: CompensationSchedule; now?: () => Date },
  orderId: string,
  failureReason: FailureReason,
  paymentSettleSeconds: number,
  correlationId?: string,
) {
  const order = await load(deps.orders, orderId);
  if (keptStatuses.has(order.status)) return { status: order.status };
  const reason = order.failure?.reason ?? failureReason;
  const now = (deps.now ?? (() => new Date()))();
  const settleAt = new Date(now.getTime() + paymentSettleSeconds * 1000).toISOString();
  const lateAnswers: CompensationTiming | undefined =
    failureReason === 'PAYMENT_ERROR' ? { checkAfter: settleAt, settledAfter: settleAt } : undefined;
  if (order.status === 'CANCELLED') {
    if (lateAnswers) await deps.compensations.schedule(orderId, lateAnswers);
    return { status: order.status };
  }
  const failed = await deps.orders.transition(order, 'FAILED', {
    failureReason: reason,
    reason,
    ...(lateAnswers ? { pendingCompensation: lateAnswers } : {}),
  });
  await deps.events.publish([orderEvent('order.failed', failed, failed.updatedAt, correlationId)]);
  return { status: failed.status, failureReason: reason };
}
