import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { webhookDeliveryWorker } from '../../functions/consumers/subscriptions';
import type { OperatorAlarms } from './operator-alarms';
import type { SharedResources } from './function-needs';
import { OrderFunction } from './order-function';

export interface WebhookQueues {
  /** Deliveries waiting for their next attempt (delays of up to 15 minutes, chained for longer waits). */
  readonly deliveries: sqs.Queue;
  /** Deliveries whose retries are spent, and messages whose handling kept throwing: for operators. */
  readonly deadLetters: sqs.Queue;
}

/**
 * The partner webhook queues (docs/webhooks.md). Messages carry ids only (owner, endpoint, delivery, attempt): the
 * event and the secrets stay in the table. SSE-SQS encrypts them at rest without a key every sender needs grants on.
 */
export function createWebhookQueues(scope: Construct, envName: string): WebhookQueues {
  // The delivery queue's redrive target: being one is also why cdk-nag (AwsSolutions-SQS3) asks it for no DLQ of its own.
  const deadLetters = new sqs.Queue(scope, 'WebhookDeadLetters', {
    queueName: `orders-${envName}-webhook-deliveries-dlq`,
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  const deliveries = new sqs.Queue(scope, 'WebhookDeliveries', {
    queueName: `orders-${envName}-webhook-deliveries`,
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    visibilityTimeout: Duration.seconds(webhookDeliveryWorker.visibilityTimeoutSeconds),
    retentionPeriod: Duration.days(4),
    deadLetterQueue: { queue: deadLetters, maxReceiveCount: webhookDeliveryWorker.maxReceiveCount },
  });
  return { deliveries, deadLetters };
}

export interface WebhookSenderProps extends SharedResources {
  readonly queues: WebhookQueues;
  readonly eventBus: IEventBus;
}

/**
 * The sender: a function fed by the delivery queue (batches, partial batch failures), allowed to read and write the
 * table (deliveries, endpoints' failure streaks, webhook.endpoint-disabled on the endpoint: the outbox) and to send to
 * both queues (next attempts, spent deliveries). It makes outbound HTTPS calls to partner URLs, which it resolves and
 * checks itself (functions/core/adapters/webhook-sender.ts): it runs outside any VPC, so no internal address is one
 * hop away besides those the check refuses.
 */
export function createWebhookSender(scope: Construct, props: WebhookSenderProps): OrderFunction {
  const fn = new OrderFunction(scope, 'WebhookSender', {
    handlerModule: webhookDeliveryWorker.handler,
    config: props.config,
    serviceName: 'orders-jobs',
    description: 'webhook-delivery: sends partner webhook deliveries (Standard Webhooks), retried with backoff',
    timeout: Duration.seconds(webhookDeliveryWorker.timeoutSeconds),
  });
  fn.useTable(props.table, 'readWrite', props.tableIndexNames);
  fn.queueWebhookDeliveries(props.queues.deliveries);
  fn.deadLetterWebhookDeliveries(props.queues.deadLetters);
  fn.alias.addEventSource(
    new SqsEventSource(props.queues.deliveries, {
      batchSize: webhookDeliveryWorker.batchSize,
      reportBatchItemFailures: true,
      // Bounds the outbound calls at once, whatever the backlog after a receiver's outage.
      maxConcurrency: 20,
    }),
  );
  return fn;
}

/** A ticket (not a page) when deliveries land in the dead-letter queue: usually a partner's receiver is down. */
export function addWebhookAlarms(alarms: OperatorAlarms, queues: WebhookQueues): void {
  alarms.add('WebhookDeadLetters', {
    metric: queues.deadLetters.metricApproximateNumberOfMessagesVisible({
      period: Duration.minutes(5),
      statistic: cloudwatch.Stats.MAXIMUM,
    }),
    threshold: 1,
    summary:
      `Webhook deliveries are waiting in ${queues.deadLetters.queueName}: their retries are spent (a receiver was ` +
      'down for more than a day) or the sender kept failing on them.',
    runbook: 'webhookDeliveries',
    severity: 'ticket',
  });
}
