import { httpHandler } from '../core/handlers/http-handler';
import { actorOf } from '../core/http/caller';
import { idempotentExecutor } from '../core/http/idempotency';
import { cancelOrder } from '../core/use-cases/orders/cancel-order';
import { loadAnyOrder } from '../core/use-cases/orders/get-order';
import { cancelDependencies } from './cancel-dependencies';
import * as contract from './route-contracts';
import { adminOrderView } from './order-view';
import { routes } from './routes';

const deps = cancelDependencies();

export const handler = httpHandler(
  routes.adminCancelOrder,
  contract.adminCancelOrder,
  async ({ path, body, caller, correlationId }) => {
    const order = await loadAnyOrder(deps.orders, path.orderId);
    const cancelled = await cancelOrder(
      deps,
      order,
      { actor: actorOf(caller, 'admin'), reason: body.reason },
      correlationId,
    );
    return { body: adminOrderView(cancelled), headers: { 'cache-control': 'no-store' } };
  },
  { idempotency: idempotentExecutor('admin-cancel-order') },
);
