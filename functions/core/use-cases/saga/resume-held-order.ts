import { OrderStateConflictError } from '../../domain/errors';
import type { FailureReason, OrderStatus } from '../../domain/order';
import type { OrderStore } from '../../domain/ports';
import { keptStatuses, loadSagaOrder } from './saga-order';

/**
 * Where a continued order goes from each held status: the status the saga would have reached had it not waited.
 * ACTION_REQUIRED → AUTHORIZED (the customer authenticated, the provider authorized); REVIEW → AUTHORIZED (an admin
 * approved an order whose payment was authorized before it was parked).
 */
const continuedStatus: Partial<Record<OrderStatus, OrderStatus>> = {
  ACTION_REQUIRED: 'AUTHORIZED',
  REVIEW: 'AUTHORIZED',
};
const continuedBecause: Partial<Record<OrderStatus, string>> = {
  ACTION_REQUIRED: 'the customer authenticated the payment',
  REVIEW: 'approved on review',
};

export type ResumeResult =
  { readonly decision: 'continue' } | { readonly decision: 'abandon'; readonly reason: FailureReason };

/**
 * The continuation workflow's first step: carries out the decision recorded on a held order. Continue: moves it to
 * the status the saga would have reached (the payment's authorization recorded, the client secret dropped), and the
 * workflow confirms it. Abandon: says with which reason the workflow's compensations fail it. Idempotent: a replay
 * finds the order moved on already.
 */
export async function resumeHeldOrder(deps: { orders: OrderStore }, orderId: string): Promise<ResumeResult> {
  const order = await loadSagaOrder(deps.orders, orderId);
  const decision = order.heldDecision;
  if (!decision)
    throw new OrderStateConflictError(`order ${orderId} is ${order.status} and has no decision to carry out`);
  if (decision.decision === 'abandon') return { decision: 'abandon', reason: decision.reason };
  // A replay (at-least-once) finds the order moved on already, or confirmed since: ConfirmOrder takes it from there.
  if (keptStatuses.has(order.status) || Object.values(continuedStatus).includes(order.status)) {
    return { decision: 'continue' };
  }
  const to = continuedStatus[order.status];
  // Cancelled or failed meanwhile: nothing to continue; the workflow's Catch runs the compensations (idempotent).
  if (!to) throw new OrderStateConflictError(`order ${orderId} is ${order.status}, it cannot be continued`);
  const action = order.paymentAction;
  await deps.orders.transition(order, to, {
    ...(action
      ? {
          paymentAuthorizationId: action.paymentIntentId,
          // The secret has served its purpose: the order keeps no credential it no longer needs.
          paymentAction: { paymentIntentId: action.paymentIntentId, expiresAt: action.expiresAt },
        }
      : {}),
    reason: continuedBecause[order.status] ?? 'continued',
  });
  return { decision: 'continue' };
}
