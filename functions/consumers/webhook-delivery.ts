import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import * as z from 'zod/mini';
import { webhookStore } from '../core/adapters/dynamodb/stores';
import { senderQueues } from '../core/adapters/webhook-queue';
import { httpWebhookSender } from '../core/adapters/webhook-sender';
import { settings } from '../core/config/settings';
import { jobHandler } from '../core/handlers/job-handler';
import { logger } from '../core/observability/powertools';
import { deliver, type DeliverDeps } from '../core/use-cases/webhooks/deliver';

const config = settings.webhooks();
const deps: DeliverDeps = {
  store: webhookStore(),
  queue: senderQueues(),
  send: httpWebhookSender({ allowLoopback: config.allowLoopback }),
  schedule: config.retryScheduleSeconds,
  disableAfterSeconds: config.disableAfterSeconds,
};

const message = z.object({
  ownerId: z.string(),
  webhookId: z.string(),
  deliveryId: z.string(),
  attempt: z.int().check(z.positive()),
  notBefore: z.optional(z.iso.datetime()),
});

/**
 * The sender: triggered by the delivery queue (an SQS event source mapping; offline the local queue poller), each
 * record one attempt of one delivery, made in parallel. A record whose handling throws (the table or the queue
 * failing, not the receiver: its failures are recorded and retried on the schedule) is reported as a batch item
 * failure, so SQS redelivers it alone, and after five receives moves it to the dead-letter queue.
 */
export const handler = jobHandler('webhook-delivery', async (event: unknown): Promise<SQSBatchResponse> => {
  const records = (event as SQSEvent).Records ?? [];
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  await Promise.all(
    records.map(async (record) => {
      try {
        const parsed = message.safeParse(JSON.parse(record.body));
        if (!parsed.success) {
          // Nothing can ever make it valid: logged and dropped instead of cycling to the dead-letter queue.
          logger.error('malformed webhook delivery message', { messageId: record.messageId });
          return;
        }
        const outcome = await deliver(deps, parsed.data);
        logger.info('webhook delivery', { ...parsed.data, outcome });
      } catch (error) {
        logger.error('webhook delivery failed', { messageId: record.messageId, error });
        failures.push({ itemIdentifier: record.messageId });
      }
    }),
  );
  return { batchItemFailures: failures };
});
