import { ValidationError } from '../../domain/errors';
import type { OrderStatus } from '../../domain/order';
import type { OrderPage, OrderStore } from '../../domain/ports';
import { dateRange, listOrdersByStatus } from './list-orders-by-status';

export interface OrderSearch {
  readonly status?: OrderStatus | undefined;
  readonly customerId?: string | undefined;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly limit?: number | undefined;
  readonly cursor?: string | undefined;
}

/**
 * The admins' order search, newest first: one customer's orders (a partner's are `partner:<client id>`) from the
 * customer index, or every customer's orders in one status from the write-sharded status index; each optionally
 * within a date range. With both, the customer's orders are filtered by status: a customer has few orders, so that
 * costs little, whereas a status partition holds everyone's. Without either there is no index to query (and no
 * Scan on a request path), so it is refused.
 */
export async function searchOrders(
  orders: Pick<OrderStore, 'listByStatus' | 'listForCustomer'>,
  query: OrderSearch,
): Promise<OrderPage> {
  const { customerId, status, limit = 50, cursor } = query;
  if (customerId !== undefined) {
    const { from, to } = dateRange(query.from, query.to);
    return orders.listForCustomer(customerId, {
      limit,
      ...(cursor ? { cursor } : {}),
      ...(status ? { status } : {}),
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
    });
  }
  if (status !== undefined) return listOrdersByStatus(orders, { ...query, status });
  throw new ValidationError('invalid query', [{ path: 'status', message: 'give `status` or `customerId`' }]);
}
