import { catalogStore, orderStore, partnerLookup } from '../core/adapters/dynamodb/stores';
import { featureFlags } from '../core/adapters/feature-flags';
import { workflowStarter } from '../core/adapters/workflow-starter';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { httpHandler } from '../core/handlers/http-handler';
import { idempotentExecutor } from '../core/http/idempotency';
import { logger, metrics } from '../core/observability/powertools';
import { placeOrder } from '../core/use-cases/orders/place-order';
import * as contract from './route-contracts';
import { metricNames } from '../core/observability/metric-names';
import { orderView } from './order-view';
import { routes } from './routes';

const deps = {
  catalog: catalogStore(),
  orders: orderStore(),
  workflow: workflowStarter(),
  flags: featureFlags(),
  sagaNotStarted: (orderId: string, error: unknown) => {
    logger.error('the order is stored but its saga did not start; the recovery job will start it', { orderId, error });
    metrics.addMetric(metricNames.sagaNotStarted, MetricUnit.Count, 1);
  },
};

export const handler = httpHandler(
  routes.placeOrder,
  contract.placeOrder,
  async ({ body, caller, headers, correlationId }) => {
    const order = await placeOrder(deps, caller.customerId, body, headers['idempotency-key'], correlationId);
    metrics.addMetric(metricNames.orderPlaced, MetricUnit.Count, 1);
    return {
      body: orderView(order),
      headers: { location: `/orders/${order.orderId}`, 'cache-control': 'no-store' },
    };
  },
  { emitsMetrics: true, idempotency: idempotentExecutor('place-order'), partners: partnerLookup() },
);
