import { redactedForConsole } from '../../functions/core/observability/redaction';
import type { LocalAwsEmulator } from './aws-services';
import { lambdaContext, loadHandler, type LambdaHandler } from './lambda-context';

/**
 * What Lambda's SQS event source mapping does, offline: polls a queue of the local emulator, invokes the same
 * handler module with SQS-shaped events (batches of up to `batchSize`), deletes the records the handler did not
 * report in `batchItemFailures` and leaves the others to reappear after the queue's visibility timeout (and to move
 * to its dead-letter queue after too many receives, as the redrive policy does in AWS).
 */
export interface QueuePoller {
  /** Resolves when no batch is being handled and no message is visible. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

export function pollQueue(
  aws: LocalAwsEmulator,
  options: {
    readonly projectRoot: string;
    readonly name: string;
    readonly queueUrl: string;
    readonly handlerModule: string;
    readonly batchSize?: number;
    readonly intervalMs?: number;
    /** Batches handled at once (Lambda's maximum concurrency of the mapping). */
    readonly maxConcurrency?: number;
  },
): QueuePoller {
  const { batchSize = 10, intervalMs = 100, maxConcurrency = 4 } = options;
  const queueArn = `arn:aws:sqs:us-east-1:000000000000:${options.queueUrl.slice(options.queueUrl.lastIndexOf('/') + 1)}`;
  let handler: Promise<LambdaHandler> | undefined;
  let stopped = false;
  const inFlight = new Set<Promise<void>>();
  const handleBatch = async (messages: ReturnType<LocalAwsEmulator['receive']>) => {
    handler ??= loadHandler(options.projectRoot, options.handlerModule);
    const event = {
      Records: messages.map((message) => ({
        messageId: message.id,
        receiptHandle: message.receipt,
        body: message.body,
        attributes: {
          ApproximateReceiveCount: String(message.receiveCount),
          SentTimestamp: String(Date.now()),
          SenderId: 'local',
          ApproximateFirstReceiveTimestamp: String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: queueArn,
        awsRegion: 'us-east-1',
      })),
    };
    let failed = new Set(messages.map((message) => message.id));
    try {
      const result = (await (
        await handler
      )(event, lambdaContext(options.name))) as { batchItemFailures?: { itemIdentifier: string }[] } | undefined;
      failed = new Set((result?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
    } catch (error) {
      // A failed invocation fails the whole batch, as with Lambda: every record comes back after its timeout.
      console.error(`queue worker ${options.name} failed`, redactedForConsole(error));
    }
    for (const message of messages) {
      if (!failed.has(message.id)) aws.deleteReceived(options.queueUrl, message.receipt);
    }
  };
  const poll = () => {
    if (stopped) return;
    const messages = inFlight.size < maxConcurrency ? aws.receive(options.queueUrl, batchSize) : [];
    if (messages.length > 0) {
      const batch = handleBatch(messages).finally(() => inFlight.delete(batch));
      inFlight.add(batch);
    }
    timer = setTimeout(poll, messages.length > 0 ? 0 : intervalMs);
    timer.unref();
  };
  let timer = setTimeout(poll, intervalMs);
  timer.unref();
  // Messages that are due count as work in progress; delayed ones (a retry's wait) do not.
  const settle = async () => {
    for (;;) {
      if (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      else if (!stopped && aws.visibleMessages(options.queueUrl) > 0) await new Promise((r) => setTimeout(r, 20));
      else return;
    }
  };
  return {
    settle,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await settle();
    },
  };
}
