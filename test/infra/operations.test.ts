import * as fs from 'node:fs';
import * as path from 'node:path';
import { envNames } from '../../functions/core/config/settings';
import { metricNames, ordersNamespace, type MetricName } from '../../functions/core/observability/metric-names';
import { jobs, type JobName } from '../../functions/jobs/schedule';
import { eventConsumers, type EventConsumerName } from '../../functions/consumers/subscriptions';
import { orderCancellation, orderSaga } from '../../statemachines/order-saga';
import {
  chaosTargetTagKey,
  fisConfigPrefix,
  fisExtensionLayerParameter,
} from '../../stacks/constructs/chaos-experiments';
import { constructId } from '../../stacks/constructs/construct-ids';
import { runbooks } from '../../stacks/constructs/operator-alarms';
import { fisExtensionEnvNames, projectRoot, type OrderFunction } from '../../stacks/constructs/order-function';
import {
  asArray,
  describeEachEnvironment,
  nagAcknowledgements,
  nagFindings,
  policyStatements,
  resourcesOfType,
  synthApp,
  type SynthesizedApp,
} from './synth-app';
import {
  defaultPolicyStatements,
  environmentOf,
  logicalIdOf,
  serviceResource,
  type GetAtt,
  type Properties,
} from './template-helpers';

const jobNames = Object.keys(jobs) as JobName[];

function propertiesOf(app: SynthesizedApp, type: string, id: string): Properties {
  return serviceResource(app, type, id).Properties ?? {};
}

function alarmsOf(app: SynthesizedApp): [string, Properties][] {
  return Object.entries(resourcesOfType(app.serviceTemplate, 'AWS::CloudWatch::Alarm')).map(([id, alarm]) => [
    id,
    alarm.Properties ?? {},
  ]);
}

/** The alarms on one metric, found by namespace, name and dimensions. */
function alarmsOn(app: SynthesizedApp, namespace: string, metricName: string, dimensions: unknown): Properties[] {
  return alarmsOf(app)
    .map(([, properties]) => properties)
    .filter(
      (properties) =>
        properties.Namespace === namespace &&
        properties.MetricName === metricName &&
        JSON.stringify(properties.Dimensions) === JSON.stringify(dimensions),
    );
}

/** Alarm descriptions may embed tokens (Fn::Join); the runbook link is literal text in them either way. */
const descriptionText = (properties: Properties): string => JSON.stringify(properties.AlarmDescription);

const pagingThreshold = { ComparisonOperator: 'GreaterThanOrEqualToThreshold', Threshold: 1, EvaluationPeriods: 1 };

/** The alarms that stop every chaos experiment (FIS takes at most five). */
const chaosStopAlarms = [
  'OrderCompletionSlo',
  'ApiAvailabilitySlo',
  'ApiLatencySlo',
  'SagaFailed',
  'OrderNeedsAttention',
];

describeEachEnvironment('operations', (app, envName) => {
  it('schedules every job of functions/jobs/schedule.ts with its expression, on its live alias, in the primary region', () => {
    expect(app().service.region).toBe(app().config.primaryRegion);
    const rules = resourcesOfType(app().serviceTemplate, 'AWS::Events::Rule');
    // + one rule on the orders bus per event consumer (the next test), + the mirror-signing-keys job's schedule where
    // the environment has a standby region (standby-region.test.ts).
    const mirror = app().service.identityMirror ? 1 : 0;
    expect(Object.keys(rules)).toHaveLength(jobNames.length + Object.keys(eventConsumers).length + mirror);
    for (const name of jobNames) {
      const rule = propertiesOf(app(), 'AWS::Events::Rule', logicalIdOf(app(), app().service.jobSchedules.get(name)!));
      const fn = app().service.jobFunctions.get(name)!;
      expect(rule).toMatchObject({ ScheduleExpression: jobs[name].schedule, State: 'ENABLED' });
      expect(rule.EventBusName).toBeUndefined();
      expect((rule.Targets as { Arn: unknown }[]).map((target) => target.Arn)).toEqual([
        { Ref: logicalIdOf(app(), fn.alias) },
      ]);
      // A failed run is left to the next scheduled one.
      const invokeConfigs = Object.values(resourcesOfType(app().serviceTemplate, 'AWS::Lambda::EventInvokeConfig'))
        .map((resource) => resource.Properties ?? {})
        .filter(
          (properties) => JSON.stringify(properties.FunctionName) === `{"Ref":"${logicalIdOf(app(), fn.function)}"}`,
        );
      expect(invokeConfigs.map((properties) => properties.MaximumRetryAttempts)).toEqual([0]);
    }
    for (const template of app().replicaKeyTemplates) template.resourceCountIs('AWS::Events::Rule', 0);
  });

  it("opens a ticket when a consumer's dead-letter queue holds an event", () => {
    const { alarms, eventConsumers: consumers } = app().service;
    for (const [name, queue] of consumers.deadLetterQueues) {
      const id = `Consumer${constructId(name)}DeadLetters`;
      expect({ id, severity: alarms.severities.get(id) }).toEqual({ id, severity: 'ticket' });
      const alarm = propertiesOf(app(), 'AWS::CloudWatch::Alarm', logicalIdOf(app(), alarms.alarms.get(id)!));
      expect(alarm).toMatchObject({ MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 1 });
      expect(JSON.stringify(alarm.Dimensions)).toContain(logicalIdOf(app(), queue));
    }
  });

  it('delivers the order events to each consumer on a rule of the orders bus, with retries and a dead-letter queue', () => {
    const rules = Object.values(resourcesOfType(app().serviceTemplate, 'AWS::Events::Rule')).map(
      (resource) => resource.Properties ?? {},
    );
    for (const [name, consumer] of Object.entries(eventConsumers) as [
      EventConsumerName,
      (typeof eventConsumers)[EventConsumerName],
    ][]) {
      const fn = app().service.eventConsumers.functions.get(name)!;
      const deadLetters = app().service.eventConsumers.deadLetterQueues.get(name)!;
      const rule = rules.find((properties) => properties.Name === `orders-${envName}-${name}`);
      expect(rule).toMatchObject({
        EventBusName: { Ref: logicalIdOf(app(), app().service.eventBus) },
        EventPattern: { source: ['orders'], 'detail-type': [...consumer.detailTypes] },
      });
      expect(rule!.Targets).toEqual([
        expect.objectContaining({
          Arn: { Ref: logicalIdOf(app(), fn.alias) },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 24 * 3600 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalIdOf(app(), deadLetters), 'Arn'] } },
        }),
      ]);
      const queue = propertiesOf(app(), 'AWS::SQS::Queue', logicalIdOf(app(), deadLetters));
      expect(queue.SqsManagedSseEnabled).toBe(true);
      expect(queue.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    }
  });

  it('keeps the needs-attention queue encrypted, TLS-only and for 14 days, with no dead-letter queue of its own', () => {
    const queueId = logicalIdOf(app(), app().service.attentionQueue);
    const queue = propertiesOf(app(), 'AWS::SQS::Queue', queueId);
    expect(queue.SqsManagedSseEnabled === true || queue.KmsMasterKeyId !== undefined).toBe(true);
    expect(queue.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    expect(queue.RedrivePolicy).toBeUndefined();
    const policies = Object.values(resourcesOfType(app().serviceTemplate, 'AWS::SQS::QueuePolicy')).filter(
      (policy) => JSON.stringify(policy.Properties?.Queues) === `[{"Ref":"${queueId}"}]`,
    );
    expect(policies).toHaveLength(1);
    expect(JSON.stringify(policies[0]!.Properties!.PolicyDocument)).toContain(
      '"Condition":{"Bool":{"aws:SecureTransport":"false"}},"Effect":"Deny"',
    );
  });

  it('alarms on any message waiting in the needs-attention queue', () => {
    const queueId = logicalIdOf(app(), app().service.attentionQueue);
    const alarms = alarmsOn(app(), 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', [
      { Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } },
    ]);
    expect(alarms).toHaveLength(1);
    expect(alarms[0]).toMatchObject({ ...pagingThreshold, Statistic: 'Maximum' });
    expect(descriptionText(alarms[0]!)).toContain(runbooks.orderNeedsAttention);
  });

  it('alarms on failed executions of each state machine and on errors of each job', () => {
    for (const definition of [orderSaga, orderCancellation]) {
      const machine = app().service.stateMachines.get(definition.name)!;
      const alarms = alarmsOn(app(), 'AWS/States', 'ExecutionsFailed', [
        { Name: 'StateMachineArn', Value: { Ref: logicalIdOf(app(), machine) } },
      ]);
      expect({ machine: definition.name, alarms: alarms.length }).toEqual({ machine: definition.name, alarms: 1 });
      expect(alarms[0]).toMatchObject({ ...pagingThreshold, Statistic: 'Sum' });
    }
    expect(
      descriptionText(
        alarmsOn(app(), 'AWS/States', 'ExecutionsFailed', [
          { Name: 'StateMachineArn', Value: { Ref: logicalIdOf(app(), app().service.stateMachine) } },
        ])[0]!,
      ),
    ).toContain(runbooks.compensationFailed);
    for (const name of jobNames) {
      const fn = app().service.jobFunctions.get(name)!;
      const alarms = alarmsOn(app(), 'AWS/Lambda', 'Errors', [
        { Name: 'FunctionName', Value: { Ref: logicalIdOf(app(), fn.function) } },
      ]);
      expect({ job: name, alarms: alarms.length }).toEqual({ job: name, alarms: 1 });
      expect(alarms[0]!.Threshold).toBeGreaterThanOrEqual(1);
      expect(descriptionText(alarms[0]!)).toContain(runbooks.jobFailed);
    }
  });

  // The `service` dimension must be the emitting function's POWERTOOLS_SERVICE_NAME (Powertools adds it to every
  // metric): otherwise the alarm watches nothing. The name is the handler's own, from metric-names.ts.
  const emitters: [MetricName, (synthesized: SynthesizedApp) => OrderFunction, number, string][] = [
    [
      metricNames.orderNeedsAttention,
      (synthesized) => synthesized.service.sagaFunctions.get('FlagForAttentionFunctionArn')!,
      60,
      runbooks.orderNeedsAttention,
    ],
    [
      metricNames.reconciliationViolations,
      (synthesized) => synthesized.service.jobFunctions.get('reconcile')!,
      3600,
      runbooks.reconciliationViolations,
    ],
  ];
  it.each(emitters)('alarms on %s as its function emits it', (metricName, emitter, period, runbook) => {
    const service = environmentOf(app(), emitter(app())).POWERTOOLS_SERVICE_NAME;
    const alarms = alarmsOn(app(), ordersNamespace, metricName, [{ Name: 'service', Value: service }]);
    expect(alarms).toHaveLength(1);
    expect(alarms[0]).toMatchObject({ ...pagingThreshold, Statistic: 'Sum', Period: period });
    expect(descriptionText(alarms[0]!)).toContain(runbook);
  });

  it('links every alarm to a runbook that exists', () => {
    const linked = new Set<string>();
    for (const [id, properties] of alarmsOf(app())) {
      const links = [...descriptionText(properties).matchAll(/Runbook: (docs\/runbooks\/[a-z0-9-]+\.md)/g)];
      expect({ id, links: links.length }).toEqual({ id, links: 1 });
      const runbook = links[0]![1]!;
      expect({ id, runbook, exists: fs.existsSync(path.join(projectRoot, runbook)) }).toEqual({
        id,
        runbook,
        exists: true,
      });
      linked.add(runbook);
    }
    // The regional failover runbook is linked by the replication and mirror alarms, which need a replica region.
    const expected = Object.values(runbooks).filter(
      (runbook) => app().config.replicaRegions.length > 0 || runbook !== runbooks.regionalFailover,
    );
    expect([...linked].sort()).toEqual(expected.sort());
  });

  it('creates no chaos experiment and leaves the functions without the FIS extension unless configured', () => {
    // Staging runs experiments by default (its own describe below); dev and prod only where cdk.json says so.
    if (envName === 'staging') return;
    expect(app().config.chaos).toBeUndefined();
    app().serviceTemplate.resourceCountIs('AWS::FIS::ExperimentTemplate', 0);
    app().serviceTemplate.resourceCountIs('AWS::S3::Bucket', 0);
    for (const [id, fn] of Object.entries(resourcesOfType(app().serviceTemplate, 'AWS::Lambda::Function'))) {
      const variables = (fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
      expect({ id, layers: fn.Properties?.Layers, wrapper: variables[fisExtensionEnvNames.execWrapper] }).toEqual({
        id,
        layers: undefined,
        wrapper: undefined,
      });
    }
  });
});

describe('with chaos experiments, a ticket e-mail, a runbook URL and job overrides (dev)', () => {
  const layerArn = 'arn:aws:lambda:us-east-1:123456789012:layer:aws-fis-extension-arm64:9';
  const overrides = {
    chaos: { fisExtensionLayerArn: layerArn, invocationPercentage: 25, durationMinutes: 5 },
    onCall: { emails: { ticket: ['orders-oncall@example.com'] } },
    runbookBaseUrl: 'https://github.com/example/orders/blob/main/',
    jobs: { recoveryAfterSeconds: 420, reconcile: { scanSegments: 8, confirmDelayMs: 5000 } },
  };
  let app: SynthesizedApp;
  let templates: [string, Properties][];
  beforeAll(() => {
    app = synthApp('dev', { configOverrides: overrides });
    templates = Object.entries(resourcesOfType(app.serviceTemplate, 'AWS::FIS::ExperimentTemplate')).map(
      ([id, template]) => [id, template.Properties ?? {}],
    );
  });

  it('creates the error, crash-after and delay experiments with the Lambda fault actions', () => {
    const actions = templates.map(([, template]) => Object.values(template.Actions as Record<string, Properties>)[0]!);
    expect(
      actions.map((action) => [action.ActionId, (action.Parameters as Properties).preventExecution]).sort(),
    ).toEqual([
      ['aws:lambda:invocation-add-delay', undefined],
      ['aws:lambda:invocation-error', 'false'],
      ['aws:lambda:invocation-error', 'true'],
    ]);
    for (const action of actions) {
      expect(action.Parameters).toMatchObject({ duration: 'PT5M', invocationPercentage: '25' });
      expect(action.Targets).toEqual({ Functions: 'SagaTasks' });
    }
    const delay = actions.find((action) => action.ActionId === 'aws:lambda:invocation-add-delay')!;
    expect((delay.Parameters as Properties).startupDelayMilliseconds).toBe('3000');
  });

  it('stops every experiment on the service level and saga alarms', () => {
    const alarmIds = new Set(alarmsOf(app).map(([id]) => id));
    const required = chaosStopAlarms.map((id) => logicalIdOf(app, app.service.alarms.alarms.get(id)!));
    for (const [id, template] of templates) {
      const stops = template.StopConditions as { Source: string; Value: GetAtt }[];
      // FIS takes at most five stop conditions per template.
      expect({ id, count: stops.length }).toEqual({ id, count: required.length });
      for (const stop of stops) {
        expect(stop.Source).toBe('aws:cloudwatch:alarm');
        expect(stop.Value['Fn::GetAtt'][1]).toBe('Arn');
        expect(alarmIds.has(stop.Value['Fn::GetAtt'][0])).toBe(true);
      }
      expect(stops.map((stop) => stop.Value['Fn::GetAtt'][0]).sort()).toEqual([...required].sort());
    }
  });

  it('targets exactly the saga task functions, each with the FIS extension and read access to its configuration', () => {
    const bucketId = logicalIdOf(app, app.service.chaos!.configBucket);
    for (const [, template] of templates) {
      expect(template.Targets).toEqual({
        SagaTasks: {
          ResourceType: 'aws:lambda:function',
          ResourceTags: { [chaosTargetTagKey]: 'orders-dev-saga-task' },
          SelectionMode: 'ALL',
        },
      });
    }
    const sagaFunctions = new Set<OrderFunction>(app.service.sagaFunctions.values());
    for (const [name, fn] of [
      ...app.service.routeFunctions,
      ...app.service.sagaFunctions,
      ...app.service.jobFunctions,
    ] as [string, OrderFunction][]) {
      const properties = propertiesOf(app, 'AWS::Lambda::Function', logicalIdOf(app, fn.function));
      const tags = (properties.Tags as { Key: string; Value: string }[]).filter((tag) => tag.Key === chaosTargetTagKey);
      const variables = environmentOf(app, fn);
      if (!sagaFunctions.has(fn)) {
        expect({ name, tags, layers: properties.Layers }).toEqual({ name, tags: [], layers: undefined });
        continue;
      }
      expect({ name, tags: tags.map((tag) => tag.Value) }).toEqual({ name, tags: ['orders-dev-saga-task'] });
      expect(properties.Layers).toEqual([layerArn]);
      expect(variables[fisExtensionEnvNames.execWrapper]).toBe('/opt/aws-fis/bootstrap');
      expect(JSON.stringify(variables[fisExtensionEnvNames.configurationLocation])).toContain(bucketId);
      expect(JSON.stringify(variables[fisExtensionEnvNames.configurationLocation])).toContain(`/${fisConfigPrefix}/`);
      const policyId = logicalIdOf(app, fn.role.node.findChild('DefaultPolicy'));
      const s3 = policyStatements(app.serviceTemplate)
        .filter((entry) => entry.policyId === policyId)
        .filter(({ statement }) => asArray(statement.Action).some((action) => action.startsWith('s3:')))
        .map(({ statement }) => asArray(statement.Action));
      expect(s3.sort()).toEqual([['s3:GetObject'], ['s3:ListBucket']]);
    }
  });

  it('gives the FIS role only the configuration prefix, the target functions and tag lookups', () => {
    const roleId = logicalIdOf(app, app.service.chaos!.role);
    const role = propertiesOf(app, 'AWS::IAM::Role', roleId);
    expect(JSON.stringify(role.AssumeRolePolicyDocument)).toContain('"Service":"fis.amazonaws.com"');
    const statements = policyStatements(app.serviceTemplate).filter(({ policyId }) => {
      const policy = resourcesOfType(app.serviceTemplate, 'AWS::IAM::Policy')[policyId];
      return JSON.stringify(policy?.Properties?.Roles) === `[{"Ref":"${roleId}"}]`;
    });
    const byAction = statements.map(({ statement }) => [asArray(statement.Action).sort(), statement.Resource]);
    expect(byAction.map(([actions]) => actions)).toEqual([
      ['s3:DeleteObject', 's3:PutObject'],
      ['lambda:GetFunction'],
      ['tag:GetResources'],
    ]);
    expect(JSON.stringify(byAction[0]![1])).toContain(`/${fisConfigPrefix}/*`);
    const sagaFunctionIds = [...app.service.sagaFunctions.values()].map((fn) => logicalIdOf(app, fn.function)).sort();
    expect((byAction[1]![1] as GetAtt[]).map((resource) => resource['Fn::GetAtt'][0]).sort()).toEqual(sagaFunctionIds);
    for (const [, template] of templates) expect(template.RoleArn).toEqual({ 'Fn::GetAtt': [roleId, 'Arn'] });
  });

  it('subscribes the ticket e-mail, prefixes runbook links with the base URL and passes the job overrides', () => {
    app.serviceTemplate.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: overrides.onCall.emails.ticket[0],
      TopicArn: { Ref: logicalIdOf(app, app.service.alarms.topics.ticket) },
    });
    for (const [id, properties] of alarmsOf(app)) {
      expect({ id, description: descriptionText(properties) }).toEqual({
        id,
        description: expect.stringContaining(`Runbook: ${overrides.runbookBaseUrl}docs/runbooks/`),
      });
    }
    expect(environmentOf(app, app.service.jobFunctions.get('recover-orders')!)).toMatchObject({
      [envNames.recovery.afterSeconds]: '420',
    });
    expect(environmentOf(app, app.service.jobFunctions.get('reconcile')!)).toMatchObject({
      RECONCILE_SCAN_SEGMENTS: '8',
      RECONCILE_CONFIRM_DELAY_MS: '5000',
    });
  });

  it('leaves no unacknowledged cdk-nag finding, and every acknowledgement hides a real one', () => {
    expect(nagFindings(app.app)).toEqual([]);
    const raw = nagFindings(app.app, { ignoreAcknowledgements: true });
    const reviewed =
      /^AwsSolutions-(APIG3|APIG4|COG2|COG4|IAM4\[.*AmazonAPIGatewayPushToCloudWatchLogs\]|IAM5\[Resource::\*\]|IAM5\[Resource::<ChaosConfigBucket\w+\.Arn>\/FisConfigs\/\*\]|L1|S1|SMG4|SQS3)$/;
    for (const ack of nagAcknowledgements(app.app)) {
      expect(ack.rule).toMatch(reviewed);
      expect(ack.reason.length).toBeGreaterThan(40);
      const hidden = raw.some((finding) => finding.rule === ack.rule && `${finding.path}/`.startsWith(`${ack.path}/`));
      expect({ ...ack, hidesAFinding: hidden }).toEqual({ ...ack, hidesAFinding: true });
    }
  });
});

describe('chaos experiments by default (staging)', () => {
  const app = () => synthApp('staging');
  const templates = () =>
    new Map(
      Object.entries(resourcesOfType(app().serviceTemplate, 'AWS::FIS::ExperimentTemplate')).map(([id, template]) => [
        id,
        template.Properties ?? {},
      ]),
    );
  const templateFor = (name: string) => {
    const template = app().service.chaos!.templates.get(name)!;
    return templates().get(app().service.getLogicalId(template))!;
  };

  it('has the three saga task experiments and the replication pause, each stopped by the same five alarms', () => {
    expect(app().config.chaos).toBeDefined();
    expect([...app().service.chaos!.templates.keys()].sort()).toEqual([
      'TableReplicationPause',
      'TaskCrashAfter',
      'TaskDelay',
      'TaskErrors',
    ]);
    const required = chaosStopAlarms.map((id) => logicalIdOf(app(), app().service.alarms.alarms.get(id)!)).sort();
    expect(templates().size).toBe(4);
    for (const [id, template] of templates()) {
      const stops = template.StopConditions as { Source: string; Value: GetAtt }[];
      expect({ id, sources: [...new Set(stops.map((stop) => stop.Source))] }).toEqual({
        id,
        sources: ['aws:cloudwatch:alarm'],
      });
      expect(stops.map((stop) => stop.Value['Fn::GetAtt'][0]).sort()).toEqual(required);
    }
  });

  it("takes the FIS extension layer from AWS's public SSM parameter, resolved at deploy time", () => {
    const parameters = (app().serviceTemplate.toJSON() as { Parameters?: Record<string, Record<string, string>> })
      .Parameters;
    const layerParameters = Object.entries(parameters ?? {}).filter(
      ([, parameter]) => parameter.Default === fisExtensionLayerParameter,
    );
    expect(layerParameters.map(([, parameter]) => parameter.Type)).toEqual(['AWS::SSM::Parameter::Value<String>']);
    const [layerParameterId] = layerParameters[0]!;
    for (const fn of app().service.sagaFunctions.values()) {
      const properties = resourcesOfType(app().serviceTemplate, 'AWS::Lambda::Function')[
        logicalIdOf(app(), fn.function)
      ]?.Properties;
      expect(properties?.Layers).toEqual([{ Ref: layerParameterId }]);
    }
  });

  it('injects Lambda faults into the saga task functions, which carry the FIS extension', () => {
    for (const name of ['TaskErrors', 'TaskCrashAfter', 'TaskDelay']) {
      const template = templateFor(name);
      expect(template.Targets).toEqual({
        SagaTasks: {
          ResourceType: 'aws:lambda:function',
          ResourceTags: { [chaosTargetTagKey]: 'orders-staging-saga-task' },
          SelectionMode: 'ALL',
        },
      });
      const [action] = Object.values(template.Actions as Record<string, Properties>);
      expect(action!.ActionId).toMatch(/^aws:lambda:invocation-(error|add-delay)$/);
      expect(action!.Parameters).toMatchObject({ duration: 'PT10M', invocationPercentage: '20' });
    }
    for (const fn of app().service.sagaFunctions.values()) {
      expect(environmentOf(app(), fn)[fisExtensionEnvNames.execWrapper]).toBe('/opt/aws-fis/bootstrap');
    }
  });

  it('pauses the replication of the orders global table, with a role limited to that table', () => {
    const template = templateFor('TableReplicationPause');
    const tableArn = JSON.stringify((template.Targets as Record<string, Properties>).OrdersTable!.ResourceArns);
    expect(tableArn).toMatch(/OrdersTable\w*Arn/);
    expect(template.Targets).toMatchObject({
      OrdersTable: { ResourceType: 'aws:dynamodb:global-table', SelectionMode: 'ALL' },
    });
    expect(template.Actions).toEqual({
      TableReplicationPause: {
        ActionId: 'aws:dynamodb:global-table-pause-replication',
        Description: expect.any(String),
        Parameters: { duration: 'PT10M' },
        Targets: { Tables: 'OrdersTable' },
      },
    });
    const roleId = logicalIdOf(app(), app().service.chaos!.replicationRole!);
    expect(template.RoleArn).toEqual({ 'Fn::GetAtt': [roleId, 'Arn'] });
    const statements = defaultPolicyStatements(app(), app().service.chaos!.replicationRole!);
    expect(statements.map((statement) => asArray(statement.Action).sort())).toEqual([
      [
        'dynamodb:DeleteResourcePolicy',
        'dynamodb:DescribeTable',
        'dynamodb:GetResourcePolicy',
        'dynamodb:PutResourcePolicy',
      ],
      ['tag:GetResources'],
    ]);
    expect(JSON.stringify(statements[0]!.Resource)).toBe(tableArn.slice(1, -1));
  });

  it('leaves no unacknowledged cdk-nag finding', () => {
    expect(nagFindings(app().app)).toEqual([]);
  });
});

describe('configuration checks', () => {
  it('refuses a recovery age that does not exceed the saga time limit', () => {
    expect(() => synthApp('dev', { configOverrides: { jobs: { recoveryAfterSeconds: 300 } } })).toThrow(
      /recoveryAfterSeconds \(300\) must exceed the saga's time limit \(300 s\)/,
    );
  });

  it('refuses an FIS extension layer from another region than the functions', () => {
    const chaos = { fisExtensionLayerArn: 'arn:aws:lambda:eu-west-1:123456789012:layer:aws-fis-extension-arm64:9' };
    expect(() => synthApp('prod', { configOverrides: { chaos } })).toThrow(/eu-west-1, the functions in us-east-1/);
  });
});
