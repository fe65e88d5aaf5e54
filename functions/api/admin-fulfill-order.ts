import { inventoryStore, orderStore } from '../core/adapters/dynamodb/stores';
import { eventPublisher } from '../core/adapters/event-publisher';
import { paymentProvider } from '../core/adapters/payment-provider';
import { httpHandler } from '../core/http/http-handler';
import { idempotentExecutor } from '../core/http/idempotency';
import { emptyBody, orderIdPath } from '../core/schemas/api-schemas';
import { parseOrThrow } from '../core/schemas/validation';
import { fulfillOrder } from '../core/use-cases/order-lifecycle';
import { adminOrderView } from './order-view';
import { routes } from './routes';

const orders = orderStore();
const deps = { orders, inventory: inventoryStore(orders), payments: paymentProvider(), events: eventPublisher() };

export const handler = httpHandler(
  routes.adminFulfillOrder,
  async (request) => {
    const { orderId } = parseOrThrow(orderIdPath, request.pathParameters, 'path');
    // No body at all counts as an empty one; a JSON null is a body, and not the empty object the contract allows.
    parseOrThrow(emptyBody, request.body === undefined ? {} : request.body, 'body');
    const fulfilled = await fulfillOrder(deps, orderId, request.correlationId);
    return { statusCode: 200, body: adminOrderView(fulfilled), headers: { 'cache-control': 'no-store' } };
  },
  { idempotency: idempotentExecutor('fulfill-order') },
);
