import { orderStore, partnerLookup } from '../core/adapters/dynamodb/stores';
import { httpHandler } from '../core/handlers/http-handler';
import { listOwnOrders } from '../core/use-cases/orders/list-orders';
import * as contract from './route-contracts';
import { orderSummaryView } from './order-view';
import { routes } from './routes';

const orders = orderStore();

export const handler = httpHandler(
  routes.listOrders,
  contract.listOrders,
  async ({ query, caller }) => {
    const page = await listOwnOrders(orders, caller.customerId, query);
    return {
      body: { orders: page.orders.map(orderSummaryView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) },
      headers: { 'cache-control': 'private, no-cache' },
    };
  },
  { partners: partnerLookup() },
);
