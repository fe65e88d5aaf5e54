import { orderStore } from '../core/adapters/dynamodb/stores';
import { eventPublisher } from '../core/adapters/event-publisher';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { metrics } from '../core/observability/powertools';
import { taskHandler } from '../core/observability/task-handler';
import { sagaTaskInput } from '../core/schemas/saga-schemas';
import { confirmOrder } from '../core/use-cases/saga-steps';

const deps = { orders: orderStore(), events: eventPublisher() };

export const handler = taskHandler(sagaTaskInput, async ({ orderId }) => {
  const result = await confirmOrder(deps, orderId);
  metrics.addMetric('OrderConfirmed', MetricUnit.Count, 1);
  return result;
});
