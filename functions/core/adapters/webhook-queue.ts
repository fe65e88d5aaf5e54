import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { settings } from '../config/settings';
import type { DeliveryMessage, DeliveryQueue } from '../domain/webhooks';
import { tracer } from '../observability/powertools';

/** SQS allows at most 15 minutes of delay per message: longer waits are chained (docs/webhooks.md). */
export const maxQueueDelaySeconds = 900;

/** The webhook delivery queue and its dead-letter queue (SQS; offline the local emulator's queues). */
export class SqsDeliveryQueue implements DeliveryQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    private readonly deadLetterQueueUrl?: string,
  ) {}

  async send(message: DeliveryMessage, delaySeconds = 0): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(message),
        DelaySeconds: Math.max(0, Math.min(maxQueueDelaySeconds, Math.ceil(delaySeconds))),
      }),
    );
  }

  async deadLetter(message: DeliveryMessage & { readonly reason: string }): Promise<void> {
    if (!this.deadLetterQueueUrl) throw new Error('this function has no webhook dead-letter queue');
    await this.client.send(
      new SendMessageCommand({ QueueUrl: this.deadLetterQueueUrl, MessageBody: JSON.stringify(message) }),
    );
  }
}

/** The queue for functions that only send deliveries (the fan-out, manual retries and replays). */
export function deliveryQueue(): SqsDeliveryQueue {
  return new SqsDeliveryQueue(tracer.captureAWSv3Client(new SQSClient({})), settings.webhookQueue().queueUrl);
}

/** The queues of the sender, which also parks spent deliveries in the dead-letter queue. */
export function senderQueues(): SqsDeliveryQueue {
  return new SqsDeliveryQueue(
    tracer.captureAWSv3Client(new SQSClient({})),
    settings.webhookQueue().queueUrl,
    settings.webhookDeadLetters().queueUrl,
  );
}
