import { orderStore } from '../core/adapters/dynamodb/stores';
import { httpHandler } from '../core/handlers/http-handler';
import { getAnyOrderWithHistory } from '../core/use-cases/orders/get-order-history';
import * as contract from './route-contracts';
import { adminHistoryView, adminOrderView, reviewDetailsView, riskView } from './order-view';
import { routes } from './routes';

const orders = orderStore();

export const handler = httpHandler(routes.adminGetOrder, contract.adminGetOrder, async ({ path }) => {
  const { order, history } = await getAnyOrderWithHistory(orders, path.orderId);
  return {
    body: {
      ...adminOrderView(order),
      ...riskView(order),
      ...reviewDetailsView(order),
      history: history.map(adminHistoryView),
    },
    // Every change bumps the version and adds a history entry, so the version validates both.
    headers: { 'cache-control': 'private, no-cache', etag: `"${order.version}"` },
  };
});
