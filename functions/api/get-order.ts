import { orderStore } from '../core/adapters/dynamodb/stores';
import { httpHandler } from '../core/http/http-handler';
import { orderIdPath } from '../core/schemas/api-schemas';
import { parseOrThrow } from '../core/schemas/validation';
import { loadOwnOrder } from '../core/use-cases/order-lifecycle';
import { orderView } from './order-view';
import { routes } from './routes';

const orders = orderStore();

export const handler = httpHandler(routes.getOrder, async (request) => {
  const { orderId } = parseOrThrow(orderIdPath, request.pathParameters, 'path');
  const order = await loadOwnOrder(orders, orderId, request.caller.customerId);
  return {
    statusCode: 200,
    body: orderView(order),
    headers: { 'cache-control': 'private, no-cache', etag: `"${order.version}"` },
  };
});
