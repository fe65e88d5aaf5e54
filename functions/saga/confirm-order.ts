import { orderStore } from '../core/adapters/dynamodb/stores';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { reportingCompletion } from '../core/observability/order-completion';
import { metrics } from '../core/observability/powertools';
import { taskHandler } from '../core/handlers/task-handler';
import { metricNames } from '../core/observability/metric-names';
import { sagaTaskInput } from '../core/schemas/saga-schemas';
import { confirmOrder } from '../core/use-cases/saga/confirm-order';

// Reports how long each order took from placement to CONFIRMED (the order-completion objective).
const deps = { orders: reportingCompletion(orderStore(), ['CONFIRMED']) };

export const handler = taskHandler(sagaTaskInput, async ({ orderId }, { correlationId }) => {
  const result = await confirmOrder(deps, orderId, correlationId);
  metrics.addMetric(metricNames.orderConfirmed, MetricUnit.Count, 1);
  return result;
});
