import { orderStore } from '../core/adapters/dynamodb/stores';
import { httpHandler } from '../core/handlers/http-handler';
import { searchOrders } from '../core/use-cases/orders/search-orders';
import * as contract from './route-contracts';
import { adminOrderSummaryView } from './order-view';
import { routes } from './routes';

const orders = orderStore();

export const handler = httpHandler(routes.adminListOrders, contract.adminListOrders, async ({ query }) => {
  const page = await searchOrders(orders, query);
  return {
    body: {
      orders: page.orders.map(adminOrderSummaryView),
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    },
    headers: { 'cache-control': 'private, no-store' },
  };
});
