import { Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lambdaEventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { outboxRelay } from '../../functions/relays/definitions';
import type { OperatorAlarms } from './operator-alarms';
import type { SharedResources } from './function-needs';
import { OrderFunction } from './order-function';

export interface OutboxRelayProps extends SharedResources {
  readonly envName: string;
}

/**
 * The outbox relay: a function on the orders table's stream (in a standby region, on its replica's stream: enabled
 * there too, since the relay publishes only the events its own region wrote, `eventRegion`, and a standby writes none
 * until it is promoted; so a promotion has nothing to switch on) that publishes the events state changes write with
 * themselves to the orders bus (docs/event-delivery.md). The event source mapping hands it only new or changed items that
 * carry an event, in order per shard (parallelization 1, so one order's events keep their order), and takes the
 * handler's report of the first record it could not publish: everything before is checkpointed, the rest delivered
 * again. Retries go on for the stream's whole retention (24 hours); a batch that still fails lands in a dead-letter
 * queue, as its stream position, and every event can be published again from the history items that carry it.
 * Not a construct of its own, so the logical ids stay the stack's direct children's.
 */
export class OutboxRelay {
  readonly function: OrderFunction;
  readonly deadLetterQueue: sqs.Queue;
  readonly eventSourceMapping: lambda.EventSourceMapping;

  constructor(scope: Construct, props: OutboxRelayProps) {
    this.function = new OrderFunction(scope, 'OutboxRelay', {
      handlerModule: outboxRelay.handler,
      config: props.config,
      // Logged and measured with the jobs: it works beside the order path, not in it.
      serviceName: 'orders-jobs',
      description: `outbox-relay: ${outboxRelay.description}`,
      timeout: Duration.seconds(30),
    }).publishEvents(props.eventBus);
    // Reads the stream only: the relay never reads or writes an item.
    props.table.grantStreamRead(this.function.role);
    this.deadLetterQueue = new sqs.Queue(scope, 'OutboxRelayDeadLetters', {
      queueName: `orders-${props.envName}-outbox-relay-dlq`,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the failure destination of the outbox relay: the stream positions of batches that ' +
        'kept failing wait here for an operator (docs/runbooks/outbox-relay.md).',
    });
    this.eventSourceMapping = new lambda.EventSourceMapping(scope, 'OutboxRelayStream', {
      target: this.function.alias,
      eventSourceArn: props.table.tableStreamArn!,
      enabled: true,
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: outboxRelay.batchSize,
      maxBatchingWindow: Duration.seconds(0),
      parallelizationFactor: 1,
      reportBatchItemFailures: true,
      bisectBatchOnError: false,
      // Until the stream forgets the record (24 hours): an outage of the bus is waited out, not given up on.
      retryAttempts: 10_000,
      maxRecordAge: Duration.hours(24),
      onFailure: new lambdaEventSources.SqsDlq(this.deadLetterQueue),
      filters: [lambda.FilterCriteria.filter(outboxRelay.filterPattern)],
    });
    this.deadLetterQueue.grantSendMessages(this.function.role);
  }

  /** Pages when events wait: the relay is behind (the bus refuses, the function fails) or gave a batch up. */
  addAlarms(alarms: OperatorAlarms): void {
    const oneMinute = Duration.minutes(1);
    alarms.add('OutboxRelayBehind', {
      metric: this.function.function.metric('IteratorAge', { period: oneMinute, statistic: cloudwatch.Stats.MAXIMUM }),
      threshold: Duration.minutes(5).toMilliseconds(),
      evaluationPeriods: 3,
      summary:
        'Order events are waiting in the table stream for more than 5 minutes: the outbox relay cannot publish to ' +
        'the orders bus, so partners, emails and the sales history are behind.',
      runbook: 'outboxRelay',
      severity: 'page',
    });
    alarms.add('OutboxRelayGaveUp', {
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: oneMinute,
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: 1,
      summary:
        'The outbox relay gave up on a batch of stream records after retrying for a day: those events were not ' +
        'published and must be published again from the order history.',
      runbook: 'outboxRelay',
      severity: 'page',
    });
  }
}
