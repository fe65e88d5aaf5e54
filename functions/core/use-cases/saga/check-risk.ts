import { RiskRejectedError } from '../../domain/errors';
import type { OrderStore } from '../../domain/ports';
import { assessRisk, type RiskLimits } from '../../domain/risk';
import { callerKindOf } from '../../domain/tenancy';
import { loadSagaOrder, refuseIfFailing } from './saga-order';

/**
 * Runs the risk rules on a PENDING order. Replays are safe: the velocity count covers only orders placed before this
 * one, so the answer does not change when the step runs again.
 */
export async function checkRisk(
  deps: { orders: OrderStore; limits: RiskLimits; now?: () => Date; riskCheckEnabled?: boolean },
  orderId: string,
) {
  const order = await loadSagaOrder(deps.orders, orderId);
  if (order.status !== 'PENDING') return { approved: true, skipped: order.status };
  // Nothing is held or authorized for a PENDING order (both need the version the failure decision bumped).
  refuseIfFailing(order);
  // The riskCheck feature flag is off: approve unevaluated, and say so in the step's output.
  if (deps.riskCheckEnabled === false) return { approved: true, evaluated: false };
  const since = new Date(new Date(order.createdAt).getTime() - 60 * 60 * 1000).toISOString();
  const recent = await deps.orders.countRecentOrders(order, since);
  const assessment = assessRisk(order.total, recent, deps.limits, callerKindOf(order.customerId));
  if (!assessment.approved) throw new RiskRejectedError(assessment.reasons.join('; '));
  return { approved: true };
}
