import { ValidationError } from '../../domain/errors';
import type { OrderStatus } from '../../domain/order';
import type { OrderPage, OrderStore } from '../../domain/ports';

/**
 * Sort keys start with `toISOString()` timestamps and are compared as strings, so the bounds are put in that same
 * form (`...00Z` and `...00.000Z` are the same instant but do not sort alike). An inverted range is the caller's
 * mistake: DynamoDB would refuse the query outright.
 */
export function dateRange(from: string | undefined, to: string | undefined) {
  const canonical = (timestamp: string | undefined) =>
    timestamp === undefined ? undefined : new Date(timestamp).toISOString();
  const range = { from: canonical(from), to: canonical(to) };
  if (range.from !== undefined && range.to !== undefined && range.from > range.to) {
    throw new ValidationError('invalid query', [{ path: 'from', message: 'must not be after `to`' }]);
  }
  return range;
}

/** A page of every customer's orders in one status, newest first, optionally placed within a date range. */
export function listOrdersByStatus(
  orders: Pick<OrderStore, 'listByStatus'>,
  query: {
    readonly status: OrderStatus;
    readonly from?: string | undefined;
    readonly to?: string | undefined;
    readonly limit?: number | undefined;
    readonly cursor?: string | undefined;
  },
): Promise<OrderPage> {
  const { status, limit = 50, cursor } = query;
  const { from, to } = dateRange(query.from, query.to);
  return orders.listByStatus(status, {
    limit,
    ...(cursor ? { cursor } : {}),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
  });
}
