import { catalogStore, orderStore } from '../core/adapters/dynamodb/stores';
import { paymentProvider } from '../core/adapters/payment-provider';
import { httpHandler } from '../core/handlers/http-handler';
import { actorOf } from '../core/http/caller';
import { idempotentExecutor } from '../core/http/idempotency';
import { readIdempotencyKey } from '../core/http/idempotency-key';
import { refundOrder } from '../core/use-cases/orders/refund-order';
import * as contract from './route-contracts';
import { adminOrderView } from './order-view';
import { routes } from './routes';

const deps = { orders: orderStore(), catalog: catalogStore(), payments: paymentProvider() };

export const handler = httpHandler(
  routes.adminRefundOrder,
  contract.adminRefundOrder,
  async ({ path, body, caller, headers, correlationId }) => {
    const requestKey = readIdempotencyKey(headers);
    const refunded = await refundOrder(
      deps,
      path.orderId,
      {
        amount: body.amount,
        reason: body.reason,
        actor: actorOf(caller, 'admin'),
        ...(body.restock ? { restock: body.restock } : {}),
        ...(requestKey ? { requestKey } : {}),
      },
      correlationId,
    );
    return { body: adminOrderView(refunded), headers: { 'cache-control': 'no-store' } };
  },
  { idempotency: idempotentExecutor('admin-refund-order') },
);
