import { orderStore } from '../core/adapters/dynamodb/stores';
import { httpHandler } from '../core/http/http-handler';
import { orderIdPath } from '../core/schemas/api-schemas';
import { parseOrThrow } from '../core/schemas/validation';
import { loadOwnOrder } from '../core/use-cases/order-lifecycle';
import { routes } from './routes';

const orders = orderStore();

export const handler = httpHandler(routes.getOrderHistory, async (request) => {
  const { orderId } = parseOrThrow(orderIdPath, request.pathParameters, 'path');
  const order = await loadOwnOrder(orders, orderId, request.caller.customerId);
  const history = await orders.history(orderId);
  return {
    statusCode: 200,
    body: { orderId, history },
    headers: { 'cache-control': 'private, no-cache', etag: `"${order.version}"` },
  };
});
