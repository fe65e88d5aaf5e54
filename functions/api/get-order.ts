import { orderStore } from '../core/adapters/dynamodb/stores';
import { NotFoundError } from '../core/domain/errors';
import { httpHandler } from '../core/http/http-handler';
import { orderIdPath } from '../core/schemas/api-schemas';
import { parseOrThrow } from '../core/schemas/validation';
import { orderView } from './order-view';
import { routes } from './routes';

const orders = orderStore();

export const handler = httpHandler(routes.getOrder, async (request) => {
  const { orderId } = parseOrThrow(orderIdPath, request.pathParameters, 'path');
  const order = await orders.get(orderId);
  // Someone else's order is "not found", never "forbidden": ids must not be probeable.
  if (!order || order.customerId !== request.caller.userId) throw new NotFoundError(`order ${orderId} not found`);
  return { statusCode: 200, body: orderView(order), headers: { 'cache-control': 'private, no-cache' } };
});
