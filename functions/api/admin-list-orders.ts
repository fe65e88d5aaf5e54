import { orderStore } from '../core/adapters/dynamodb/stores';
import { httpHandler } from '../core/http/http-handler';
import { adminListOrdersQuery } from '../core/schemas/api-schemas';
import { parseOrThrow } from '../core/schemas/validation';
import { adminOrderView } from './order-view';
import { routes } from './routes';

const orders = orderStore();

export const handler = httpHandler(routes.adminListOrders, async (request) => {
  const { status, from, to, limit = 50, cursor } = parseOrThrow(adminListOrdersQuery, request.query, 'query');
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
