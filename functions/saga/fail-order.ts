import { orderStore } from '../core/adapters/dynamodb/stores';
import { eventPublisher } from '../core/adapters/event-publisher';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { metrics } from '../core/observability/powertools';
import { taskHandler } from '../core/observability/task-handler';
import { failOrderInput } from '../core/schemas/saga-schemas';
import { failOrder } from '../core/use-cases/saga-steps';

const deps = { orders: orderStore(), events: eventPublisher() };

export const handler = taskHandler(failOrderInput, async ({ orderId, reason }) => {
  const result = await failOrder(deps, orderId, reason);
  // One metric per reason, so a dashboard can tell stock-outs from declines from our own faults.
  metrics.singleMetric().addDimension('failureReason', reason).addMetric('OrderFailed', MetricUnit.Count, 1);
  return result;
});
