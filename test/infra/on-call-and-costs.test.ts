import type { Stack } from 'aws-cdk-lib';
import { CfnResource, TagManager } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { alarmSeverities, type AlarmSeverity } from '../../stacks/constructs/alarm-topics';
import { buildApp } from '../../stacks/orders-app';
import {
  asArray,
  cdkJsonContext,
  describeEachEnvironment,
  nagAcknowledgements,
  nagFindings,
  resourcesOfType,
  synthApp,
  type SynthesizedApp,
} from './synth-app';
import { logicalIdOf, serviceResource, type GetAtt, type Properties } from './template-helpers';

/** The alarms that wake someone; every other alarm opens a ticket. */
const pagingAlarms = [
  'OrderFailureRate',
  'OrderCompletionSlo',
  'ApiAvailabilitySlo',
  'ApiLatencySlo',
  'AttentionQueueDepth',
  'OrderNeedsAttention',
  'SagaFailed',
  'CancellationFailed',
  'ReconciliationViolations',
  'OutboxRelayBehind',
  'OutboxRelayGaveUp',
];

const costAllocationTagKeys = ['service', 'environment', 'owner', 'cost-center'];

interface Statement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Principal: unknown;
  readonly Action: string | string[];
  readonly Condition?: Record<string, Record<string, unknown>>;
}

function topicIds(app: SynthesizedApp): Record<AlarmSeverity, string> {
  const { topics } = app.service.alarms;
  return { page: logicalIdOf(app, topics.page), ticket: logicalIdOf(app, topics.ticket) };
}

/** The statements of the topic policy attached to one topic. */
function topicPolicyStatements(app: SynthesizedApp, topicId: string): Statement[] {
  const policies = Object.values(resourcesOfType(app.serviceTemplate, 'AWS::SNS::TopicPolicy')).filter(
    (policy) => JSON.stringify(policy.Properties?.Topics) === JSON.stringify([{ Ref: topicId }]),
  );
  expect(policies).toHaveLength(1);
  return (policies[0]!.Properties?.PolicyDocument as { Statement: Statement[] }).Statement;
}

const servicePrincipal = (statement: Statement): string => (statement.Principal as { Service: string }).Service;

function subscriptionsOf(app: SynthesizedApp): [string, string, string][] {
  return Object.values(resourcesOfType(app.serviceTemplate, 'AWS::SNS::Subscription'))
    .map((subscription) => subscription.Properties ?? {})
    .map((properties): [string, string, string] => [
      (properties.TopicArn as { Ref: string }).Ref,
      properties.Protocol as string,
      properties.Endpoint as string,
    ])
    .sort();
}

/** A resource's tags as CloudFormation gets them, whatever the shape its type uses (list of Key/Value or map). */
function renderedTags(properties: Properties | undefined, tagPropertyName: string): Record<string, unknown> {
  // The L1 names the property in camel case (`tags`, `userPoolTags`); the template in Pascal case.
  const tags = properties?.[`${tagPropertyName[0]!.toUpperCase()}${tagPropertyName.slice(1)}`];
  if (Array.isArray(tags)) {
    return Object.fromEntries((tags as { Key: string; Value: unknown }[]).map((tag) => [tag.Key, tag.Value]));
  }
  return (tags ?? {}) as Record<string, unknown>;
}

describeEachEnvironment('on-call delivery', (app, envName) => {
  it('sends every alarm, on ALARM and on OK, to exactly the topic of its severity', () => {
    const ids = topicIds(app());
    const { alarms, severities } = app().service.alarms;
    expect(alarms.size).toBeGreaterThan(pagingAlarms.length);
    // Where the table has replicas: the replication lag towards each of them pages too (standby-region.test.ts).
    const replicationAlarms = app().config.replicaRegions.map(
      (region) => `ReplicationBehind${region.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase())}`,
    );
    expect(
      [...severities]
        .filter(([, severity]) => severity === 'page')
        .map(([id]) => id)
        .sort(),
    ).toEqual([...pagingAlarms, ...replicationAlarms].sort());
    const templateAlarms = resourcesOfType(app().serviceTemplate, 'AWS::CloudWatch::Alarm');
    expect(Object.keys(templateAlarms)).toHaveLength(alarms.size);
    for (const [id, alarm] of alarms) {
      const severity = severities.get(id)!;
      const properties = templateAlarms[logicalIdOf(app(), alarm)]!.Properties ?? {};
      const topic = [{ Ref: ids[severity] }];
      expect({ id, actions: properties.AlarmActions, ok: properties.OKActions }).toEqual({
        id,
        actions: topic,
        ok: topic,
      });
    }
  });

  it('encrypts both topics with a rotated key that CloudWatch, Budgets and CodeStar notifications may use', () => {
    const ids = topicIds(app());
    const keyId = logicalIdOf(app(), app().service.alarms.key);
    for (const severity of alarmSeverities) {
      const topic = serviceResource(app(), 'AWS::SNS::Topic', ids[severity]).Properties ?? {};
      expect((topic.KmsMasterKeyId as GetAtt)['Fn::GetAtt'][0]).toBe(keyId);
    }
    const key = serviceResource(app(), 'AWS::KMS::Key', keyId).Properties ?? {};
    expect(key.EnableKeyRotation).toBe(true);
    const statements = (key.KeyPolicy as { Statement: Statement[] }).Statement.filter(
      (statement) => typeof statement.Principal === 'object' && 'Service' in (statement.Principal as object),
    );
    expect(statements.map(servicePrincipal).sort()).toEqual([
      'budgets.amazonaws.com',
      'cloudwatch.amazonaws.com',
      'codestar-notifications.amazonaws.com',
    ]);
    for (const statement of statements) {
      expect(asArray(statement.Action).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
      const limit = servicePrincipal(statement).startsWith('codestar') ? 'kms:ViaService' : 'aws:SourceAccount';
      expect(statement.Condition?.StringEquals?.[limit]).toBeDefined();
    }
  });

  it('lets only the expected services of this account publish, and refuses any request without TLS', () => {
    const ids = topicIds(app());
    const expectedPublishers: Record<AlarmSeverity, string[]> = {
      page: ['cloudwatch.amazonaws.com'],
      ticket: ['budgets.amazonaws.com', 'cloudwatch.amazonaws.com', 'codestar-notifications.amazonaws.com'],
    };
    const sourceArnService: Record<string, string> = {
      'cloudwatch.amazonaws.com': ':cloudwatch:',
      'budgets.amazonaws.com': ':budgets::',
      'codestar-notifications.amazonaws.com': ':codestar-notifications:',
    };
    for (const severity of alarmSeverities) {
      const statements = topicPolicyStatements(app(), ids[severity]);
      const denies = statements.filter((statement) => statement.Effect === 'Deny');
      expect(denies).toHaveLength(1);
      expect(denies[0]).toMatchObject({
        Principal: '*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      });
      const allows = statements.filter((statement) => statement.Effect === 'Allow');
      expect(allows.map(servicePrincipal).sort()).toEqual(expectedPublishers[severity]);
      for (const statement of allows) {
        expect(asArray(statement.Action)).toEqual(['sns:Publish']);
        expect(statement.Condition?.StringEquals?.['aws:SourceAccount']).toBeDefined();
        const sourceArn = JSON.stringify(statement.Condition?.ArnLike?.['aws:SourceArn']);
        expect(sourceArn).toContain(sourceArnService[servicePrincipal(statement)]!);
      }
    }
  });

  it('subscribes exactly the destinations the environment configures', () => {
    const ids = topicIds(app());
    const onCall = app().config.onCall;
    const expected: [string, string, string][] = [];
    for (const severity of alarmSeverities) {
      for (const address of onCall?.emails[severity] ?? []) expected.push([ids[severity], 'email', address]);
    }
    if (onCall?.pagingEndpoint) expected.push([ids.page, 'https', onCall.pagingEndpoint]);
    expect(subscriptionsOf(app())).toEqual(expected.sort());
    if (envName === 'prod') expect(onCall?.pagingEndpoint).toMatch(/^https:\/\//);
    // No Slack channel in cdk.json: teams add their workspace and channel ids.
    app().serviceTemplate.resourceCountIs('AWS::Chatbot::SlackChannelConfiguration', 0);
  });

  it('opens a ticket for every failed deployment of the CodeDeploy application', () => {
    const rules = Object.values(resourcesOfType(app().serviceTemplate, 'AWS::CodeStarNotifications::NotificationRule'));
    expect(rules).toHaveLength(1);
    expect(rules[0]!.Properties).toMatchObject({
      EventTypeIds: ['codedeploy-application-deployment-failed'],
      Targets: [{ TargetType: 'SNS', TargetAddress: { Ref: topicIds(app()).ticket } }],
    });
  });
});

describeEachEnvironment('cost guardrails', (app, envName) => {
  it('keeps a monthly budget in USD that alerts the ticket topic on actual and forecasted spend', () => {
    const budgets = Object.values(resourcesOfType(app().serviceTemplate, 'AWS::Budgets::Budget'));
    expect(budgets).toHaveLength(1);
    const { budget } = app().config;
    expect(budgets[0]!.Properties?.Budget).toMatchObject({
      BudgetType: 'COST',
      TimeUnit: 'MONTHLY',
      BudgetLimit: { Amount: budget.monthlyLimitUsd, Unit: 'USD' },
    });
    const subscriber = [{ SubscriptionType: 'SNS', Address: { Ref: topicIds(app()).ticket } }];
    expect(budgets[0]!.Properties?.NotificationsWithSubscribers).toEqual([
      {
        Notification: {
          NotificationType: 'ACTUAL',
          ComparisonOperator: 'GREATER_THAN',
          Threshold: budget.actualThresholdPercent,
          ThresholdType: 'PERCENTAGE',
        },
        Subscribers: subscriber,
      },
      {
        Notification: {
          NotificationType: 'FORECASTED',
          ComparisonOperator: 'GREATER_THAN',
          Threshold: budget.forecastedThresholdPercent,
          ThresholdType: 'PERCENTAGE',
        },
        Subscribers: subscriber,
      },
    ]);
  });

  it('puts the four cost-allocation tags on every taggable resource of every stack', () => {
    const { costAllocation } = app().config;
    const expected = {
      service: costAllocation.service,
      environment: envName,
      owner: costAllocation.owner,
      'cost-center': costAllocation.costCenter,
    };
    const stacks: [Stack, Template][] = [
      [app().data, app().dataTemplate],
      [app().service, app().serviceTemplate],
      ...app().replicaKeys.map((stack, i): [Stack, Template] => [stack, app().replicaKeyTemplates[i]!]),
    ];
    let checked = 0;
    for (const [stack, template] of stacks) {
      // The service's flattened template, plus the service stack's own (where its nested stacks are resources).
      const resources = {
        ...(template.toJSON().Resources as Record<string, { Properties?: Properties }>),
        ...(app().serviceStackTemplates.get(stack.stackName)?.toJSON().Resources as
          Record<string, { Properties?: Properties }> | undefined),
      };
      for (const construct of stack.node.findAll()) {
        if (!CfnResource.isCfnResource(construct) || !TagManager.isTaggable(construct)) continue;
        const logicalId = stack.resolve(construct.logicalId) as string;
        const tags = renderedTags(resources[logicalId]?.Properties, construct.tags.tagPropertyName);
        const carried = Object.fromEntries(costAllocationTagKeys.map((key) => [key, tags[key]]));
        expect({ stack: stack.stackName, logicalId, tags: carried }).toEqual({
          stack: stack.stackName,
          logicalId,
          tags: expected,
        });
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(50);
    // Global tables carry tags per replica, not on the resource: each replica is a table billed in its region.
    for (const [id, table] of Object.entries(resourcesOfType(app().dataTemplate, 'AWS::DynamoDB::GlobalTable'))) {
      for (const replica of table.Properties?.Replicas as Properties[]) {
        const tags = renderedTags(replica, 'tags');
        const carried = Object.fromEntries(costAllocationTagKeys.map((key) => [key, tags[key]]));
        expect({ id, region: replica.Region, tags: carried }).toEqual({ id, region: replica.Region, tags: expected });
      }
    }
  });

  it('turns on the stage cache only where the environment configures it', () => {
    const stages = Object.values(resourcesOfType(app().serviceTemplate, 'AWS::ApiGateway::Stage'));
    expect(stages).toHaveLength(1);
    const cache = app().config.api.cache;
    expect(stages[0]!.Properties?.CacheClusterEnabled ?? false).toBe(cache !== undefined);
    expect(stages[0]!.Properties?.CacheClusterSize).toBe(cache?.clusterSizeGb);
  });
});

describe('with every on-call destination (dev)', () => {
  const onCall = {
    pagingEndpoint: 'https://events.pagerduty.example/integration/dev/enqueue',
    emails: { page: ['lead@example.com'], ticket: ['ops@example.com', 'team@example.com'] },
    slack: { workspaceId: 'T07EA123LEP', channelId: 'C07EZ1ABC23' },
  };
  let app: SynthesizedApp;
  beforeAll(() => {
    app = synthApp('dev', { configOverrides: { onCall } });
  });

  it('subscribes the paging endpoint to the page topic and each e-mail to its topic', () => {
    const ids = topicIds(app);
    expect(subscriptionsOf(app)).toEqual(
      [
        [ids.page, 'https', onCall.pagingEndpoint],
        [ids.page, 'email', 'lead@example.com'],
        [ids.ticket, 'email', 'ops@example.com'],
        [ids.ticket, 'email', 'team@example.com'],
      ].sort(),
    );
  });

  it('connects the Slack channel to both topics, with a read-only guardrail', () => {
    const channels = Object.values(resourcesOfType(app.serviceTemplate, 'AWS::Chatbot::SlackChannelConfiguration'));
    expect(channels).toHaveLength(1);
    const channel = channels[0]!.Properties ?? {};
    expect(channel).toMatchObject({
      SlackWorkspaceId: onCall.slack.workspaceId,
      SlackChannelId: onCall.slack.channelId,
    });
    const ids = topicIds(app);
    expect(channel.SnsTopicArns).toEqual(expect.arrayContaining([{ Ref: ids.page }, { Ref: ids.ticket }]));
    expect(channel.SnsTopicArns).toHaveLength(2);
    const guardrails = channel.GuardrailPolicies as { Ref: string }[];
    expect(guardrails).toHaveLength(1);
    const guardrail = resourcesOfType(app.serviceTemplate, 'AWS::IAM::ManagedPolicy')[guardrails[0]!.Ref]!;
    const statements = (guardrail.Properties?.PolicyDocument as { Statement: Statement[] }).Statement;
    const actions = statements.flatMap((statement) => asArray(statement.Action));
    for (const action of actions) expect(action).toMatch(/^cloudwatch:(Describe|Get|List)[A-Za-z]+$/);
  });

  it('leaves cdk-nag nothing unacknowledged, and acknowledges only the read-only guardrail wildcard', () => {
    expect(nagFindings(app.app)).toEqual([]);
    const slackAcks = nagAcknowledgements(app.app).filter((ack) => ack.path.includes('/Alarms/ChatbotGuardrail'));
    expect(slackAcks.map((ack) => ack.rule)).toEqual(['AwsSolutions-IAM5[Resource::*]']);
  });
});

describe('prod without a paging destination', () => {
  it('refuses to build, naming the setting', () => {
    const context = cdkJsonContext();
    const environments = context.environments as Record<string, Record<string, unknown>>;
    delete environments.prod!.onCall;
    expect(() => buildApp({ envName: 'prod', context })).toThrow(/environments\.prod\.onCall\.pagingEndpoint/);
  });
});
