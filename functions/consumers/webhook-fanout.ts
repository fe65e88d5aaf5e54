import * as z from 'zod/mini';
import { webhookStore } from '../core/adapters/dynamodb/stores';
import { deliveryQueue } from '../core/adapters/webhook-queue';
import type { DomainEvent } from '../core/domain/events';
import { jobHandler } from '../core/handlers/job-handler';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { metricNames } from '../core/observability/metric-names';
import { logger, metrics } from '../core/observability/powertools';
import { fanOutEvent } from '../core/use-cases/webhooks/fan-out';

const deps = { store: webhookStore(), queue: deliveryQueue() };

/** The EventBridge event around an order event: the envelope fields a delivery needs, the rest passed on as is. */
const busEvent = z.object({
  detail: z.looseObject({
    id: z.string(),
    type: z.string(),
    occurredAt: z.iso.datetime({ offset: true }),
    data: z.looseObject({ orderId: z.string(), customerId: z.string() }),
  }),
});

/**
 * Invoked by the EventBridge rule for every order event type (offline: by the local bus): records one delivery per
 * endpoint that wants the event and queues it for the sender (functions/consumers/webhook-delivery.ts). A failure
 * fails the invocation: EventBridge retries it, then leaves the event in the dead-letter queue.
 */
export const handler = jobHandler('webhook-fanout', async (event: unknown) => {
  const { detail } = busEvent.parse(event);
  const outcome = await fanOutEvent(deps, detail as unknown as DomainEvent);
  // Zero included: an event no endpoint wants is the common case, and a series with gaps reads as an outage.
  metrics.addMetric(metricNames.webhookDeliveriesRecorded, MetricUnit.Count, outcome.recorded);
  logger.info('webhook fan-out', { eventId: detail.id, orderId: detail.data.orderId, ...outcome });
  return outcome;
});
