import type { FailureReason } from '../../domain/order';
import type { CompensationSchedule, CompensationTiming, OrderStore } from '../../domain/ports';
import { keptStatuses, loadSagaOrder } from './saga-order';

/**
 * Marks the order FAILED with the reason decided first (a saga resumed after a crash may arrive with another).
 * When the payment's outcome is unknown (the provider timed out or failed), an authorization may still appear after
 * the void looked: the order's compensations are then scheduled to run again once late answers have settled.
 */
export async function markOrderFailed(
  deps: { orders: OrderStore; compensations: CompensationSchedule; now?: () => Date },
  orderId: string,
  failureReason: FailureReason,
  paymentSettleSeconds: number,
  correlationId?: string,
) {
  const order = await loadSagaOrder(deps.orders, orderId);
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
    ...(correlationId ? { correlationId } : {}),
  });
  return { status: failed.status, failureReason: reason };
}
