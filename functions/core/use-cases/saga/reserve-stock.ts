import { OrderStateConflictError } from '../../domain/errors';
import { stockReservedStatuses } from '../../domain/order';
import type { InventoryStore, OrderStore } from '../../domain/ports';
import { loadSagaOrder, refuseIfFailing } from './saga-order';

const reservedStatuses = stockReservedStatuses;

export async function reserveStock(deps: { orders: OrderStore; inventory: InventoryStore }, orderId: string) {
  const order = await loadSagaOrder(deps.orders, orderId);
  refuseIfFailing(order);
  const reserved = order.status === 'PENDING' ? await deps.inventory.reserve(order) : order;
  // ACTION_REQUIRED and REVIEW hold their stock too: a duplicate execution must pass on to AuthorizePayment, which ends it.
  if (!reservedStatuses.includes(reserved.status)) {
    throw new OrderStateConflictError(`order ${orderId} is ${reserved.status}, cannot reserve stock`);
  }
  return { status: reserved.status };
}
