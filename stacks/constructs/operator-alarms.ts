import type * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../bin/environment-config';
import { createAlarmTopics, type AlarmSeverity } from './alarm-topics';

/** The runbooks alarms link to, by name; each is a file in docs/runbooks/ (the infra tests check they exist). */
export const runbooks = {
  orderNeedsAttention: 'docs/runbooks/order-needs-attention.md',
  compensationFailed: 'docs/runbooks/compensation-failed.md',
  reconciliationViolations: 'docs/runbooks/reconciliation-violations.md',
  jobFailed: 'docs/runbooks/job-failed.md',
  functionErrors: 'docs/runbooks/function-errors.md',
  functionLatency: 'docs/runbooks/function-latency.md',
  orderFailureRate: 'docs/runbooks/order-failure-rate.md',
  slowOrders: 'docs/runbooks/slow-orders.md',
  apiAvailability: 'docs/runbooks/api-availability.md',
  apiLatency: 'docs/runbooks/api-latency.md',
  throttling: 'docs/runbooks/throttling.md',
  paymentProviderUnavailable: 'docs/runbooks/payment-provider-unavailable.md',
  lowStock: 'docs/runbooks/low-stock.md',
  outboxRelay: 'docs/runbooks/outbox-relay.md',
  eventConsumerDeadLetters: 'docs/runbooks/event-consumer-dead-letters.md',
  webhookDeliveries: 'docs/runbooks/webhook-deliveries.md',
  regionalFailover: 'docs/runbooks/regional-failover.md',
} as const;

export type Runbook = keyof typeof runbooks;

/**
 * Where an alarm's runbook lives: `runbookBaseUrl` + path when the environment sets one (say a link into the
 * repository's web view), otherwise the path in this repository, which on-call engineers open in their checkout.
 */
export function runbookLink(config: Pick<EnvironmentConfig, 'runbookBaseUrl'>, runbook: Runbook): string {
  return `${config.runbookBaseUrl ?? ''}${runbooks[runbook]}`;
}

export interface OperatorAlarmProps {
  readonly metric: cloudwatch.IMetric;
  /** The alarm fires when the metric is at or above this value... */
  readonly threshold: number;
  /** ...for this many consecutive periods. @default 1 */
  readonly evaluationPeriods?: number;
  /** One sentence: what happened, in the words of whoever is paged. The runbook link is appended. */
  readonly summary: string;
  readonly runbook: Runbook;
  /** Required, so that no alarm is added without deciding whether it wakes someone. */
  readonly severity: AlarmSeverity;
}

export interface OperatorAlarmsProps {
  readonly envName: string;
  readonly config: EnvironmentConfig;
}

/**
 * The alarms that reach an operator, each publishing to the topic of its severity (state changes both ways, so the
 * page or ticket also resolves). Every alarm's description ends with its runbook: an alarm nobody knows how to act
 * on is noise.
 */
export class OperatorAlarms extends Construct {
  /** The page topic (also reachable as `topics.page`). */
  readonly topic: sns.Topic;
  readonly topics: Readonly<Record<AlarmSeverity, sns.Topic>>;
  readonly key: kms.Key;
  /** Only where the environment configures `onCall.slack`. */
  readonly slackChannel?: chatbot.SlackChannelConfiguration;
  private readonly byId = new Map<string, cloudwatch.Alarm>();
  private readonly severityById = new Map<string, AlarmSeverity>();
  private readonly envName: string;
  private readonly config: EnvironmentConfig;

  constructor(scope: Construct, id: string, props: OperatorAlarmsProps) {
    super(scope, id);
    this.envName = props.envName;
    this.config = props.config;
    const { key, topics, slackChannel } = createAlarmTopics(this, props.envName, props.config);
    this.key = key;
    this.topics = topics;
    this.topic = topics.page;
    if (slackChannel) this.slackChannel = slackChannel;
  }

  /** The severity each alarm was created with, by construct id. */
  get severities(): ReadonlyMap<string, AlarmSeverity> {
    return this.severityById;
  }

  /** Every alarm created so far, by construct id. */
  get alarms(): ReadonlyMap<string, cloudwatch.Alarm> {
    return this.byId;
  }

  /** The alarms with these ids, failing synth when one has not been created (yet). */
  named(...ids: string[]): cloudwatch.Alarm[] {
    return ids.map((id) => {
      const alarm = this.byId.get(id);
      if (!alarm) throw new Error(`no alarm ${id}`);
      return alarm;
    });
  }

  /**
   * An alarm on `metric >= threshold`, notifying the topic on ALARM and on OK. Missing data is not a breach.
   * `scope` places it elsewhere than with the topics: next to a function in a nested stack whose deployment group it
   * rolls back, since a group in the nested stack cannot name an alarm of the parent that watches the nested stack.
   */
  add(id: string, props: OperatorAlarmProps, scope: Construct = this): cloudwatch.Alarm {
    if (this.byId.has(id)) throw new Error(`alarm ${id} exists already`);
    const alarm = new cloudwatch.Alarm(scope, id, {
      alarmName: `orders-${this.envName}-${id.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}`,
      alarmDescription: `${props.summary} Runbook: ${runbookLink(this.config, props.runbook)}`,
      metric: props.metric,
      threshold: props.threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: props.evaluationPeriods ?? 1,
      // Each metric here counts bad things, so no data means none happened: an empty queue nobody touches stops
      // publishing its depth, and a state machine or job function that did not run publishes no failures.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const action = new cloudwatchActions.SnsAction(this.topics[props.severity]);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.byId.set(id, alarm);
    this.severityById.set(id, props.severity);
    return alarm;
  }
}
