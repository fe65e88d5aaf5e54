import { orderStore } from '../core/adapters/dynamodb/stores';
import { paymentProvider } from '../core/adapters/payment-provider';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { metrics } from '../core/observability/powertools';
import { taskHandler } from '../core/handlers/task-handler';
import { metricNames } from '../core/observability/metric-names';
import { compensationInput } from '../core/schemas/saga-schemas';
import { voidPayment } from '../core/use-cases/saga/void-payment';

const deps = { orders: orderStore(), payments: paymentProvider() };

export const handler = taskHandler(compensationInput, async ({ orderId, reason }, { correlationId }) => {
  const result = await voidPayment(deps, orderId, reason, correlationId);
  metrics.addMetric(metricNames.paymentVoided, MetricUnit.Count, result.voided);
  metrics.addMetric(metricNames.paymentRefunded, MetricUnit.Count, result.refunded);
  return result;
});
