import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../bin/environment-config';

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
}

export interface OperatorAlarmsProps {
  readonly envName: string;
  readonly config: EnvironmentConfig;
}

/**
 * The alarms that page an operator, all publishing to one SNS topic (state changes both ways, so the page also
 * resolves). Every alarm's description ends with its runbook: an alarm nobody knows how to act on is noise.
 *
 * The topic is encrypted with a key of its own: CloudWatch can publish to an encrypted topic only if the key policy
 * lets it use the key, which an AWS managed key (alias/aws/sns) never does.
 */
export class OperatorAlarms extends Construct {
  readonly topic: sns.Topic;
  readonly key: kms.Key;
  private readonly byId = new Map<string, cloudwatch.Alarm>();
  private readonly envName: string;
  private readonly config: EnvironmentConfig;

  constructor(scope: Construct, id: string, props: OperatorAlarmsProps) {
    super(scope, id);
    this.envName = props.envName;
    this.config = props.config;

    this.key = new kms.Key(this, 'TopicKey', {
      description: `Orders alarm topic (${props.envName})`,
      enableKeyRotation: true,
      // Holds nothing but messages in flight to subscribers: nothing is lost when the stack goes.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    const account = Stack.of(this).account;
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublishToTheTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', {
      topicName: `orders-${props.envName}-alarms`,
      displayName: `Orders ${props.envName} alarms`,
      masterKey: this.key,
      enforceSSL: true,
    });
    if (props.config.alarmEmail) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.config.alarmEmail));
    }
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

  /** An alarm on `metric >= threshold`, notifying the topic on ALARM and on OK. Missing data is not a breach. */
  add(id: string, props: OperatorAlarmProps): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
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
    const action = new cloudwatchActions.SnsAction(this.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.byId.set(id, alarm);
    return alarm;
  }
}
