import { readFileSync } from 'node:fs';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { featureFlags } from '../core/adapters/feature-flags';
import { settings } from '../core/config/settings';
import { orderStore } from '../core/adapters/dynamodb/stores';
import { logger, metrics } from '../core/observability/powertools';
import { taskHandler } from '../core/handlers/task-handler';
import { metricNames } from '../core/observability/metric-names';
import { loadRiskModel } from '../core/risk/risk-decision';
import bundledModel from '../core/risk/risk-model.json';
import { sagaTaskInput } from '../core/schemas/saga-schemas';
import { checkRisk } from '../core/use-cases/saga/check-risk';

const risk = settings.risk();
// The model is parsed once per container. Only this function bundles it (about 3 KB of JSON): no other function on
// the order path imports functions/core/risk/. A missing or invalid file leaves the step on the static rules.
const model = loadRiskModel(
  () => (risk.modelFile ? (JSON.parse(readFileSync(risk.modelFile, 'utf8')) as unknown) : bundledModel),
  (error) => {
    logger.error('no risk model loaded: the static rules decide', { modelFile: risk.modelFile, error });
    metrics.addMetric(metricNames.riskModelUnavailable, MetricUnit.Count, 1);
  },
);
const deps = {
  orders: orderStore(),
  limits: {
    maxOrderAmount: risk.maxOrderAmount,
    maxOrdersPerHour: { customer: risk.maxOrdersPerHour, partner: risk.maxPartnerOrdersPerHour },
  },
  ...(model ? { model } : {}),
  thresholds: {
    ...(risk.reviewThreshold === undefined ? {} : { review: risk.reviewThreshold }),
    ...(risk.rejectThreshold === undefined ? {} : { reject: risk.rejectThreshold }),
  },
};
const flags = featureFlags();

const decisionMetrics = {
  approve: metricNames.riskApproved,
  review: metricNames.riskReview,
} as const;

export const handler = taskHandler(sagaTaskInput, async ({ orderId }) => {
  const { riskCheck } = await flags.get();
  const result = await checkRisk({ ...deps, riskCheckEnabled: riskCheck.enabled }, orderId);
  // Approvals without evaluation are counted apart, so a dashboard shows how long the rules were switched off.
  const unevaluated = 'evaluated' in result && result.evaluated === false;
  const decision = 'riskDecision' in result && result.riskDecision === 'review' ? 'review' : 'approve';
  metrics.addMetric(unevaluated ? metricNames.riskCheckSkipped : decisionMetrics[decision], MetricUnit.Count, 1);
  return result;
});
