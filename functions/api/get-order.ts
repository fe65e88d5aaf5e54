import { orderStore, partnerLookup } from '../core/adapters/dynamodb/stores';
import { httpHandler } from '../core/handlers/http-handler';
import { loadOwnOrder } from '../core/use-cases/orders/get-order';
import * as contract from './route-contracts';
import { ownOrderView } from './order-view';
import { routes } from './routes';

const orders = orderStore();

export const handler = httpHandler(
  routes.getOrder,
  contract.getOrder,
  async ({ path, caller }) => {
    const order = await loadOwnOrder(orders, path.orderId, caller.customerId);
    return {
      body: ownOrderView(order),
      headers: { 'cache-control': 'private, no-cache', etag: `"${order.version}"` },
    };
  },
  { partners: partnerLookup() },
);
