import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as codestarnotifications from 'aws-cdk-lib/aws-codestarnotifications';
import type * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../bin/environment-config';

/**
 * How urgently an alarm needs a person: `page` wakes the on-call engineer (SLO, business and data-integrity alarms),
 * `ticket` waits for working hours (everything else).
 */
export type AlarmSeverity = 'page' | 'ticket';
export const alarmSeverities: readonly AlarmSeverity[] = ['page', 'ticket'];

/** The AWS services that publish to the topics, each limited to this account (and its own resources). */
const publishers = {
  cloudWatch: 'cloudwatch.amazonaws.com',
  budgets: 'budgets.amazonaws.com',
  /** CodeStar notification rules: the CodeDeploy application's failed deployments. */
  codeStarNotifications: 'codestar-notifications.amazonaws.com',
} as const;

type Publisher = keyof typeof publishers;

/** `cloudWatch` -> `CloudWatch`, for statement ids. */
const sidOf = (publisher: Publisher): string => `${publisher[0]!.toUpperCase()}${publisher.slice(1)}`;

/** Who may publish to each topic: alarms page, while budgets and failed deployments only open tickets. */
const publishersOf: Record<AlarmSeverity, readonly Publisher[]> = {
  page: ['cloudWatch'],
  ticket: ['cloudWatch', 'budgets', 'codeStarNotifications'],
};

export interface AlarmTopics {
  readonly key: kms.Key;
  readonly topics: Readonly<Record<AlarmSeverity, sns.Topic>>;
  /** Only where the environment configures `onCall.slack`. */
  readonly slackChannel?: chatbot.SlackChannelConfiguration;
}

/** The ARN pattern a publisher's `aws:SourceArn` must match: its own resources in this account. */
function sourceArnOf(publisher: Publisher, stack: Stack): string {
  const { partition, region, account } = stack;
  switch (publisher) {
    case 'cloudWatch':
      return `arn:${partition}:cloudwatch:${region}:${account}:alarm:*`;
    case 'budgets':
      return `arn:${partition}:budgets::${account}:*`;
    case 'codeStarNotifications':
      return `arn:${partition}:codestar-notifications:${region}:${account}:notificationrule/*`;
  }
}

/**
 * What limits a publisher's use of the topic key. CloudWatch and Budgets state the account they act for; CodeStar
 * notifications is documented with the key used through SNS only, and may not pass `aws:SourceAccount` to KMS.
 */
function keyConditionOf(publisher: Publisher, stack: Stack): Record<string, string> {
  if (publisher === 'codeStarNotifications') return { 'kms:ViaService': `sns.${stack.region}.amazonaws.com` };
  return { 'aws:SourceAccount': stack.account };
}

/**
 * The page and ticket topics, both encrypted with one key of their own: a service can publish to an encrypted topic
 * only if the key policy lets it use the key, which an AWS managed key (alias/aws/sns) never does. The construct ids
 * of the key and the page topic are those of the single alarm topic that came before, so both keep their logical ids
 * (and the page topic the subscriptions made outside the stack).
 */
export function createAlarmTopics(scope: Construct, envName: string, config: EnvironmentConfig): AlarmTopics {
  const stack = Stack.of(scope);
  const key = new kms.Key(scope, 'TopicKey', {
    description: `Orders alarm topics (${envName})`,
    enableKeyRotation: true,
    // Holds nothing but messages in flight to subscribers: nothing is lost when the stack goes.
    removalPolicy: RemovalPolicy.DESTROY,
    pendingWindow: Duration.days(7),
  });
  for (const publisher of Object.keys(publishers) as Publisher[]) {
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: `${sidOf(publisher)}PublishesToTheTopics`,
        principals: [new iam.ServicePrincipal(publishers[publisher])],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: keyConditionOf(publisher, stack) },
      }),
    );
  }

  const topicProps = (severity: AlarmSeverity): sns.TopicProps => ({
    displayName: `Orders ${envName} ${severity === 'page' ? 'alarms that page' : 'alarms for a ticket'}`,
    masterKey: key,
    // A Deny on every request not made over TLS, publishers' included.
    enforceSSL: true,
  });
  const topics: Record<AlarmSeverity, sns.Topic> = {
    // Named as the single alarm topic was: a new name would replace the topic and drop its outside subscriptions.
    page: new sns.Topic(scope, 'Topic', { ...topicProps('page'), topicName: `orders-${envName}-alarms` }),
    ticket: new sns.Topic(scope, 'TicketTopic', topicProps('ticket')),
  };
  for (const severity of alarmSeverities) {
    const topic = topics[severity];
    for (const publisher of publishersOf[severity]) {
      topic.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: `${sidOf(publisher)}Publishes`,
          principals: [new iam.ServicePrincipal(publishers[publisher])],
          actions: ['sns:Publish'],
          resources: [topic.topicArn],
          conditions: {
            StringEquals: { 'aws:SourceAccount': stack.account },
            ArnLike: { 'aws:SourceArn': sourceArnOf(publisher, stack) },
          },
        }),
      );
    }
    for (const address of config.onCall?.emails[severity] ?? []) {
      topic.addSubscription(new subscriptions.EmailSubscription(address));
    }
  }
  const pagingEndpoint = config.onCall?.pagingEndpoint;
  if (pagingEndpoint) {
    // The paging service resolves the incident itself when the OK notification arrives.
    topics.page.addSubscription(
      new subscriptions.UrlSubscription(pagingEndpoint, { protocol: sns.SubscriptionProtocol.HTTPS }),
    );
  }
  const slack = config.onCall?.slack;
  if (!slack) return { key, topics };
  return { key, topics, slackChannel: slackChannel(scope, envName, slack, Object.values(topics)) };
}

/**
 * The AWS Chatbot channel: it shows both topics' notifications and lets channel members look at alarms and metrics,
 * nothing more. The guardrail caps what any channel member's role may do through the bot, whatever that role allows.
 */
function slackChannel(
  scope: Construct,
  envName: string,
  slack: NonNullable<NonNullable<EnvironmentConfig['onCall']>['slack']>,
  topics: sns.ITopic[],
): chatbot.SlackChannelConfiguration {
  const readAlarms = new iam.ManagedPolicy(scope, 'ChatbotGuardrail', {
    description: `Orders ${envName}: what AWS Chatbot may do from Slack (read alarms and metrics)`,
    statements: [
      new iam.PolicyStatement({
        actions: [
          'cloudwatch:DescribeAlarms',
          'cloudwatch:DescribeAlarmHistory',
          'cloudwatch:GetMetricData',
          'cloudwatch:GetMetricStatistics',
          'cloudwatch:ListMetrics',
        ],
        resources: ['*'],
      }),
    ],
  });
  const channel = new chatbot.SlackChannelConfiguration(scope, 'SlackChannel', {
    slackChannelConfigurationName: `orders-${envName}-alarms`,
    slackWorkspaceId: slack.workspaceId,
    slackChannelId: slack.channelId,
    notificationTopics: topics,
    guardrailPolicies: [readAlarms],
    loggingLevel: chatbot.LoggingLevel.ERROR,
  });
  channel.role?.addManagedPolicy(readAlarms);
  Validations.of(readAlarms).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'CloudWatch has no resource-level permissions for GetMetricData, GetMetricStatistics and ListMetrics, and ' +
      'the bot shows any alarm of the account; the actions are read-only.',
  });
  return channel;
}

/**
 * A ticket whenever a deployment of the CodeDeploy application fails (an alarm rolled it back, or someone stopped
 * it): a failed release is worth a look even when the rollback left production healthy.
 */
export function notifyFailedDeployments(
  scope: Construct,
  envName: string,
  application: codedeploy.ILambdaApplication,
  ticket: sns.ITopic,
): codestarnotifications.CfnNotificationRule {
  return new codestarnotifications.CfnNotificationRule(scope, 'FailedDeployments', {
    name: `orders-${envName}-failed-deployments`,
    detailType: 'BASIC',
    eventTypeIds: ['codedeploy-application-deployment-failed'],
    resource: application.applicationArn,
    targets: [{ targetType: 'SNS', targetAddress: ticket.topicArn }],
  });
}
