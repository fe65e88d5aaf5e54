import { orderStore } from '../core/adapters/dynamodb/stores';
import { eventPublisher } from '../core/adapters/event-publisher';
import { cancellationStarter } from '../core/adapters/workflow-starter';
import { settings } from '../core/config/settings';
import { httpHandler } from '../core/http/http-handler';
import { idempotentExecutor } from '../core/http/idempotency';
import { emptyBody, orderIdPath } from '../core/schemas/api-schemas';
import { parseOrThrow } from '../core/schemas/validation';
import { cancelOrder, loadOwnOrder } from '../core/use-cases/order-lifecycle';
import { orderView } from './order-view';
import { routes } from './routes';

const deps = {
  orders: orderStore(),
  cancellations: cancellationStarter(),
  events: eventPublisher(),
  // The recovery job's threshold: a cancellation workflow still unfinished by then has died.
  compensationDeadlineSeconds: settings.recovery().afterSeconds,
};

export const handler = httpHandler(
  routes.cancelOrder,
  async (request) => {
    const { orderId } = parseOrThrow(orderIdPath, request.pathParameters, 'path');
    // No body at all counts as an empty one; a JSON null is a body, and not the empty object the contract allows.
    parseOrThrow(emptyBody, request.body === undefined ? {} : request.body, 'body');
    const order = await loadOwnOrder(deps.orders, orderId, request.caller.customerId);
    const cancelled = await cancelOrder(deps, order, request.correlationId);
    return { statusCode: 200, body: orderView(cancelled), headers: { 'cache-control': 'no-store' } };
  },
  { idempotency: idempotentExecutor('cancel-order') },
);
