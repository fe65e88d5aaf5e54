import { orderStore } from '../core/adapters/dynamodb/stores';
import { httpHandler } from '../core/handlers/http-handler';
import { listReviews } from '../core/use-cases/orders/review-orders';
import * as contract from './route-contracts';
import { reviewView } from './order-view';
import { routes } from './routes';

const orders = orderStore();

export const handler = httpHandler(routes.adminListReviews, contract.adminListReviews, async ({ query }) => {
  const page = await listReviews(orders, query);
  return {
    body: { orders: page.orders.map(reviewView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) },
    headers: { 'cache-control': 'private, no-store' },
  };
});
