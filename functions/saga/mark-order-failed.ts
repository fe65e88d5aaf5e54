import { compensationSchedule, orderStore } from '../core/adapters/dynamodb/stores';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { settings } from '../core/config/settings';
import { reportingCompletion } from '../core/observability/order-completion';
import { metrics } from '../core/observability/powertools';
import { taskHandler } from '../core/handlers/task-handler';
import { markOrderFailedInput } from '../core/schemas/saga-schemas';
import { markOrderFailed } from '../core/use-cases/saga/mark-order-failed';
import { metricDimensions, metricNames } from '../core/observability/metric-names';

// Reports how long each order took from placement to FAILED (the order-completion objective).
const deps = {
  orders: reportingCompletion(orderStore(), ['FAILED']),
  compensations: compensationSchedule(),
};
const paymentSettleSeconds = settings.paymentSettlement().settleSeconds;

export const handler = taskHandler(markOrderFailedInput, async ({ orderId, reason }, { correlationId }) => {
  const result = await markOrderFailed(deps, orderId, reason, paymentSettleSeconds, correlationId);
  // One metric per reason, so a dashboard can tell stock-outs from declines from our own faults.
  if (result.failureReason) {
    metrics
      .singleMetric()
      .addDimension(metricDimensions.failureReason, result.failureReason)
      .addMetric(metricNames.orderFailed, MetricUnit.Count, 1);
  }
  return result;
});
