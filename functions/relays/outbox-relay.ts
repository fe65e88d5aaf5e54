import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { outboxChange } from '../core/adapters/dynamodb/outbox-attributes';
import { eventPublisher } from '../core/adapters/event-publisher';
import { jobHandler } from '../core/handlers/job-handler';
import { metricNames } from '../core/observability/metric-names';
import { logger, metrics } from '../core/observability/powertools';
import { relayOutbox } from '../core/use-cases/events/relay-outbox';

const publisher = eventPublisher();

/**
 * The outbox relay, triggered by the table's stream (its event source mapping filters for items that carry an
 * event, and reports batch item failures). It publishes each event to the orders bus in stream order, at least once,
 * and on a refusal names the first record not published: Lambda checkpoints everything before it and delivers that
 * record and the rest again, with its retry policy; after the last retry the batch's position goes to a dead-letter
 * queue (docs/runbooks/outbox-relay.md). Offline, local/emulators/stream-relay.ts reads DynamoDB Local's stream and
 * calls this same handler.
 */
export const handler = jobHandler('outbox-relay', async (event: unknown): Promise<DynamoDBBatchResponse> => {
  const records = (event as DynamoDBStreamEvent).Records ?? [];
  const outcome = await relayOutbox(records.map(outboxChange), publisher, process.env.AWS_REGION);
  metrics.addMetric(metricNames.eventsRelayed, MetricUnit.Count, outcome.published);
  if (outcome.resumeFrom === undefined) return { batchItemFailures: [] };
  logger.warn('the bus did not take every event; the stream delivers the rest again', {
    published: outcome.published,
    resumeFrom: outcome.resumeFrom,
    error: outcome.error,
  });
  return { batchItemFailures: [{ itemIdentifier: outcome.resumeFrom }] };
});
