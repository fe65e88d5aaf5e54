import { NotFoundError } from '../../domain/errors';
import type { Order } from '../../domain/order';
import type { OrderStore } from '../../domain/ports';

/** Loads an order for its owner; anyone else gets "not found" (never "forbidden"), so ids cannot be probed. */
export async function loadOwnOrder(
  orders: Pick<OrderStore, 'get'>,
  orderId: string,
  customerId: string,
): Promise<Order> {
  const order = await orders.get(orderId);
  if (!order || order.customerId !== customerId) throw new NotFoundError(`order ${orderId} not found`);
  return order;
}

/** Loads any customer's or partner's order, for admins (support): an unknown id is "not found". */
export async function loadAnyOrder(orders: Pick<OrderStore, 'get'>, orderId: string): Promise<Order> {
  const order = await orders.get(orderId);
  if (!order) throw new NotFoundError(`order ${orderId} not found`);
  return order;
}
