import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { attentionQueue } from '../core/adapters/attention-queue';
import { orderStore } from '../core/adapters/dynamodb/stores';
import { metrics } from '../core/observability/powertools';
import { taskHandler } from '../core/handlers/task-handler';
import { metricNames } from '../core/observability/metric-names';
import { flagForAttentionInput } from '../core/schemas/saga-schemas';
import { flagForAttention } from '../core/use-cases/saga/flag-for-attention';

const deps = { orders: orderStore(), queue: attentionQueue() };

export const handler = taskHandler(flagForAttentionInput, async ({ orderId, reason, error }) => {
  const result = await flagForAttention(deps, orderId, { reason, ...(error ? { error } : {}) });
  // Alarmed on: any order waiting for an operator pages someone.
  metrics.addMetric(metricNames.orderNeedsAttention, MetricUnit.Count, 1);
  return result;
});
