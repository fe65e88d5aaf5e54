import type { OrderStatus } from '../../domain/order';
import type { OrderPage, OrderStore } from '../../domain/ports';

/** A page of the customer's own orders, newest first. */
export function listOwnOrders(
  orders: Pick<OrderStore, 'listForCustomer'>,
  customerId: string,
  query: {
    readonly limit?: number | undefined;
    readonly cursor?: string | undefined;
    readonly status?: OrderStatus | undefined;
  },
): Promise<OrderPage> {
  const { limit = 20, cursor, status } = query;
  return orders.listForCustomer(customerId, { limit, ...(cursor ? { cursor } : {}), ...(status ? { status } : {}) });
}
