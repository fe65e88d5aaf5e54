import { compensationSchedule, inventoryStore, orderStore } from '../core/adapters/dynamodb/stores';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { metrics } from '../core/observability/powertools';
import { taskHandler } from '../core/handlers/task-handler';
import { metricNames } from '../core/observability/metric-names';
import { compensationInput } from '../core/schemas/saga-schemas';
import { releaseStock } from '../core/use-cases/saga/release-stock';

const orders = orderStore();
const deps = { orders, inventory: inventoryStore(orders), compensations: compensationSchedule() };

export const handler = taskHandler(compensationInput, async ({ orderId, reason }) => {
  const result = await releaseStock(deps, orderId, reason);
  metrics.addMetric(metricNames.stockReleasedUnits, MetricUnit.Count, result.released);
  return result;
});
