import { OrderStateConflictError } from '../../domain/errors';
import type { InventoryStore, OrderStore } from '../../domain/ports';
import { loadSagaOrder, refuseIfFailing } from './saga-order';

export async function reserveStock(deps: { orders: OrderStore; inventory: InventoryStore }, orderId: string) {
  const order = await loadSagaOrder(deps.orders, orderId);
  refuseIfFailing(order);
  const reserved = order.status === 'PENDING' ? await deps.inventory.reserve(order) : order;
  if (
    !['RESERVED', 'AUTHORIZED', 'CONFIRMED', 'FULFILLED', 'PARTIALLY_REFUNDED', 'REFUNDED'].includes(reserved.status)
  ) {
    throw new OrderStateConflictError(`order ${orderId} is ${reserved.status}, cannot reserve stock`);
  }
  return { status: reserved.status };
}
