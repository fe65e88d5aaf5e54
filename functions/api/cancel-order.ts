import { orderStore, partnerLookup } from '../core/adapters/dynamodb/stores';
import { eventPublisher } from '../core/adapters/event-publisher';
import { cancellationStarter } from '../core/adapters/workflow-starter';
import { httpHandler } from '../core/handlers/http-handler';
import { settings } from '../core/config/settings';
import { idempotentExecutor } from '../core/http/idempotency';
import { cancelOrder } from '../core/use-cases/orders/cancel-order';
import { loadOwnOrder } from '../core/use-cases/orders/get-order';
import { contract } from './contract';
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
  contract.cancelOrder,
  async ({ path, caller, correlationId }) => {
    const order = await loadOwnOrder(deps.orders, path.orderId, caller.customerId);
    const cancelled = await cancelOrder(deps, order, correlationId);
    return { body: orderView(cancelled), headers: { 'cache-control': 'no-store' } };
  },
  { idempotency: idempotentExecutor('cancel-order'), partners: partnerLookup() },
);
