import { inventoryStore, orderStore } from '../core/adapters/dynamodb/stores';
import { paymentProvider } from '../core/adapters/payment-provider';
import { httpHandler } from '../core/handlers/http-handler';
import { idempotentExecutor } from '../core/http/idempotency';
import { fulfillOrder } from '../core/use-cases/orders/fulfill-order';
import * as contract from './route-contracts';
import { adminOrderView } from './order-view';
import { routes } from './routes';

const orders = orderStore();
const deps = { orders, inventory: inventoryStore(orders), payments: paymentProvider() };

export const handler = httpHandler(
  routes.adminFulfillOrder,
  contract.adminFulfillOrder,
  async ({ path, correlationId }) => {
    const fulfilled = await fulfillOrder(deps, path.orderId, correlationId);
    return { body: adminOrderView(fulfilled), headers: { 'cache-control': 'no-store' } };
  },
  { idempotency: idempotentExecutor('fulfill-order') },
);
