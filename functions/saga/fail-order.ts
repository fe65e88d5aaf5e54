import { compensationSchedule, orderStore } from '../core/adapters/dynamodb/stores';
import { eventPublisher } from '../core/adapters/event-publisher';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { settings } from '../core/config/settings';
import { reportingCompletion } from '../core/observability/order-completion';
import { metrics } from '../core/observability/powertools';
import { metricDimensions, metricNames } from '../core/observability/metric-names';
import { taskHandler } from '../core/observability/task-handler';
import { failOrderInput } from '../core/schemas/saga-schemas';
import { failOrder } from '../core/use-cases/saga-steps';

// Reports how long each order took from placement to FAILED (the order-completion objective).
const deps = {
  orders: reportingCompletion(orderStore(), ['FAILED']),
  events: eventPublisher(),
  compensations: compensationSchedule(),
};
const paymentSettleSeconds = settings.paymentSettlement().settleSeconds;

export const handler = taskHandler(failOrderInput, async ({ orderId, reason }, { correlationId }) => {
  const result = await failOrder(deps, orderId, reason, paymentSettleSeconds, correlationId);
  // One metric per reason, so a dashboard can tell stock-outs from declines from our own faults.
  if (result.failureReason) {
    metrics
      .singleMetric()
      .addDimension(metricDimensions.failureReason, result.failureReason)
      .addMetric(metricNames.orderFailed, MetricUnit.Count, 1);
  }
  return result;
});
