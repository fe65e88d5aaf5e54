import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod/mini';
import { orderStore } from '../core/adapters/dynamodb/stores';
import { workflowStarter } from '../core/adapters/workflow-starter';
import { envNames, optionalIntEnv } from '../core/config/runtime-config';
import { logger, metrics } from '../core/observability/powertools';
import { jobHandler } from '../core/observability/job-handler';
import { recoverOrders } from '../core/use-cases/recover-orders';

const orders = orderStore();
const deps = {
  findOrders: async (status: Parameters<typeof orders.listByStatus>[0], before: string, limit: number) =>
    (await orders.listByStatus(status, { to: before, limit: Math.max(1, limit) })).orders,
  workflow: workflowStarter(),
};
// The saga's own time limit (TimeoutSeconds in the ASL) plus a margin: older in-flight orders lost their execution.
const olderThanSeconds = optionalIntEnv(envNames.recoveryAfterSeconds, 360);

const overrides = z.object({ olderThanSeconds: z.optional(z.int().check(z.gte(0))) });

/**
 * Scheduled: restarts the saga of every order that is in flight for longer than any execution can live. An operator
 * (or the offline runtime after a restart, when no execution can have survived) may invoke it with
 * `{"olderThanSeconds": 0}` to resume every in-flight order at once.
 */
export const handler = jobHandler('recover-orders', async (event) => {
  const parsed = overrides.safeParse(event);
  const threshold = parsed.success ? (parsed.data.olderThanSeconds ?? olderThanSeconds) : olderThanSeconds;
  const result = await recoverOrders(deps, threshold);
  metrics.addMetric('OrdersRecovered', MetricUnit.Count, result.restarted.length);
  if (result.restarted.length > 0) logger.warn('restarted sagas of stuck orders', { orderIds: result.restarted });
  if (result.skipped.length > 0) logger.warn('stuck orders left to an operator', { orderIds: result.skipped });
  return result;
});
