import * as fs from 'node:fs';
import * as path from 'node:path';
import { Token } from 'aws-cdk-lib';
import type { EnvironmentName } from '../../bin/environment-config';
import { routeList } from '../../functions/api/routes';
import { failureReasons } from '../../functions/core/domain/order';
import { metricNames } from '../../functions/core/observability/metric-names';
import { sagaTasks, type SagaPlaceholder } from '../../statemachines/order-saga';
import { runbooks } from '../../stacks/constructs/operator-alarms';
import { envNames } from '../../functions/core/config/settings';
import type { ProbeKind } from '../../functions/hooks/release-checks';
import { releaseAlarmSettings, releaseGroupName } from '../../stacks/constructs/function-release';
import { projectRoot, type OrderFunction } from '../../stacks/constructs/order-function';
import { businessOutcomeErrors } from '../../stacks/constructs/releases';
import { serviceLevelObjectives } from '../../stacks/constructs/service-level-alarms';
import { apiStageName, minimumOrdersForFailureRate } from '../../stacks/constructs/service-metrics';
import {
  asArray,
  describeEachEnvironment,
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

type Ref = { Ref: string };

interface MetricStat {
  readonly Metric: { Namespace: string; MetricName: string; Dimensions?: { Name: string; Value: unknown }[] };
  readonly Stat: string;
  readonly Period: number;
}
interface AlarmMetric {
  readonly Id: string;
  readonly Expression?: string;
  readonly MetricStat?: MetricStat;
}

/** What each environment in cdk.json asks for: all at once in dev, a 10% canary for five minutes elsewhere. */
const expectedDeploymentConfig: Record<EnvironmentName, string> = {
  dev: 'CodeDeployDefault.LambdaAllAtOnce',
  staging: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
  prod: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
};

/** The sections every runbook an alarm links to must have, so whoever is paged finds each answer in one place. */
const runbookSections = ['Symptom', 'Dashboards and queries', 'Diagnosis', 'Mitigation', 'Rollback', 'Escalation'];
const runbooksWithSections: readonly (keyof typeof runbooks)[] = [
  'functionErrors',
  'functionLatency',
  'orderFailureRate',
  'slowOrders',
  'apiAvailability',
  'apiLatency',
  'throttling',
  'paymentProviderUnavailable',
];

const readSource = (file: string) => fs.readFileSync(path.join(projectRoot, file), 'utf8');

/** The functions that serve traffic (routes, saga tasks, jobs), by construct id. */
function servingFunctions(app: SynthesizedApp): [string, OrderFunction][] {
  return [
    ...app.service.routeFunctions.values(),
    ...app.service.sagaFunctions.values(),
    ...app.service.jobFunctions.values(),
  ].map((fn) => [fn.node.id, fn]);
}

/** The kind of synthetic request the function's new versions get before traffic, which picks its pre-traffic hook. */
function probeKindOf(app: SynthesizedApp, fn: OrderFunction): ProbeKind {
  if ([...app.service.routeFunctions.values()].includes(fn)) return 'api-route';
  if ([...app.service.sagaFunctions.values()].includes(fn)) return 'saga-task';
  return 'job';
}

/** The logical ids of the pre-traffic hook for the function's kind and of the post-traffic hook. */
function hookIdsOf(app: SynthesizedApp, fn: OrderFunction): { preTraffic: string; postTraffic: string } {
  const { hooks } = app.service.releases;
  return {
    preTraffic: logicalIdOf(app, hooks.preTraffic.get(probeKindOf(app, fn))!.function),
    postTraffic: logicalIdOf(app, hooks.postTraffic.function),
  };
}

/** A value of the template as text: an `Fn::Join` joined, a `Ref` to a pseudo parameter as `${AWS::Region}`. */
function rendered(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join) return join[1].map((part) => rendered(part)).join(join[0]);
  const ref = (value as { Ref?: string }).Ref;
  if (ref?.startsWith('AWS::')) return `\${${ref}}`;
  return value;
}

/**
 * The logical id of the Version resource the function's `live` alias points at: the version this deploy ships (CDK
 * suffixes its id with a hash of the code and configuration, so it is read from the alias).
 */
function versionIdOf(app: SynthesizedApp, fn: OrderFunction): string {
  const alias = serviceResource(app, 'AWS::Lambda::Alias', logicalIdOf(app, fn.alias));
  return (alias.Properties!.FunctionVersion as GetAtt)['Fn::GetAtt'][0];
}

/** The dimensions of the `live` alias's series of the version this deploy ships (its Version resource). */
function executedVersionDimensions(app: SynthesizedApp, fn: OrderFunction): Record<string, unknown> {
  const functionRef = { Ref: logicalIdOf(app, fn.function) };
  return {
    FunctionName: functionRef,
    Resource: { 'Fn::Join': ['', [functionRef, ':live']] },
    ExecutedVersion: { 'Fn::GetAtt': [versionIdOf(app, fn), 'Version'] },
  };
}

function alarmProperties(app: SynthesizedApp, alarmId: string): Properties {
  const alarm = app.service.alarms.alarms.get(alarmId);
  expect({ alarmId, found: alarm !== undefined }).toEqual({ alarmId, found: true });
  return serviceResource(app, 'AWS::CloudWatch::Alarm', logicalIdOf(app, alarm!)).Properties ?? {};
}

function alarmMetrics(properties: Properties): AlarmMetric[] {
  return (properties.Metrics ?? []) as AlarmMetric[];
}

function dimensionsOf(stat: MetricStat | undefined): Record<string, unknown> {
  return Object.fromEntries((stat?.Metric.Dimensions ?? []).map((dimension) => [dimension.Name, dimension.Value]));
}

function powertoolsServiceOf(app: SynthesizedApp, fn: OrderFunction): unknown {
  return environmentOf(app, fn).POWERTOOLS_SERVICE_NAME;
}

/** The dashboard body with its tokens (Refs, GetAtts) replaced by `TOKEN<n>` placeholders, parsed. */
function dashboardBody(app: SynthesizedApp): { widgets: { type: string; properties: Record<string, unknown> }[] } {
  const dashboards = Object.values(resourcesOfType(app.serviceTemplate, 'AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  const body = dashboards[0]!.Properties!.DashboardBody as string | { 'Fn::Join': [string, unknown[]] };
  const text =
    typeof body === 'string'
      ? body
      : body['Fn::Join'][1]
          .map((part) => (typeof part === 'string' ? part : `TOKEN${JSON.stringify(part).replace(/"/g, "'")}`))
          .join('');
  return JSON.parse(text) as { widgets: { type: string; properties: Record<string, unknown> }[] };
}

describeEachEnvironment('release safety', (app, envName) => {
  it('gives every route, saga task and job function a live alias released by its own CodeDeploy deployment group', () => {
    const functions = servingFunctions(app());
    expect(functions.length).toBeGreaterThan(20);
    const groups = resourcesOfType(app().serviceTemplate, 'AWS::CodeDeploy::DeploymentGroup');
    expect(Object.keys(groups)).toHaveLength(functions.length);
    const applicationId = logicalIdOf(app(), app().service.releases.application);
    expect(serviceResource(app(), 'AWS::CodeDeploy::Application', applicationId).Properties).toMatchObject({
      ApplicationName: `orders-${envName}`,
      ComputePlatform: 'Lambda',
    });
    for (const [name, fn] of functions) {
      const alias = serviceResource(app(), 'AWS::Lambda::Alias', logicalIdOf(app(), fn.alias));
      expect({ name, alias: alias.Properties?.Name }).toEqual({ name, alias: 'live' });
      const version = serviceResource(
        app(),
        'AWS::Lambda::Version',
        (alias.Properties!.FunctionVersion as GetAtt)['Fn::GetAtt'][0],
      );
      expect(version.Properties!.FunctionName).toEqual({ Ref: logicalIdOf(app(), fn.function) });
      // The alias update is what CloudFormation hands to CodeDeploy: no update policy, no traffic shifting. The
      // hooks are named there too: the kind's synthetic request before traffic, the alarm check after it.
      const groupId = logicalIdOf(app(), fn.deploymentGroup!);
      const hooks = hookIdsOf(app(), fn);
      expect({ name, policy: alias.UpdatePolicy }).toEqual({
        name,
        policy: {
          CodeDeployLambdaAliasUpdate: {
            ApplicationName: { Ref: applicationId },
            DeploymentGroupName: { Ref: groupId },
            BeforeAllowTrafficHook: { Ref: hooks.preTraffic },
            AfterAllowTrafficHook: { Ref: hooks.postTraffic },
          },
        },
      });
      // CodeDeploy calls the hooks as soon as CloudFormation hands it the alias update: they must exist by then.
      expect({ name, dependsOn: alias.DependsOn }).toEqual({
        name,
        dependsOn: expect.arrayContaining([hooks.preTraffic, hooks.postTraffic]),
      });
      expect({ name, group: groups[groupId]?.Properties }).toMatchObject({
        name,
        group: {
          ApplicationName: { Ref: applicationId },
          DeploymentConfigName: expectedDeploymentConfig[envName],
          DeploymentStyle: { DeploymentType: 'BLUE_GREEN', DeploymentOption: 'WITH_TRAFFIC_CONTROL' },
        },
      });
    }
  });

  it("rolls back on a failed or stopped deployment and on the new version's failure rate, p99 duration and a route's 5xx answers, never on the order failure rate", () => {
    const groups = resourcesOfType(app().serviceTemplate, 'AWS::CodeDeploy::DeploymentGroup');
    const businessAlarm = logicalIdOf(app(), app().service.serviceLevelAlarms.orderFailureRate);
    const routes = new Set(app().service.routeFunctions.values());
    for (const [name, fn] of servingFunctions(app())) {
      const group = groups[logicalIdOf(app(), fn.deploymentGroup!)]!.Properties!;
      expect({ name, rollback: group.AutoRollbackConfiguration }).toEqual({
        name,
        rollback: {
          Enabled: true,
          Events: expect.arrayContaining([
            'DEPLOYMENT_FAILURE',
            'DEPLOYMENT_STOP_ON_ALARM',
            'DEPLOYMENT_STOP_ON_REQUEST',
          ]),
        },
      });
      const alarmConfiguration = group.AlarmConfiguration as { Enabled: boolean; Alarms: { Name: Ref }[] };
      expect(alarmConfiguration.Enabled).toBe(true);
      const names = alarmConfiguration.Alarms.map((alarm) => alarm.Name.Ref).sort();
      const ownIds = [`${name}ErrorRate`, `${name}LatencyP99`, ...(routes.has(fn) ? [`${name}AnswerErrorRate`] : [])];
      const own = ownIds.map((id) => logicalIdOf(app(), app().service.alarms.alarms.get(id)!));
      const jobAlarm = app().service.alarms.alarms.get(`${name}Errors`);
      const expected = [...own, ...(jobAlarm ? [logicalIdOf(app(), jobAlarm)] : [])];
      expect({ name, alarms: names }).toEqual({ name, alarms: expected.sort() });
      // A payment-provider outage must not block a release, the fix included: the post-traffic check reads it.
      expect({ name, business: names.includes(businessAlarm) }).toEqual({ name, business: false });
    }
    // Every job rolls back on its own error alarm too: its runs are too sparse for a failure rate.
    for (const fn of app().service.jobFunctions.values()) {
      expect(app().service.alarms.alarms.has(`${fn.node.id}Errors`)).toBe(true);
    }
  });

  it("judges each route by its 5xx answers and each version by its own invocation errors, minus its share of the saga's business outcomes", () => {
    // The stage by its name, not a reference: a reference from these canary alarms back to the stage closes a cycle
    // (alias, deployment group, alarm, stage, method, alias) that CloudFormation refuses.
    const stage = apiStageName;
    const stageId = logicalIdOf(app(), app().service.api.deploymentStage);
    expect(serviceResource(app(), 'AWS::ApiGateway::Stage', stageId).Properties?.StageName).toBe(apiStageName);
    for (const route of routeList) {
      const fn = app().service.routeFunctions.get(route.id)!;
      const metrics = alarmMetrics(alarmProperties(app(), `${fn.node.id}AnswerErrorRate`));
      const stats = new Map(
        metrics.filter((metric) => metric.MetricStat).map((metric) => [metric.Id, metric.MetricStat]),
      );
      for (const [id, metricName] of [
        ['errors', '5XXError'],
        ['requests', 'Count'],
      ] as const) {
        expect({ route: route.id, name: stats.get(id)?.Metric.MetricName }).toEqual({
          route: route.id,
          name: metricName,
        });
        expect(dimensionsOf(stats.get(id))).toEqual({
          ApiName: `orders-${envName}`,
          Method: route.method,
          Resource: route.path,
          Stage: stage,
        });
      }
    }
    const functionRef = (fn: OrderFunction) => ({ Ref: logicalIdOf(app(), fn.function) });
    const aliasDimensions = (fn: OrderFunction) => ({
      FunctionName: functionRef(fn),
      Resource: { 'Fn::Join': ['', [functionRef(fn), ':live']] },
    });
    for (const [placeholder, fn] of app().service.sagaFunctions) {
      const properties = alarmProperties(app(), `${fn.node.id}ErrorRate`);
      expect(properties).toMatchObject({ Threshold: releaseAlarmSettings.maxFailurePercent, EvaluationPeriods: 2 });
      const metrics = alarmMetrics(properties);
      const stats = new Map(
        metrics.filter((metric) => metric.MetricStat).map((metric) => [metric.Id, metric.MetricStat]),
      );
      expect(stats.get('errors')?.Metric.MetricName).toBe('Errors');
      expect(stats.get('throttles')?.Metric.MetricName).toBe('Throttles');
      expect(stats.get('requests')?.Metric.MetricName).toBe('Invocations');
      // The new version's own series: errors, throttles and invocations of the version the alias executed.
      for (const id of ['errors', 'throttles', 'requests']) {
        expect({ placeholder, id, dimensions: dimensionsOf(stats.get(id)) }).toEqual({
          placeholder,
          id,
          dimensions: executedVersionDimensions(app(), fn),
        });
      }
      const outcome = businessOutcomeErrors[placeholder];
      const expression = metrics.find((metric) => metric.Expression)!.Expression!;
      const faults = 'FILL(errors, 0) + FILL(throttles, 0)';
      if (outcome) {
        expect(stats.get('expected')?.Metric).toMatchObject({
          Namespace: 'Orders',
          MetricName: metricNames.orderFailed,
        });
        expect(dimensionsOf(stats.get('expected'))).toEqual({ service: 'orders-saga', failureReason: outcome });
        // Business outcomes are counted for the whole service: only the new version's share of the alias's
        // invocations is subtracted from its errors.
        expect(stats.get('all')?.Metric.MetricName).toBe('Invocations');
        expect(dimensionsOf(stats.get('all'))).toEqual(aliasDimensions(fn));
        const failures = `${faults} - FILL(expected, 0) * requests / all`;
        expect(expression).toBe(
          `IF((${failures}) >= ${releaseAlarmSettings.minimumFailures}, 100 * (${failures}) / requests, 0)`,
        );
      } else {
        expect({ placeholder, expected: stats.has('expected'), all: stats.has('all') }).toEqual({
          placeholder,
          expected: false,
          all: false,
        });
        expect(expression).toBe(
          `IF((${faults}) >= ${releaseAlarmSettings.minimumFailures}, 100 * (${faults}) / requests, 0)`,
        );
      }
      expect(expression).toContain(`>= ${releaseAlarmSettings.minimumFailures}`);
    }
    // The business outcomes are the errors the saga catches by name and turns into a failed order.
    const asl = readSource('statemachines/order-saga.asl.json');
    for (const [placeholder, reason] of Object.entries(businessOutcomeErrors) as [SagaPlaceholder, string][]) {
      expect(sagaTasks[placeholder]).toBeDefined();
      expect(asl).toContain(`"${reason}"`);
    }
  });

  it('rolls back on a p99 duration of half the timeout, measured on the live alias', () => {
    for (const [name, fn] of servingFunctions(app())) {
      const properties = alarmProperties(app(), `${name}LatencyP99`);
      expect({ name, properties }).toMatchObject({
        name,
        properties: {
          Namespace: 'AWS/Lambda',
          MetricName: 'Duration',
          ExtendedStatistic: 'p99',
          Period: 60,
          Threshold: fn.timeout.toMilliseconds() / 2,
          EvaluationPeriods: releaseAlarmSettings.evaluationPeriods,
        },
      });
      expect(JSON.stringify(properties.Dimensions)).toContain(':live');
    }
  });

  it("reads every rollback alarm's Lambda metrics from the version this deploy ships, never the whole alias", () => {
    for (const [name, fn] of servingFunctions(app())) {
      const expected = executedVersionDimensions(app(), fn);
      // The Version resource named is the function's own, so each deploy points its alarms at what it ships.
      const versionId = (expected.ExecutedVersion as GetAtt)['Fn::GetAtt'][0];
      expect(serviceResource(app(), 'AWS::Lambda::Version', versionId).Properties!.FunctionName).toEqual({
        Ref: logicalIdOf(app(), fn.function),
      });
      const latency = alarmProperties(app(), `${name}LatencyP99`);
      const latencyDimensions = latency.Dimensions as { Name: string; Value: unknown }[];
      expect({
        name,
        latency: Object.fromEntries(latencyDimensions.map((entry) => [entry.Name, entry.Value])),
      }).toEqual({ name, latency: expected });
      const stats = alarmMetrics(alarmProperties(app(), `${name}ErrorRate`))
        .filter((metric) => metric.MetricStat?.Metric.Namespace === 'AWS/Lambda' && metric.Id !== 'all')
        .map((metric) => metric.MetricStat!);
      expect({ name, count: stats.length }).toEqual({ name, count: 3 });
      for (const stat of stats) {
        expect({ name, metric: stat.Metric.MetricName, dimensions: dimensionsOf(stat) }).toEqual({
          name,
          metric: stat.Metric.MetricName,
          dimensions: expected,
        });
      }
    }
  });

  it('wires a pre-traffic hook per kind and one post-traffic hook, each allowed only what its check needs', () => {
    const { hooks } = app().service.releases;
    expect([...hooks.preTraffic.keys()].sort()).toEqual(['api-route', 'job', 'saga-task']);
    // ARNs as CloudFormation receives them, pseudo parameters rendered as `${AWS::Region}`.
    const stack = app().service;
    const pseudo = (value: string, name: string) => (Token.isUnresolved(value) ? `\${${name}}` : value);
    const partitionArn = (service: string, resource: string) =>
      `arn:\${AWS::Partition}:${service}:${pseudo(stack.region, 'AWS::Region')}:${pseudo(stack.account, 'AWS::AccountId')}:${resource}`;
    const groupArn = (fn: OrderFunction) =>
      partitionArn('codedeploy', `deploymentgroup:orders-${envName}/${releaseGroupName(fn)}`);
    const statementsOf = (hook: OrderFunction) =>
      defaultPolicyStatements(app(), hook.role).map((statement) => ({
        actions: asArray(statement.Action).sort(),
        resources: asArray(statement.Resource).map(rendered),
      }));
    const grantsOf = (hook: OrderFunction, action: string) =>
      statementsOf(hook).filter((statement) => statement.actions.includes(action));
    const served = servingFunctions(app()).map(([, fn]) => fn);

    for (const [kind, hook] of hooks.preTraffic) {
      const targets = served.filter((fn) => probeKindOf(app(), fn) === kind);
      expect(targets.length).toBeGreaterThan(0);
      // Invokes the versions this deploy ships (Version resources, whose Ref is the version's ARN) and nothing else:
      // not $LATEST, not the previous version, not another kind's functions.
      expect({ kind, invoke: grantsOf(hook, 'lambda:InvokeFunction') }).toEqual({
        kind,
        invoke: [
          {
            actions: ['lambda:InvokeFunction'],
            resources: targets.map((fn) => ({ Ref: versionIdOf(app(), fn) })),
          },
        ],
      });
      expect({ kind, describe: grantsOf(hook, 'cloudwatch:DescribeAlarms') }).toEqual({ kind, describe: [] });
      expect({ kind, report: grantsOf(hook, 'codedeploy:PutLifecycleEventHookExecutionStatus') }).toEqual({
        kind,
        report: [
          {
            actions: ['codedeploy:GetDeployment', 'codedeploy:PutLifecycleEventHookExecutionStatus'],
            resources: targets.map(groupArn),
          },
        ],
      });
      // The hook learns which version each group ships from its environment, not from a broader lookup.
      const environment = environmentOf(app(), hook);
      expect(environment[envNames.releaseHooks.probe]).toBe(kind);
      expect(JSON.stringify(environment[envNames.releaseHooks.targets])).toContain(
        JSON.stringify(versionIdOf(app(), targets[0]!)),
      );
    }

    const post = hooks.postTraffic;
    expect({ invoke: grantsOf(post, 'lambda:InvokeFunction') }).toEqual({ invoke: [] });
    expect(grantsOf(post, 'codedeploy:GetDeployment')).toEqual([
      {
        actions: ['codedeploy:GetDeployment', 'codedeploy:PutLifecycleEventHookExecutionStatus'],
        resources: served.map(groupArn),
      },
    ]);
    // The deployment groups it reports on are this application's, and every one of them.
    const groupNames = Object.values(resourcesOfType(app().serviceTemplate, 'AWS::CodeDeploy::DeploymentGroup')).map(
      (group) => group.Properties!.DeploymentGroupName,
    );
    expect(groupNames.sort()).toEqual(served.map(releaseGroupName).sort());
    const { orderCompletion, apiAvailability, apiLatency, orderFailureRate } = app().service.serviceLevelAlarms;
    const alarmName = (alarm: typeof orderFailureRate) =>
      serviceResource(app(), 'AWS::CloudWatch::Alarm', logicalIdOf(app(), alarm)).Properties!.AlarmName as string;
    const read = [orderCompletion, apiAvailability, apiLatency, orderFailureRate].map(alarmName);
    expect(grantsOf(post, 'cloudwatch:DescribeAlarms')).toEqual([
      {
        actions: ['cloudwatch:DescribeAlarms'],
        resources: read.map((name) => partitionArn('cloudwatch', `alarm:${name}`)),
      },
    ]);
    const environment = environmentOf(app(), post);
    expect(JSON.parse(environment[envNames.releaseHooks.sloAlarms] as string)).toEqual(read.slice(0, 3));
    expect(environment[envNames.releaseHooks.businessAlarm]).toBe(read[3]);
    // The order path (the routes that place or cancel orders, every saga task) waits for the business alarm.
    expect(JSON.parse(environment[envNames.releaseHooks.businessGroups] as string).sort()).toEqual(
      [
        app().service.routeFunctions.get('placeOrder')!,
        app().service.routeFunctions.get('cancelOrder')!,
        ...app().service.sagaFunctions.values(),
      ]
        .map(releaseGroupName)
        .sort(),
    );
    // No break glass unless the deploy asks for it.
    expect(environment[envNames.releaseHooks.breakGlass]).toBeUndefined();
    // None of the hooks may act on anything else with these actions.
    for (const hook of [...hooks.preTraffic.values(), post]) {
      for (const statement of statementsOf(hook)) {
        if (statement.actions.some((action) => /^(codedeploy|cloudwatch:DescribeAlarms|lambda:Invoke)/.test(action)))
          expect(statement.resources).not.toContain('*');
      }
    }
  });

  it('gates the order path on the order failure rate: all FAILED reasons over placed orders, as the handlers emit them', () => {
    const properties = alarmProperties(app(), 'OrderFailureRate');
    expect(properties).toMatchObject({
      Threshold: app().config.release.maxOrderFailureRatePercent,
      EvaluationPeriods: 2,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    const metrics = alarmMetrics(properties);
    const stats = metrics.filter((metric) => metric.MetricStat).map((metric) => metric.MetricStat!);
    const failed = stats.filter((stat) => stat.Metric.MetricName === metricNames.orderFailed);
    expect(failed.map((stat) => dimensionsOf(stat).failureReason).sort()).toEqual([...failureReasons].sort());
    const placed = stats.filter((stat) => stat.Metric.MetricName === metricNames.orderPlaced);
    expect(placed).toHaveLength(1);
    expect(metrics.find((metric) => metric.Expression)?.Expression).toMatch(
      new RegExp(
        `^IF\\(placed >= ${minimumOrdersForFailureRate}, 100 \\* \\(FILL\\(f0, 0\\)( \\+ FILL\\(f\\d, 0\\))+\\) / placed, 0\\)$`,
      ),
    );
    // `service` dimensions as the emitting handlers publish them (Powertools adds POWERTOOLS_SERVICE_NAME); the names
    // are the handlers' own, imported from functions/core/observability/metric-names.ts.
    expect(dimensionsOf(placed[0]).service).toBe(
      powertoolsServiceOf(app(), app().service.routeFunctions.get('placeOrder')!),
    );
    const markOrderFailed = app().service.sagaFunctions.get('MarkOrderFailedFunctionArn')!;
    for (const stat of failed) expect(dimensionsOf(stat).service).toBe(powertoolsServiceOf(app(), markOrderFailed));
  });

  it('lets each CodeDeploy role shift its own alias, read its own alarms and invoke its two hooks, with no managed policy', () => {
    for (const [name, fn] of servingFunctions(app())) {
      const groupId = logicalIdOf(app(), fn.deploymentGroup!);
      const group = serviceResource(app(), 'AWS::CodeDeploy::DeploymentGroup', groupId).Properties!;
      const roleId = (group.ServiceRoleArn as GetAtt)['Fn::GetAtt'][0];
      const role = serviceResource(app(), 'AWS::IAM::Role', roleId).Properties!;
      expect({ name, managed: role.ManagedPolicyArns }).toEqual({ name, managed: undefined });
      expect(JSON.stringify(role.AssumeRolePolicyDocument)).toContain('"Service":"codedeploy.amazonaws.com"');
      const statements = policyStatements(app().serviceTemplate).filter(({ policyId }) => policyId === roleId);
      const functionArn = { 'Fn::GetAtt': [logicalIdOf(app(), fn.function), 'Arn'] };
      expect(statements.map(({ statement }) => [asArray(statement.Action).sort(), statement.Resource])).toEqual([
        [
          ['lambda:GetAlias', 'lambda:GetProvisionedConcurrencyConfig', 'lambda:UpdateAlias'],
          [functionArn, { 'Fn::Join': ['', [functionArn, ':live']] }],
        ],
        [
          ['cloudwatch:DescribeAlarms'],
          (group.AlarmConfiguration as { Alarms: { Name: Ref }[] }).Alarms.map((alarm) => ({
            'Fn::GetAtt': [alarm.Name.Ref, 'Arn'],
          })),
        ],
        [
          ['lambda:InvokeFunction'],
          [hookIdsOf(app(), fn).preTraffic, hookIdsOf(app(), fn).postTraffic].map((hookId) => ({
            'Fn::GetAtt': [hookId, 'Arn'],
          })),
        ],
      ]);
      // No other policy is attached to the role.
      const attached = Object.values(resourcesOfType(app().serviceTemplate, 'AWS::IAM::Policy')).filter((policy) =>
        JSON.stringify(policy.Properties?.Roles).includes(`"${roleId}"`),
      );
      expect({ name, attached: attached.length }).toEqual({ name, attached: 0 });
    }
  });

  it('has API methods, Step Functions tasks and schedules invoke the live aliases, with invoke permissions on the alias ARNs', () => {
    const aliasIds = new Set(
      Object.entries(resourcesOfType(app().serviceTemplate, 'AWS::Lambda::Alias'))
        .filter(([, alias]) => alias.Properties?.Name === 'live')
        .map(([id]) => id),
    );
    const functionIds = new Set(Object.keys(resourcesOfType(app().serviceTemplate, 'AWS::Lambda::Function')));
    // API Gateway: every integration URI names an alias, never a function.
    for (const [id, method] of Object.entries(resourcesOfType(app().serviceTemplate, 'AWS::ApiGateway::Method'))) {
      // CORS preflights are mock integrations: they invoke nothing (test/infra/cors.test.ts).
      if ((method.Properties?.Integration as { Type?: string } | undefined)?.Type === 'MOCK') continue;
      const uri = JSON.stringify((method.Properties?.Integration as { Uri?: unknown } | undefined)?.Uri ?? null);
      const refs = [
        ...uri.matchAll(/"(?:Ref|Fn::GetAtt)":\["?([A-Za-z0-9]+)/g),
        ...uri.matchAll(/"Ref":"([A-Za-z0-9]+)"/g),
      ].map((match) => match[1]!);
      expect({ id, aliases: refs.filter((ref) => aliasIds.has(ref)).length }).toEqual({ id, aliases: 1 });
      expect({ id, functions: refs.filter((ref) => functionIds.has(ref)) }).toEqual({ id, functions: [] });
    }
    // Step Functions: substitutions are aliases, and the machines may invoke exactly those.
    for (const machine of app().service.stateMachines.values()) {
      const machineId = logicalIdOf(app(), machine);
      const properties = serviceResource(app(), 'AWS::StepFunctions::StateMachine', machineId).Properties!;
      const substitutions = Object.values(properties.DefinitionSubstitutions as Record<string, Ref>);
      for (const value of substitutions) expect(aliasIds.has(value.Ref)).toBe(true);
      const roleId = (properties.RoleArn as GetAtt)['Fn::GetAtt'][0];
      const invoked = policyStatements(app().serviceTemplate)
        .filter(({ policyId }) => {
          const policy = resourcesOfType(app().serviceTemplate, 'AWS::IAM::Policy')[policyId];
          return JSON.stringify(policy?.Properties?.Roles) === `[{"Ref":"${roleId}"}]`;
        })
        .filter(({ statement }) => asArray(statement.Action).includes('lambda:InvokeFunction'))
        .flatMap(({ statement }) => asArray(statement.Resource) as unknown[]);
      expect([...new Set(invoked.map((resourceArn) => (resourceArn as Ref).Ref))].sort()).toEqual(
        [...new Set(substitutions.map((value) => value.Ref))].sort(),
      );
    }
    // Schedules target the aliases.
    for (const rule of Object.values(resourcesOfType(app().serviceTemplate, 'AWS::Events::Rule'))) {
      for (const target of rule.Properties!.Targets as { Arn: Ref }[]) expect(aliasIds.has(target.Arn.Ref)).toBe(true);
    }
    // Every resource-based invoke permission for API Gateway and EventBridge names an alias.
    const permissions = Object.entries(resourcesOfType(app().serviceTemplate, 'AWS::Lambda::Permission')).filter(
      ([, permission]) => /^(apigateway|events)\.amazonaws\.com$/.test(String(permission.Properties?.Principal)),
    );
    expect(permissions.length).toBeGreaterThanOrEqual(routeList.length + app().service.jobSchedules.size);
    for (const [id, permission] of permissions) {
      expect({ id, alias: aliasIds.has((permission.Properties!.FunctionName as Ref).Ref) }).toEqual({
        id,
        alias: true,
      });
    }
  });

  it('alarms on the objectives: orders ending within 5 s, API availability and API p99 latency', () => {
    const { orderCompletion, apiAvailability, apiLatency } = serviceLevelObjectives;
    const completion = alarmProperties(app(), 'OrderCompletionSlo');
    expect(completion).toMatchObject({
      Namespace: 'Orders',
      MetricName: metricNames.orderCompletionLatency,
      ExtendedStatistic: 'p99.9',
      Threshold: 5000,
      Period: orderCompletion.period.toSeconds(),
      EvaluationPeriods: orderCompletion.evaluationPeriods,
    });
    // Published where an order ends: the confirm and fail tasks wrap their store with reportingCompletion.
    for (const placeholder of ['ConfirmOrderFunctionArn', 'MarkOrderFailedFunctionArn'] as const) {
      expect(readSource(sagaTasks[placeholder])).toContain('reportingCompletion(orderStore()');
      const service = powertoolsServiceOf(app(), app().service.sagaFunctions.get(placeholder)!);
      expect(completion.Dimensions).toEqual([{ Name: 'service', Value: service }]);
    }

    const availability = alarmMetrics(alarmProperties(app(), 'ApiAvailabilitySlo'));
    expect(
      availability
        .filter((metric) => metric.MetricStat)
        .map((metric) => metric.MetricStat!.Metric.MetricName)
        .sort(),
    ).toEqual(['5XXError', 'Count']);
    expect(alarmProperties(app(), 'ApiAvailabilitySlo').Threshold).toBe(apiAvailability.maxServerErrorPercent);
    for (const metric of availability.filter((candidate) => candidate.MetricStat)) {
      expect(dimensionsOf(metric.MetricStat)).toEqual({
        ApiName: `orders-${envName}`,
        Stage: apiStageName,
      });
    }
    expect(alarmProperties(app(), 'ApiLatencySlo')).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: 'Latency',
      ExtendedStatistic: 'p99',
      Threshold: apiLatency.withinMs,
    });
  });

  it('alarms on throttling (Lambda, DynamoDB) and on the payment circuit breaker, with the metrics emitted', () => {
    expect(alarmProperties(app(), 'LambdaThrottles')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Throttles',
    });
    const table = alarmMetrics(alarmProperties(app(), 'TableThrottles'))
      .filter((metric) => metric.MetricStat)
      .map((metric) => metric.MetricStat!.Metric.MetricName);
    expect(new Set(table)).toEqual(new Set(['ReadThrottleEvents', 'WriteThrottleEvents']));
    const breaker = alarmMetrics(alarmProperties(app(), 'PaymentProviderUnavailable')).filter(
      (metric) => metric.MetricStat,
    );
    expect(breaker.map((metric) => metric.MetricStat!.Metric.MetricName)).toEqual(
      breaker.map(() => metricNames.paymentBreakerOpened),
    );
    // Every service whose functions call the provider is watched.
    const callers = new Set(
      servingFunctions(app())
        .filter(([, fn]) => {
          return 'PAYMENT_API_URL' in environmentOf(app(), fn);
        })
        .map(([, fn]) => powertoolsServiceOf(app(), fn)),
    );
    expect(new Set(breaker.map((metric) => dimensionsOf(metric.MetricStat).service))).toEqual(callers);
  });

  it('links every alarm to a runbook that exists and covers symptom, dashboards, diagnosis, mitigation, rollback and escalation', () => {
    for (const [id, alarm] of Object.entries(resourcesOfType(app().serviceTemplate, 'AWS::CloudWatch::Alarm'))) {
      const description = JSON.stringify(alarm.Properties?.AlarmDescription);
      const links = [...description.matchAll(/Runbook: (docs\/runbooks\/[a-z0-9-]+\.md)/g)].map((match) => match[1]!);
      expect({ id, links: links.length }).toEqual({ id, links: 1 });
      expect({ id, exists: fs.existsSync(path.join(projectRoot, links[0]!)) }).toEqual({ id, exists: true });
    }
    for (const name of runbooksWithSections) {
      const text = readSource(runbooks[name]);
      const headings = [...text.matchAll(/^## (.+)$/gm)].map((match) => match[1]!.trim());
      expect({ runbook: name, headings }).toEqual({ runbook: name, headings: expect.arrayContaining(runbookSections) });
    }
  });

  it('builds the operations dashboard with every section, route, function and alarm', () => {
    const body = dashboardBody(app());
    const dashboard = Object.values(resourcesOfType(app().serviceTemplate, 'AWS::CloudWatch::Dashboard'))[0]!;
    expect(dashboard.Properties!.DashboardName).toBe(`orders-${envName}`);
    const titles = body.widgets.map((widget) => String(widget.properties.title ?? ''));
    for (const expected of [
      'Orders per minute: placed, confirmed, failed',
      'Order failure rate (%)',
      'Failed orders by reason',
      'Time from placement to CONFIRMED or FAILED (ms)',
      'Saga executions',
      'Stock: reservations, stock-outs, units released',
      'Payment latency (ms)',
      'Payment circuit breaker and retries',
      'Latency per route, p99 (ms)',
      'Requests per route',
      '5xx answers per route',
      '4xx answers per route',
      'Throttled or over quota (429) per route',
      'API functions: errors',
      'Saga task functions: throttles',
      'Job functions: duration p99 (ms)',
      'Needs-attention queue (the saga dead-letter destination)',
      'Reconciliation violations by invariant (hourly run)',
      'Cost per order over the time range (billed units per placed order)',
    ]) {
      expect(titles).toContain(expected);
    }
    const widget = (title: string) => body.widgets.find((candidate) => candidate.properties.title === title)!;
    const metricsOf = (title: string) => widget(title).properties.metrics as unknown[][];

    // Per route: API Gateway's per-method metrics, with each route's method and resource.
    for (const title of ['Latency per route, p99 (ms)', '5xx answers per route', 'Requests per route']) {
      const routes = metricsOf(title).map(
        (metric) => `${metric[metric.indexOf('Method') + 1]} ${metric[metric.indexOf('Resource') + 1]}`,
      );
      expect(routes.sort()).toEqual(routeList.map((route) => `${route.method} ${route.path}`).sort());
    }
    const throttled = metricsOf('Throttled or over quota (429) per route');
    expect(throttled.every((metric) => metric[0] === 'Orders' && metric[1] === metricNames.apiThrottledRequests)).toBe(
      true,
    );
    expect(throttled).toHaveLength(routeList.length);
    app().serviceTemplate.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ $.status = "429" }',
      MetricTransformations: [
        {
          MetricNamespace: 'Orders',
          MetricName: metricNames.apiThrottledRequests,
          MetricValue: '1',
          Dimensions: [
            { Key: 'method', Value: '$.httpMethod' },
            { Key: 'resource', Value: '$.resourcePath' },
          ],
        },
      ],
    });

    // Saga outcomes, order time, stock-outs, payments and the circuit breaker come from the metrics the code emits.
    const text = JSON.stringify(body);
    for (const metricName of [
      metricNames.orderPlaced,
      metricNames.orderConfirmed,
      metricNames.orderFailed,
      metricNames.orderCompletionLatency,
      metricNames.stockReserved,
      metricNames.paymentAuthorizationLatency,
      metricNames.paymentProviderLatency,
      metricNames.paymentBreakerOpened,
      metricNames.paymentBreakerHalfOpened,
      metricNames.paymentBreakerClosed,
      metricNames.paymentProviderRetry,
      metricNames.reconciliationViolations,
      'ApproximateNumberOfMessagesVisible',
      'ConsumedReadCapacityUnits',
      'ConsumedWriteCapacityUnits',
    ]) {
      expect({ metricName, shown: text.includes(`"${metricName}"`) }).toEqual({ metricName, shown: true });
    }

    // Every function appears in the function graphs, and every alarm in the alarm widget.
    const functionGraphs = JSON.stringify(
      body.widgets.filter((candidate) => / functions: errors$/.test(String(candidate.properties.title))),
    );
    for (const [name, fn] of servingFunctions(app())) {
      expect({ name, shown: functionGraphs.includes(logicalIdOf(app(), fn.function)) }).toEqual({ name, shown: true });
    }
    const alarmWidget = body.widgets.find((candidate) => candidate.type === 'alarm')!;
    expect((alarmWidget.properties.alarms as unknown[]).length).toBe(app().service.alarms.alarms.size);

    // Cost per order: billed units divided by placed orders.
    const cost = metricsOf('Cost per order over the time range (billed units per placed order)');
    const expressions = cost
      .map((metric) => metric[0] as { expression?: string; label?: string })
      .filter((metric) => metric.expression);
    expect(expressions.map((metric) => metric.label)).toEqual([
      'Lambda invocations per order',
      'Lambda GB-seconds per order',
      'DynamoDB read units per order',
      'DynamoDB write units per order',
      'Saga executions per order',
    ]);
    for (const expression of expressions)
      expect(expression.expression).toMatch(/^IF\(placed > 0, \(.+\) \/ placed, 0\)$/);
  });
});

describe('release settings', () => {
  it('records a break-glass reason given with -c breakGlass in the post-traffic hook, and only there', () => {
    const reason = 'INC-123 hotfix during payment outage';
    const app = synthApp('prod', { contextOverrides: { breakGlass: `  ${reason} ` } });
    const post = app.service.releases.hooks.postTraffic;
    expect(environmentOf(app, post)[envNames.releaseHooks.breakGlass]).toBe(reason);
    const carrying = Object.entries(resourcesOfType(app.serviceTemplate, 'AWS::Lambda::Function'))
      .filter(([, fn]) => JSON.stringify(fn.Properties?.Environment ?? {}).includes(reason))
      .map(([id]) => id);
    expect(carrying).toEqual([logicalIdOf(app, post.function)]);
    // The rest of the release is unchanged: the same alarms still roll back, the hooks are still wired.
    const groups = Object.values(resourcesOfType(app.serviceTemplate, 'AWS::CodeDeploy::DeploymentGroup'));
    expect(groups.length).toBeGreaterThan(20);
    for (const group of groups) expect(group.Properties!.AlarmConfiguration).toMatchObject({ Enabled: true });
  });

  it('refuses a break glass with no reason (empty, blank or a bare flag), naming the setting', () => {
    for (const breakGlass of ['', '   ', 'true', true]) {
      expect(() => synthApp('staging', { contextOverrides: { breakGlass } })).toThrow(/breakGlass: give the reason/);
    }
  });

  it('maps another predefined configuration to its CodeDeploy name', () => {
    const app = synthApp('staging', {
      configOverrides: { release: { deploymentConfig: 'Linear10PercentEvery1Minute' } },
    });
    const groups = Object.values(resourcesOfType(app.serviceTemplate, 'AWS::CodeDeploy::DeploymentGroup'));
    expect(new Set(groups.map((group) => group.Properties!.DeploymentConfigName))).toEqual(
      new Set(['CodeDeployDefault.LambdaLinear10PercentEvery1Minute']),
    );
    // Without a threshold in cdk.json, the default applies.
    expect(app.config.release.maxOrderFailureRatePercent).toBe(10);
  });

  it('refuses an unknown deployment configuration and an impossible failure rate, naming the field', () => {
    expect(() =>
      synthApp('prod', { configOverrides: { release: { deploymentConfig: 'Canary50Percent1Minute' } } }),
    ).toThrow(/release\.deploymentConfig/);
    expect(() =>
      synthApp('prod', {
        configOverrides: { release: { deploymentConfig: 'AllAtOnce', maxOrderFailureRatePercent: 0 } },
      }),
    ).toThrow(/release\.maxOrderFailureRatePercent/);
  });
});
