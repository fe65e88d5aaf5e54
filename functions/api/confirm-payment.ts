import { orderStore, partnerLookup } from '../core/adapters/dynamodb/stores';
import { paymentProvider } from '../core/adapters/payment-provider';
import { continuationStarter } from '../core/adapters/workflow-starter';
import { httpHandler } from '../core/handlers/http-handler';
import { actorOf } from '../core/http/caller';
import { idempotentExecutor } from '../core/http/idempotency';
import { loadOwnOrder } from '../core/use-cases/orders/get-order';
import { continueAfterAuthentication } from '../core/use-cases/orders/held-orders';
import * as contract from './route-contracts';
import { orderView } from './order-view';
import { routes } from './routes';

const deps = { orders: orderStore(), payments: paymentProvider(), continuations: continuationStarter() };

export const handler = httpHandler(
  routes.confirmPayment,
  contract.confirmPayment,
  async ({ path, caller, correlationId }) => {
    const order = await loadOwnOrder(deps.orders, path.orderId, caller.customerId);
    const actor = actorOf(caller, 'owner');
    const { order: continued } = await continueAfterAuthentication(
      deps,
      order,
      `${actor.kind}:${actor.id}`,
      correlationId,
    );
    return { body: orderView(continued), headers: { 'cache-control': 'no-store' } };
  },
  { idempotency: idempotentExecutor('confirm-payment'), partners: partnerLookup() },
);
