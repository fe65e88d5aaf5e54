import { partnerLookup } from '../core/adapters/dynamodb/stores';
import { httpHandler } from '../core/handlers/http-handler';
import { actorOf } from '../core/http/caller';
import { idempotentExecutor } from '../core/http/idempotency';
import { cancelOrder } from '../core/use-cases/orders/cancel-order';
import { loadOwnOrder } from '../core/use-cases/orders/get-order';
import { cancelDependencies } from './cancel-dependencies';
import * as contract from './route-contracts';
import { orderView } from './order-view';
import { routes } from './routes';

const deps = cancelDependencies();

export const handler = httpHandler(
  routes.cancelOrder,
  contract.cancelOrder,
  async ({ path, caller, correlationId }) => {
    const order = await loadOwnOrder(deps.orders, path.orderId, caller.customerId);
    const cancelled = await cancelOrder(deps, order, { actor: actorOf(caller, 'owner') }, correlationId);
    return { body: orderView(cancelled), headers: { 'cache-control': 'no-store' } };
  },
  { idempotency: idempotentExecutor('cancel-order'), partners: partnerLookup() },
);
