import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod/mini';
import { emailLedger, orderStore } from '../core/adapters/dynamodb/stores';
import { sesMailer } from '../core/adapters/ses-mailer';
import { failureReasons } from '../core/domain/order';
import { jobHandler } from '../core/handlers/job-handler';
import { metricNames } from '../core/observability/metric-names';
import { logger, metrics } from '../core/observability/powertools';
import { sendOrderEmail } from '../core/use-cases/notifications/send-order-email';

const deps = { orders: orderStore(), ledger: emailLedger(), mailer: sesMailer() };

/** The EventBridge event around an order event: only what the email needs, validated. */
const busEvent = z.object({
  detail: z.object({
    id: z.string(),
    type: z.string(),
    data: z.object({
      orderId: z.string(),
      items: z.array(z.object({ name: z.string(), quantity: z.int().check(z.positive()) })),
      total: z.object({ amount: z.int(), currency: z.string() }),
      failureReason: z.optional(z.enum(failureReasons)),
      contactEmail: z.optional(z.string()),
    }),
  }),
});

/**
 * Invoked by the EventBridge rule for order.confirmed, .failed, .cancelled and .fulfilled (offline: by the local
 * bus). A malformed event, or an email another delivery is still sending, fails the invocation: EventBridge retries
 * it, then leaves it in the dead-letter queue. The recipient's address is never logged.
 */
export const handler = jobHandler('customer-emails', async (event: unknown) => {
  const { detail } = busEvent.parse(event);
  const outcome = await sendOrderEmail(deps, detail);
  // Zero included (a duplicate, an order without a contact email): the series has no gaps.
  metrics.addMetric(metricNames.customerEmailSent, MetricUnit.Count, outcome === 'sent' ? 1 : 0);
  logger.info('customer email', { eventId: detail.id, orderId: detail.data.orderId, type: detail.type, outcome });
  return { outcome };
});
