import { catalogStore, orderStore } from '../core/adapters/dynamodb/stores';
import { eventPublisher } from '../core/adapters/event-publisher';
import { featureFlags } from '../core/adapters/feature-flags';
import { workflowStarter } from '../core/adapters/workflow-starter';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { httpHandler } from '../core/http/http-handler';
import { idempotentExecutor } from '../core/http/idempotency';
import { metrics } from '../core/observability/powertools';
import { metricNames } from '../core/observability/metric-names';
import { placeOrderRequest } from '../core/schemas/api-schemas';
import { parseOrThrow } from '../core/schemas/validation';
import { placeOrder } from '../core/use-cases/place-order';
import { orderView } from './order-view';
import { routes } from './routes';

const deps = {
  catalog: catalogStore(),
  orders: orderStore(),
  workflow: workflowStarter(),
  events: eventPublisher(),
  flags: featureFlags(),
};

export const handler = httpHandler(
  routes.placeOrder,
  async (request) => {
    const body = parseOrThrow(placeOrderRequest, request.body, 'order');
    const order = await placeOrder(
      deps,
      request.caller.customerId,
      body,
      request.headers['idempotency-key'],
      request.correlationId,
    );
    metrics.addMetric(metricNames.orderPlaced, MetricUnit.Count, 1);
    return {
      statusCode: 202,
      body: orderView(order),
      headers: { location: `/orders/${order.orderId}`, 'cache-control': 'no-store' },
    };
  },
  { emitsMetrics: true, idempotency: idempotentExecutor('place-order') },
);
