import { Duration, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { eventSource } from '../../functions/core/domain/events';
import { eventConsumers, type EventConsumerName } from '../../functions/consumers/subscriptions';
import { constructId } from './construct-ids';
import { CustomerEmails } from './customer-emails';
import type { SharedResources } from './function-needs';
import type { OperatorAlarms } from './operator-alarms';
import { OrderFunction } from './order-function';

export interface EventConsumersProps extends SharedResources {
  readonly envName: string;
}

/**
 * One function per consumer of functions/consumers/subscriptions.ts, invoked by an EventBridge rule on the orders
 * bus that matches its event types. EventBridge retries a failed delivery (with backoff, for up to a day), then puts
 * the event in the consumer's dead-letter queue, from which an operator redrives it once the cause is fixed: the
 * consumer is idempotent by order id, so a redelivery is harmless. Not a construct of its own, so the logical ids
 * stay those of the stack's direct children, like the scheduled jobs'.
 */
export class EventConsumers {
  readonly functions: ReadonlyMap<EventConsumerName, OrderFunction>;
  readonly deadLetterQueues: ReadonlyMap<EventConsumerName, sqs.Queue>;
  /** The SES templates and configuration set of the consumers that email customers. */
  readonly customerEmails: CustomerEmails;

  constructor(scope: Construct, props: EventConsumersProps) {
    this.customerEmails = new CustomerEmails(scope, 'CustomerEmails', {
      envName: props.envName,
      email: props.config.email,
    });
    const functions = new Map<EventConsumerName, OrderFunction>();
    const deadLetterQueues = new Map<EventConsumerName, sqs.Queue>();
    for (const [name, consumer] of Object.entries(eventConsumers) as [
      EventConsumerName,
      (typeof eventConsumers)[EventConsumerName],
    ][]) {
      const id = `Consumer${constructId(name)}`;
      const fn = new OrderFunction(scope, id, {
        handlerModule: consumer.handler,
        config: props.config,
        // Logged and measured with the jobs: like them, it works on the side of the order path.
        serviceName: 'orders-jobs',
        description: `${name}: ${consumer.description}`,
        timeout: Duration.seconds(30),
      });
      // The sales history writes its own items only (ledger and product-day items), through transactions.
      fn.useTable(props.table, 'readWrite', props.tableIndexNames);
      // The webhook fan-out records deliveries (its own items) and queues them for the sender.
      if ('queuesWebhooks' in consumer && consumer.queuesWebhooks) fn.queueWebhookDeliveries(props.webhookQueue);
      // The customer emails also read the order (its contact email) and record each email sent (conditional writes).
      if ('sendsEmail' in consumer && consumer.sendsEmail) this.customerEmails.grantSend(fn);
      const deadLetters = new sqs.Queue(scope, `${id}DeadLetters`, {
        queueName: `orders-${props.envName}-${name}-dlq`,
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
      Validations.of(deadLetters).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason:
          'This queue is itself the dead-letter queue of an EventBridge rule target: events that kept failing wait ' +
          'here for an operator to redrive them.',
      });
      new events.Rule(scope, `${id}Rule`, {
        ruleName: `orders-${props.envName}-${name}`,
        description: consumer.description,
        eventBus: props.eventBus,
        eventPattern: { source: [eventSource], detailType: [...consumer.detailTypes] },
        targets: [
          new eventTargets.LambdaFunction(fn.alias, {
            retryAttempts: 8,
            maxEventAge: Duration.hours(24),
            deadLetterQueue: deadLetters,
          }),
        ],
      });
      functions.set(name, fn);
      deadLetterQueues.set(name, deadLetters);
    }
    this.functions = functions;
    this.deadLetterQueues = deadLetterQueues;
  }

  /**
   * Opens a ticket when a consumer gave up on an event (its retries spent: a day of EventBridge retries). Nothing is
   * lost, the event waits in the queue for a redrive, but the consumer's view (sales history, partner deliveries,
   * emails) is missing it until then.
   */
  addAlarms(alarms: OperatorAlarms): void {
    for (const [name, queue] of this.deadLetterQueues) {
      alarms.add(`Consumer${constructId(name)}DeadLetters`, {
        metric: queue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(5),
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: 1,
        summary: `The ${name} consumer gave up on at least one order event: it waits in ${queue.queueName}.`,
        runbook: 'eventConsumerDeadLetters',
        severity: 'ticket',
      });
    }
  }
}
