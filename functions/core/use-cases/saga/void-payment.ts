import type { FailureReason } from '../../domain/order';
import type { OrderStore, PaymentProvider } from '../../domain/ports';
import { keptStatuses, loadForCompensation } from './saga-order';

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
