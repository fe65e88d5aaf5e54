import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod/mini';
import { salesHistory } from '../core/adapters/dynamodb/stores';
import { jobHandler } from '../core/handlers/job-handler';
import { logger, metrics } from '../core/observability/powertools';
import { metricNames } from '../core/observability/metric-names';
import { recordSales } from '../core/use-cases/sales/record-sales';

const history = salesHistory();

/** The EventBridge event around an order event: only what the sales history reads, validated. */
const busEvent = z.object({
  detail: z.object({
    id: z.string(),
    type: z.string(),
    occurredAt: z.iso.datetime({ offset: true }),
    data: z.object({
      orderId: z.string(),
      items: z.array(
        z.object({
          productId: z.string(),
          quantity: z.int().check(z.positive()),
          lineTotal: z.object({ amount: z.int(), currency: z.string() }),
        }),
      ),
    }),
  }),
});

/**
 * Invoked by the EventBridge rule for order.confirmed and order.cancelled (offline: by the local bus). A malformed
 * event fails the invocation: EventBridge retries it, then leaves it in the dead-letter queue for an operator.
 */
export const handler = jobHandler('sales-history', async (event: unknown) => {
  const { detail } = busEvent.parse(event);
  const outcome = await recordSales(history, detail);
  if (outcome === 'counted' || outcome === 'reversed') {
    const units = detail.data.items.reduce((sum, line) => sum + line.quantity, 0);
    metrics.addMetric(metricNames.salesRecorded, MetricUnit.Count, outcome === 'counted' ? units : -units);
  }
  logger.info('sales history', { eventId: detail.id, orderId: detail.data.orderId, outcome });
  return { outcome };
});
