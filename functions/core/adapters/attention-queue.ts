import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { settings } from '../config/settings';
import type { AttentionQueue } from '../domain/ports';
import { tracer } from '../observability/powertools';

/** Orders needing an operator go to an SQS queue (alarmed on its depth); offline to the local emulator's queue. */
export class SqsAttentionQueue implements AttentionQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(message: { orderId: string; reason: string; failedStep?: string; error?: unknown }): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify({ ...message, at: new Date().toISOString() }),
        MessageAttributes: { orderId: { DataType: 'String', StringValue: message.orderId } },
      }),
    );
  }
}

export function attentionQueue(): SqsAttentionQueue {
  return new SqsAttentionQueue(tracer.captureAWSv3Client(new SQSClient({})), settings.attentionQueue().queueUrl);
}
