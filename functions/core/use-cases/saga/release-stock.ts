import type { FailureReason } from '../../domain/order';
import type { CompensationSchedule, InventoryStore, OrderStore } from '../../domain/ports';
import { keptStatuses, loadForCompensation } from './saga-order';

/**
 * The last compensation: returns held stock to the shelf. For an order that is already cancelled or failed it also
 * settles the order's pending compensation entry (unless a late provider answer may still come, see
 * markOrderFailed).
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
