import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { orderStore } from '../core/adapters/dynamodb/stores';
import { riskLimitsFromEnv } from '../core/domain/risk';
import { metrics } from '../core/observability/powertools';
import { taskHandler } from '../core/observability/task-handler';
import { sagaTaskInput } from '../core/schemas/saga-schemas';
import { checkRisk } from '../core/use-cases/saga-steps';

const deps = { orders: orderStore(), limits: riskLimitsFromEnv() };

export const handler = taskHandler(sagaTaskInput, async ({ orderId }) => {
  const result = await checkRisk(deps, orderId);
  metrics.addMetric('RiskApproved', MetricUnit.Count, 1);
  return result;
});
