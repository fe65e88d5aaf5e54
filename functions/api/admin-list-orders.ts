import { orderStore } from '../core/adapters/dynamodb/stores';
import { ValidationError } from '../core/domain/errors';
import { httpHandler } from '../core/http/http-handler';
import { adminListOrdersQuery } from '../core/schemas/api-schemas';
import { parseOrThrow } from '../core/schemas/validation';
import { adminOrderView } from './order-view';
import { routes } from './routes';

const orders = orderStore();

/**
 * Sort keys start with `toISOString()` timestamps and are compared as strings, so the bounds are put in that same
 * form (`...00Z` and `...00.000Z` are the same instant but do not sort alike). An inverted range is the caller's
 * mistake: DynamoDB would refuse the query outright.
 */
function dateRange(from: string | undefined, to: string | undefined) {
  const canonical = (timestamp: string | undefined) =>
    timestamp === undefined ? undefined : new Date(timestamp).toISOString();
  const range = { from: canonical(from), to: canonical(to) };
  if (range.from !== undefined && range.to !== undefined && range.from > range.to) {
    throw new ValidationError('invalid query', [{ path: 'from', message: 'must not be after `to`' }]);
  }
  return range;
}

export const handler = httpHandler(routes.adminListOrders, async (request) => {
  const query = parseOrThrow(adminListOrdersQuery, request.query, 'query');
  const { status, limit = 50, cursor } = query;
  const { from, to } = dateRange(query.from, query.to);
  const page = await orders.listByStatus(status, {
    limit,
    ...(cursor ? { cursor } : {}),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
  });
  return {
    statusCode: 200,
    body: { orders: page.orders.map(adminOrderView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) },
    headers: { 'cache-control': 'private, no-store' },
  };
});
