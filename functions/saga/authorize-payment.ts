import { orderStore } from '../core/adapters/dynamodb/stores';
import { paymentProvider } from '../core/adapters/payment-provider';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { metrics } from '../core/observability/powertools';
import { taskHandler } from '../core/handlers/task-handler';
import { metricNames } from '../core/observability/metric-names';
import { sagaTaskInput } from '../core/schemas/saga-schemas';
import { authorizePayment } from '../core/use-cases/saga/authorize-payment';

import { settings } from '../core/config/settings';

const deps = {
  orders: orderStore(),
  payments: paymentProvider(),
  authenticationDeadlineSeconds: settings.paymentAuthentication().deadlineSeconds,
  reviewDeadlineSeconds: settings.risk().reviewDeadlineSeconds,
};

export const handler = taskHandler(sagaTaskInput, async ({ orderId }, { correlationId }) => {
  const started = performance.now();
  const result = await authorizePayment(deps, orderId, correlationId);
  // An order parked for review was authorized: it counts as such (CheckRisk counted the review itself).
  metrics.addMetric(
    result.outcome === 'ACTION_REQUIRED' ? metricNames.paymentActionRequired : metricNames.paymentAuthorized,
    MetricUnit.Count,
    1,
  );
  metrics.addMetric(metricNames.paymentAuthorizationLatency, MetricUnit.Milliseconds, performance.now() - started);
  return result;
});
