import { orderStore, partnerLookup } from '../core/adapters/dynamodb/stores';
import { httpHandler } from '../core/handlers/http-handler';
import { getOrderHistory } from '../core/use-cases/orders/get-order-history';
import * as contract from './route-contracts';
import { ownerHistoryView } from './order-view';
import { routes } from './routes';

const orders = orderStore();

export const handler = httpHandler(
  routes.getOrderHistory,
  contract.getOrderHistory,
  async ({ path, caller }) => {
    const { order, history } = await getOrderHistory(orders, path.orderId, caller.customerId);
    return {
      body: { orderId: path.orderId, history: history.map(ownerHistoryView) },
      headers: { 'cache-control': 'private, no-cache', etag: `"${order.version}"` },
    };
  },
  { partners: partnerLookup() },
);
