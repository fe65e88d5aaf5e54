import { skippedInStandby } from '../core/handlers/region-guard';
import { regionFence } from '../core/adapters/dynamodb/document-client';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod/mini';
import { compensationSchedule, orderStore } from '../core/adapters/dynamodb/stores';
import { paymentProvider } from '../core/adapters/payment-provider';
import { cancellationStarter, continuationStarter, workflowStarter } from '../core/adapters/workflow-starter';
import { settings } from '../core/config/settings';
import { logger, metrics, tagInvocation } from '../core/observability/powertools';
import { jobHandler } from '../core/handlers/job-handler';
import { recoverOrders, recoveryDependencies } from '../core/use-cases/jobs/recover-orders';
import { metricNames } from '../core/observability/metric-names';

/** Orders per query page: a page of every write shard of the status index. */
const pageSize = 100;
const orders = orderStore();
const deps = recoveryDependencies(
  {
    orders,
    workflow: workflowStarter(),
    compensationWorkflow: cancellationStarter(),
    compensations: compensationSchedule(),
    held: {
      orders,
      payments: paymentProvider(),
      continuations: continuationStarter(),
      authenticationDeadlineSeconds: settings.paymentAuthentication().deadlineSeconds,
      reviewDeadlineSeconds: settings.risk().reviewDeadlineSeconds,
    },
  },
  pageSize,
);
/** The most one invocation may restart: the offline runtime resumes everything in flight at once, on start. */
const maxLimit = 10_000;
// The saga's own time limit (TimeoutSeconds in the ASL) plus a margin: older in-flight orders lost their execution.
const olderThanSeconds = settings.recovery().afterSeconds;
// Holds last this long (the inventory store writes their expiry): an order still in flight after it is failed.
const holdSeconds = settings.stockHolds().holdMinutes * 60;

const overrides = z.object({
  olderThanSeconds: z.optional(z.int().check(z.gte(0))),
  /** How many orders one run restarts at most (100 by default, per scheduled run). */
  limit: z.optional(z.int().check(z.gte(1), z.lte(maxLimit))),
  /** Set by the offline runtime on start: no execution survived, so every pending compensation is rerun. */
  afterRestart: z.optional(z.boolean()),
});

/**
 * Scheduled: restarts the saga of every order that is in flight for longer than any execution can live. An operator
 * (or the offline runtime after a restart, when no execution can have survived) may invoke it with
 * `{"olderThanSeconds": 0, "limit": 10000}` to resume every in-flight order at once. The run's request id is its
 * correlation id: workflows it starts that have none of their own (compensation reruns) carry it.
 */
export const handler = jobHandler('recover-orders', async (event, context) => {
  if (await skippedInStandby('recover-orders')) return { skipped: 'standby' as const };
  const correlationId = context.awsRequestId;
  tagInvocation({ correlationId });
  const parsed = overrides.safeParse(event);
  const threshold = parsed.success ? (parsed.data.olderThanSeconds ?? olderThanSeconds) : olderThanSeconds;
  const role = await regionFence.role(true);
  const result = await recoverOrders(deps, {
    ...(role.epoch > 0 ? { promotion: { epoch: role.epoch, changedAt: role.changedAt } } : {}),
    olderThanSeconds: threshold,
    holdSeconds,
    limit: (parsed.success ? parsed.data.limit : undefined) ?? 100,
    afterRestart: parsed.success && parsed.data.afterRestart === true,
    correlationId,
  });
  metrics.addMetric(metricNames.ordersRecovered, MetricUnit.Count, result.restarted.length);
  metrics.addMetric(metricNames.reservationsExpired, MetricUnit.Count, result.expired.length);
  metrics.addMetric(metricNames.compensationsRerun, MetricUnit.Count, result.compensated.length);
  if (result.restarted.length > 0) logger.warn('restarted sagas of stuck orders', { orderIds: result.restarted });
  if (result.expired.length > 0) logger.warn('failed orders whose holds expired', { orderIds: result.expired });
  if (result.compensated.length > 0) logger.warn('ran pending compensations again', { orderIds: result.compensated });
  if (result.leftovers.length > 0) {
    logger.warn('orders the old active region left holding stock: left to an operator', { orderIds: result.leftovers });
  }
  if (result.skipped.length > 0) logger.warn('stuck orders left to an operator', { orderIds: result.skipped });
  metrics.addMetric(metricNames.paymentAuthenticationsExpired, MetricUnit.Count, result.authenticationExpired.length);
  if (result.authenticationExpired.length > 0) {
    logger.info('failed orders whose payment authentication expired', { orderIds: result.authenticationExpired });
  }
  metrics.addMetric(metricNames.riskReviewsExpired, MetricUnit.Count, result.reviewsExpired.length);
  if (result.reviewsExpired.length > 0) {
    logger.info('rejected orders whose risk review expired', { orderIds: result.reviewsExpired });
  }
  if (result.continued.length > 0) logger.warn('continued held orders', { orderIds: result.continued });
  return result;
});
