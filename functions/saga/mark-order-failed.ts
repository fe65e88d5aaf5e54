import { compensationSchedule, orderStore } from '../core/adapters/dynamodb/stores';
import { eventPublisher } from '../core/adapters/event-publisher';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { envNames, optionalIntEnv } from '../core/config/runtime-config';
import { reportingCompletion } from '../core/observability/order-completion';
import { metrics } from '../core/observability/powertools';
import { taskHandler } from '../core/handlers/task-handler';
import { markOrderFailedInput } from '../core/schemas/saga-schemas';
import { markOrderFailed } from '../core/use-cases/saga/mark-order-failed';

// Reports how long each order took from placement to FAILED (the order-completion objective).
const deps = {
  orders: reportingCompletion(orderStore(), ['FAILED']),
  events: eventPublisher(),
  compensations: compensationSchedule(),
};
/**
 * How long after a failed payment an authorization may still appear at the provider (a request that timed out here
 * but was processed there): the compensations run once more after it. Longer than the provider's own request limit.
 */
const paymentSettleSeconds = optionalIntEnv(envNames.paymentSettleSeconds, 120);

export const handler = taskHandler(markOrderFailedInput, async ({ orderId, reason }, { correlationId }) => {
  const result = await markOrderFailed(deps, orderId, reason, paymentSettleSeconds, correlationId);
  // One metric per reason, so a dashboard can tell stock-outs from declines from our own faults.
  if (result.failureReason) {
    metrics
      .singleMetric()
      .addDimension('failureReason', result.failureReason)
      .addMetric('OrderFailed', MetricUnit.Count, 1);
  }
  return result;
});
