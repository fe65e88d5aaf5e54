import { orderStore } from '../core/adapters/dynamodb/stores';
import { httpHandler } from '../core/http/http-handler';
import { listOrdersQuery } from '../core/schemas/api-schemas';
import { parseOrThrow } from '../core/schemas/validation';
import { orderView } from './order-view';
import { routes } from './routes';

const orders = orderStore();

export const handler = httpHandler(routes.listOrders, async (request) => {
  const { limit = 20, cursor, status } = parseOrThrow(listOrdersQuery, request.query, 'query');
  const page = await orders.listForCustomer(request.caller.customerId, {
    limit,
    ...(cursor ? { cursor } : {}),
    ...(status ? { status } : {}),
  });
  return {
    statusCode: 200,
    body: { orders: page.orders.map(orderView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) },
    headers: { 'cache-control': 'private, no-cache' },
  };
});
