import { inventoryStore, orderStore } from '../core/adapters/dynamodb/stores';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { metrics } from '../core/observability/powertools';
import { taskHandler } from '../core/handlers/task-handler';
import { metricNames } from '../core/observability/metric-names';
import { sagaTaskInput } from '../core/schemas/saga-schemas';
import { reserveStock } from '../core/use-cases/saga/reserve-stock';

const orders = orderStore();
const deps = { orders, inventory: inventoryStore(orders) };

export const handler = taskHandler(sagaTaskInput, async ({ orderId }) => {
  const result = await reserveStock(deps, orderId);
  metrics.addMetric(metricNames.stockReserved, MetricUnit.Count, 1);
  return result;
});
