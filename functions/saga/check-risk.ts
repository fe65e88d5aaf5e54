import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { featureFlags } from '../core/adapters/feature-flags';
import { settings } from '../core/config/settings';
import { orderStore } from '../core/adapters/dynamodb/stores';
import { metrics } from '../core/observability/powertools';
import { taskHandler } from '../core/handlers/task-handler';
import { metricNames } from '../core/observability/metric-names';
import { sagaTaskInput } from '../core/schemas/saga-schemas';
import { checkRisk } from '../core/use-cases/saga/check-risk';

const risk = settings.risk();
const deps = {
  orders: orderStore(),
  limits: {
    maxOrderAmount: risk.maxOrderAmount,
    maxOrdersPerHour: { customer: risk.maxOrdersPerHour, partner: risk.maxPartnerOrdersPerHour },
  },
};
const flags = featureFlags();

export const handler = taskHandler(sagaTaskInput, async ({ orderId }) => {
  const { riskCheck } = await flags.get();
  const result = await checkRisk({ ...deps, riskCheckEnabled: riskCheck.enabled }, orderId);
  // Approvals without evaluation are counted apart, so a dashboard shows how long the rules were switched off.
  const unevaluated = 'evaluated' in result && result.evaluated === false;
  metrics.addMetric(unevaluated ? metricNames.riskCheckSkipped : metricNames.riskApproved, MetricUnit.Count, 1);
  return result;
});
