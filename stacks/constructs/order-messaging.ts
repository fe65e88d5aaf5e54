import { Duration, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../bin/environment-config';

/** The bus order lifecycle events go to, with an archive of every event on it. */
export function createEventBus(scope: Construct, envName: string, config: EnvironmentConfig): events.EventBus {
  const bus = new events.EventBus(scope, 'EventBus', {
    eventBusName: `orders-${envName}`,
    description: `Order lifecycle events (${envName})`,
  });
  // Replays after an incident or a new consumer's backfill; kept as long as the environment keeps its logs.
  bus.archive('Archive', {
    archiveName: `orders-${envName}`,
    description: `Every event on orders-${envName}`,
    eventPattern: { account: [bus.stack.account] },
    retention: Duration.days(config.logRetentionDays),
  });
  return bus;
}

/**
 * The dead-letter destination of the saga itself: an order lands here when its compensation kept failing, and stays
 * until an operator has repaired it and deletes the message. Nothing consumes it automatically, so it needs no
 * dead-letter queue of its own; the alarm on its depth pages someone instead.
 */
export function createAttentionQueue(scope: Construct, envName: string): sqs.Queue {
  const queue = new sqs.Queue(scope, 'AttentionQueue', {
    queueName: `orders-${envName}-needs-attention`,
    // Messages carry an order id, a reason and the failed step's error: no card data. SSE-SQS encrypts them at rest
    // without a key that the sender and every operator would need grants on.
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
    // An operator reads a message while working the order; five minutes of invisibility is plenty for that.
    visibilityTimeout: Duration.minutes(5),
  });
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason:
      'This queue is itself the dead-letter destination of the order saga (orders whose compensation failed). ' +
      'No consumer receives from it automatically, so no message can fail processing; operators delete each ' +
      'message once the order is repaired, and an alarm pages on any message in it.',
  });
  return queue;
}
