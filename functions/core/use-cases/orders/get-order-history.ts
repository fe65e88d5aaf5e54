import type { Order } from '../../domain/order';
import type { OrderHistoryEntry, OrderStore } from '../../domain/ports';
import { loadOwnOrder } from './get-order';

/** An order's status transitions, oldest first, for its owner only; with the order, whose version validates them. */
export async function getOrderHistory(
  orders: Pick<OrderStore, 'get' | 'history'>,
  orderId: string,
  customerId: string,
): Promise<{ order: Order; history: OrderHistoryEntry[] }> {
  const order = await loadOwnOrder(orders, orderId, customerId);
  return { order, history: await orders.history(orderId) };
}
