import type { Order } from '../../domain/order';
import type { OrderHistoryEntry, OrderStore } from '../../domain/ports';
import { loadAnyOrder, loadOwnOrder } from './get-order';

type OrderWithHistory = { order: Order; history: OrderHistoryEntry[] };

/** An order's status transitions, oldest first, for its owner only; with the order, whose version validates them. */
export async function getOrderHistory(
  orders: Pick<OrderStore, 'get' | 'history'>,
  orderId: string,
  customerId: string,
): Promise<OrderWithHistory> {
  return withHistory(orders, await loadOwnOrder(orders, orderId, customerId));
}

/** Any customer's or partner's order with its history, for admins (support). */
export async function getAnyOrderWithHistory(
  orders: Pick<OrderStore, 'get' | 'history'>,
  orderId: string,
): Promise<OrderWithHistory> {
  return withHistory(orders, await loadAnyOrder(orders, orderId));
}

async function withHistory(orders: Pick<OrderStore, 'history'>, order: Order): Promise<OrderWithHistory> {
  return { order, history: await orders.history(order.orderId) };
}
