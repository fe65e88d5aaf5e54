import type { CfnElement, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { routeList } from '../../functions/api/routes';
import { envNames } from '../../functions/core/config/settings';
import { activeRegionMarker } from '../../stacks/constructs/api-custom-domain';
import { describeEachEnvironment, policyStatements, resourcesOfType, synthApp, cdkJsonContext } from './synth-app';
import type { Properties } from './template-helpers';

/**
 * The standby region (docs/deploy.md, "Regions"): per replica region a StandbyData stack and the same service stack
 * standing by on the table's replica, the payment secrets replicated there, the identity that survives the primary's
 * loss (the mirror job in the primary, the Lambda authorizer in the standby), the replication-latency alarms, and,
 * with a failover domain, the Route 53 failover records and their health checks.
 */
const logicalId = (stack: Stack, construct: IConstruct) =>
  stack.getLogicalId(construct.node.defaultChild as CfnElement);
const functionsOf = (template: Template) => resourcesOfType(template, 'AWS::Lambda::Function');
const variablesOf = (resource: { Properties?: Properties }) =>
  (resource.Properties?.Environment as { Variables: Record<string, unknown> } | undefined)?.Variables ?? {};

describeEachEnvironment('standby region', (app, envName) => {
  const replicaRegions = () => app().config.replicaRegions;
  const standby = () => app().standbys[0]!;
  const standbyTemplate = () => app().standbyTemplates.get(replicaRegions()[0]!)!;

  if (envName === 'dev') {
    it('has no standby where the environment has no replica region', () => {
      expect(app().standbys).toEqual([]);
      expect(app().standbyData).toEqual([]);
    });
    return;
  }

  it('deploys a standby data stack and a standby service in each replica region, after the data stack', () => {
    expect(app().standbys.map((stack) => [stack.stackName, stack.region])).toEqual(
      replicaRegions().map((region) => [`Orders-${envName}-Standby-${region}`, region]),
    );
    expect(app().standbyData.map((stack) => stack.stackName)).toEqual(
      replicaRegions().map((region) => `Orders-${envName}-StandbyData-${region}`),
    );
    const dependencies = (stack: Stack) => stack.dependencies.map((dependency) => dependency.stackName);
    expect(dependencies(app().standbyData[0]!)).toEqual(
      expect.arrayContaining([app().data.stackName, app().replicaKeys[0]!.stackName]),
    );
    expect(dependencies(standby())).toEqual(expect.arrayContaining([app().standbyData[0]!.stackName]));
  });

  it('runs the same route, saga task and job functions and the same state machines as the primary', () => {
    const handlersOf = (service: typeof standby extends () => infer S ? S : never) =>
      [...service.routeFunctions.values(), ...service.sagaFunctions.values(), ...service.jobFunctions.values()]
        .map((fn) => fn.handlerModule)
        .sort();
    expect(handlersOf(standby())).toEqual(handlersOf(app().service));
    expect([...standby().stateMachines.keys()]).toEqual([...app().service.stateMachines.keys()]);
    expect(Object.keys(resourcesOfType(standbyTemplate(), 'AWS::StepFunctions::StateMachine')).length).toBe(
      app().service.stateMachines.size,
    );
  });

  it('fences the writes of every function in both regions', () => {
    for (const template of [app().serviceTemplate, standbyTemplate()]) {
      const fenced = Object.values(functionsOf(template))
        .map(variablesOf)
        .filter((variables) => envNames.table.tableName in variables);
      expect(fenced.length).toBeGreaterThan(0);
      for (const variables of fenced) {
        expect(variables).toMatchObject({
          [envNames.regions.primaryRegion]: app().config.primaryRegion,
          [envNames.regions.standbyRegions]: replicaRegions().join(','),
        });
      }
    }
  });

  it('points every standby function at the replica (same table name) and its own idempotency table', () => {
    const tableNames = new Set<unknown>();
    const idempotencyTables = new Set<unknown>();
    for (const fn of Object.values(functionsOf(standbyTemplate()))) {
      const variables = variablesOf(fn);
      if (envNames.table.tableName in variables) tableNames.add(JSON.stringify(variables[envNames.table.tableName]));
      if (envNames.idempotency.tableName in variables) {
        idempotencyTables.add(JSON.stringify(variables[envNames.idempotency.tableName]));
      }
    }
    expect([...tableNames]).toEqual([JSON.stringify(`orders-${envName}`)]);
    expect([...idempotencyTables]).toHaveLength(1);
    expect([...idempotencyTables][0]).toMatch(/Orders-\w+-StandbyData-us-west-2.*IdempotencyTable/);
  });

  it('replicates the payment secrets to every replica region, and the standby reads them by name', () => {
    const secrets = Object.values(resourcesOfType(app().dataTemplate, 'AWS::SecretsManager::Secret'));
    expect(secrets.map((secret) => secret.Properties?.ReplicaRegions)).toEqual(
      secrets.map(() => replicaRegions().map((region) => ({ Region: region }))),
    );
    const secretIds = new Set<unknown>();
    for (const fn of Object.values(functionsOf(standbyTemplate()))) {
      const variables = variablesOf(fn);
      for (const name of [envNames.payment.apiKeySecretArn, envNames.paymentWebhooks.signingSecretArn]) {
        if (name in variables) secretIds.add(variables[name]);
      }
    }
    expect([...secretIds].sort()).toEqual(
      [app().config.payment.apiKeySecretName, app().config.payment.webhookSecretName].sort(),
    );
  });

  it('verifies tokens in the standby with the Lambda authorizer on every authenticated method', () => {
    const authorizers = Object.values(resourcesOfType(standbyTemplate(), 'AWS::ApiGateway::Authorizer'));
    expect(authorizers.map((authorizer) => authorizer.Properties)).toEqual([
      expect.objectContaining({
        Type: 'REQUEST',
        IdentitySource: 'method.request.header.Authorization',
        AuthorizerResultTtlInSeconds: 0,
      }),
    ]);
    const authorizerId = Object.keys(resourcesOfType(standbyTemplate(), 'AWS::ApiGateway::Authorizer'))[0];
    const methods = Object.values(resourcesOfType(standbyTemplate(), 'AWS::ApiGateway::Method')).filter(
      (method) => method.Properties?.HttpMethod !== 'OPTIONS',
    );
    const authenticated = routeList.filter((route) => route.access !== 'public').length;
    const custom = methods.filter((method) => method.Properties?.AuthorizationType === 'CUSTOM');
    expect(custom).toHaveLength(authenticated);
    for (const method of custom) expect(method.Properties?.AuthorizerId).toEqual({ Ref: authorizerId });
    expect(methods.filter((method) => method.Properties?.AuthorizationType === 'COGNITO_USER_POOLS')).toEqual([]);
    // It may read the mirrored signing keys' partition, nothing else of the table.
    const authorizerFunction = standby().standbyAuthorizer!;
    const policyId = logicalId(standby(), authorizerFunction.role.node.findChild('DefaultPolicy'));
    const tableStatements = policyStatements(standbyTemplate())
      .filter((entry) => entry.policyId === policyId)
      .map(({ statement }) => statement)
      .filter((statement) => JSON.stringify(statement.Action).includes('dynamodb:'));
    expect(tableStatements).toEqual([
      expect.objectContaining({
        Action: 'dynamodb:GetItem',
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['IDENTITY'] } },
      }),
    ]);
  });

  it("keeps the primary's Cognito authorizer and scopes, and mirrors the pool's signing keys there hourly", () => {
    const authorizers = Object.values(resourcesOfType(app().serviceTemplate, 'AWS::ApiGateway::Authorizer'));
    expect(authorizers.map((authorizer) => authorizer.Properties?.Type)).toEqual(['COGNITO_USER_POOLS']);
    const mirror = app().service.identityMirror!;
    const fn = functionsOf(app().serviceTemplate)[logicalId(app().service, mirror.function.function)]!;
    expect(variablesOf(fn)[envNames.identity.userPoolId]).toEqual(
      expect.objectContaining({ 'Fn::ImportValue': expect.any(String) }),
    );
    const rule = resourcesOfType(app().serviceTemplate, 'AWS::Events::Rule')[
      logicalId(app().service, mirror.schedule)
    ]!;
    expect(rule.Properties).toMatchObject({ ScheduleExpression: 'rate(1 hour)', State: 'ENABLED' });
    const policyId = logicalId(app().service, mirror.function.role.node.findChild('DefaultPolicy'));
    const writes = policyStatements(app().serviceTemplate)
      .filter((entry) => entry.policyId === policyId)
      .map(({ statement }) => statement)
      .filter((statement) => JSON.stringify(statement.Action).includes('dynamodb:'));
    expect(writes).toEqual([
      expect.objectContaining({
        Action: 'dynamodb:PutItem',
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['IDENTITY'] } },
      }),
      // The write fence reads the region role first.
      expect.objectContaining({
        Action: 'dynamodb:GetItem',
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['REGION'] } },
      }),
    ]);
    expect(standby().identityMirror).toBeUndefined();
  });

  it("runs the standby outbox relay (it publishes only its own region's events), reading the replica stream found at deploy time", () => {
    // The schedules run in both regions: the writing jobs skip while their region is a standby.
    const states = Object.values(resourcesOfType(standbyTemplate(), 'AWS::Events::Rule'))
      .filter((rule) => rule.Properties?.ScheduleExpression !== undefined)
      .map((rule) => rule.Properties?.State);
    expect(new Set(states)).toEqual(new Set(['ENABLED']));
    const mappingId = logicalId(standby(), standby().outboxRelay.eventSourceMapping);
    const mapping = resourcesOfType(standbyTemplate(), 'AWS::Lambda::EventSourceMapping')[mappingId]!;
    expect(mapping.Properties?.Enabled).toBe(true);
    expect(JSON.stringify(mapping.Properties?.EventSourceArn)).toMatch(/StandbyData.*ReplicaStream.*LatestStreamArn/);
    const primaryMapping = resourcesOfType(app().serviceTemplate, 'AWS::Lambda::EventSourceMapping')[
      logicalId(app().service, app().service.outboxRelay.eventSourceMapping)
    ]!;
    expect(primaryMapping.Properties?.Enabled).toBe(true);
    const lookups = Object.values(
      app().standbyDataTemplates.get(replicaRegions()[0]!)!.findResources('Custom::AWS'),
    ).map((resource) => JSON.stringify(resource.Properties?.Update));
    expect(lookups.filter((call) => call.includes('describeTable') && call.includes('LatestStreamArn'))).toHaveLength(
      1,
    );
  });

  it("gives the standby the client apps' API keys with the primary keys' values, in usage plans of the same tiers", () => {
    const dataTemplate = app().standbyDataTemplates.get(replicaRegions()[0]!)!;
    const keys = Object.values(resourcesOfType(dataTemplate, 'AWS::ApiGateway::ApiKey'));
    expect(keys).toHaveLength(Object.keys(app().config.api.clientApps).length);
    for (const key of keys) {
      expect(key.Properties?.Value).toEqual({
        'Fn::GetAtt': [expect.stringMatching(/^PrimaryApiKey/), 'items.0.value'],
      });
    }
    const plans = Object.values(resourcesOfType(standbyTemplate(), 'AWS::ApiGateway::UsagePlan'));
    expect(plans.map((plan) => plan.Properties?.UsagePlanName).sort()).toEqual(
      Object.keys(app().config.api.usagePlans)
        .map((plan) => `orders-${envName}-${replicaRegions()[0]}-${plan}`)
        .sort(),
    );
  });

  it('names the standby resources after its region, and keeps the once-per-environment parts in the primary', () => {
    const [bus] = Object.values(resourcesOfType(standbyTemplate(), 'AWS::Events::EventBus'));
    expect(bus!.Properties?.Name).toBe(`orders-${envName}-${replicaRegions()[0]}`);
    for (const type of ['AWS::Budgets::Budget', 'AWS::FIS::ExperimentTemplate']) {
      expect(Object.keys(resourcesOfType(standbyTemplate(), type))).toEqual([]);
    }
    if (app().config.chaos) {
      const actions = Object.values(resourcesOfType(app().serviceTemplate, 'AWS::FIS::ExperimentTemplate')).map(
        (template) => JSON.stringify(template.Properties?.Actions),
      );
      expect(actions.filter((action) => action.includes('aws:dynamodb:global-table-pause-replication'))).toHaveLength(
        1,
      );
    }
  });

  it('pages when replication lags a minute for five minutes, in each region towards the others', () => {
    const lagAlarms = (template: Template) =>
      Object.values(resourcesOfType(template, 'AWS::CloudWatch::Alarm'))
        .map((alarm) => alarm.Properties!)
        .filter((alarm) => alarm.MetricName === 'ReplicationLatency');
    const primary = lagAlarms(app().serviceTemplate);
    expect(primary).toEqual(
      replicaRegions().map(() =>
        expect.objectContaining({
          Namespace: 'AWS/DynamoDB',
          Threshold: 60_000,
          EvaluationPeriods: 5,
          Period: 60,
          AlarmDescription: expect.stringContaining('docs/runbooks/regional-failover.md'),
        }),
      ),
    );
    const receiving = (alarms: Properties[]) =>
      alarms.map(
        (alarm) =>
          (alarm.Dimensions as { Name: string; Value: unknown }[]).find((d) => d.Name === 'ReceivingRegion')?.Value,
      );
    expect(receiving(primary)).toEqual(replicaRegions());
    expect(receiving(lagAlarms(standbyTemplate()))).toEqual([app().config.primaryRegion]);
  });
});

describe('failover records', () => {
  const certificate = (region: string, suffix: string) =>
    `arn:aws:acm:${region}:123456789012:certificate/12345678-1234-1234-1234-12345678901${suffix}`;
  const prodApi = () => (cdkJsonContext().environments as Record<string, { api: Record<string, unknown> }>).prod!.api;
  const domain = (failover: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    api: {
      ...prodApi(),
      customDomain: {
        domainName: 'api.shop.example.com',
        certificateArn: certificate('us-east-1', '0'),
        hostedZoneId: 'Z0123ABC',
        failover,
        ...extra,
      },
    },
  });
  const withFailover = () =>
    synthApp('prod', {
      configOverrides: domain({ replicaCertificateArns: { 'us-west-2': certificate('us-west-2', '1') } }),
    });

  it('pairs a PRIMARY and a SECONDARY alias record, each with a health check on its own region', () => {
    const app = withFailover();
    const checks: Record<string, unknown>[] = [];
    for (const [template, failover, region] of [
      [app.serviceTemplate, 'PRIMARY', 'us-east-1'],
      [app.standbyTemplates.get('us-west-2')!, 'SECONDARY', 'us-west-2'],
    ] as const) {
      const healthChecks = Object.entries(resourcesOfType(template, 'AWS::Route53::HealthCheck'));
      expect(healthChecks).toHaveLength(1);
      const [checkId, check] = healthChecks[0]!;
      const config = check.Properties?.HealthCheckConfig as Record<string, unknown>;
      expect(config).toMatchObject({
        Type: 'HTTPS_STR_MATCH',
        SearchString: activeRegionMarker,
        ResourcePath: '/v1/health/ready',
        Port: 443,
        EnableSNI: true,
      });
      // The region's own execute-api endpoint, never the shared name (which would follow the failover itself).
      const fqdn = JSON.stringify(config.FullyQualifiedDomainName);
      expect(fqdn).toContain(`.execute-api.${region}.`);
      expect(fqdn).not.toContain('api.shop.example.com');
      checks.push(config);
      const records = Object.values(resourcesOfType(template, 'AWS::Route53::RecordSet')).map((r) => r.Properties);
      expect(records).toEqual([
        expect.objectContaining({
          Name: 'api.shop.example.com.',
          Type: 'A',
          Failover: failover,
          HostedZoneId: 'Z0123ABC',
          HealthCheckId: { 'Fn::GetAtt': [checkId, 'HealthCheckId'] },
        }),
      ]);
      expect(template.findOutputs('HealthCheckId')).not.toEqual({});
      expect(template.findOutputs('FailoverHostname')).not.toEqual({});
      // The health checks need the execute-api endpoint of each region.
      const [api] = Object.values(resourcesOfType(template, 'AWS::ApiGateway::RestApi'));
      expect(api!.Properties?.DisableExecuteApiEndpoint).toBeUndefined();
    }
    expect(checks).toHaveLength(2);
  });

  it('refuses failover without a hosted zone, with mTLS, or without a certificate in the standby region', () => {
    const replicaCertificateArns = { 'us-west-2': certificate('us-west-2', '1') };
    expect(() =>
      synthApp('prod', { configOverrides: domain({ replicaCertificateArns }, { hostedZoneId: undefined }) }),
    ).toThrow(/failover needs api.customDomain.hostedZoneId/);
    expect(() =>
      synthApp('prod', {
        configOverrides: domain({ replicaCertificateArns }, { mtlsTruststoreUri: 's3://truststore/ca.pem' }),
      }),
    ).toThrow(/cannot be combined with mtlsTruststoreUri/);
    expect(() => synthApp('prod', { configOverrides: domain({ replicaCertificateArns: {} }) })).toThrow(
      /no certificate for us-west-2/,
    );
    expect(() =>
      synthApp('prod', {
        configOverrides: domain({ replicaCertificateArns: { 'us-west-2': certificate('us-east-1', '1') } }),
      }),
    ).toThrow(/us-west-2 is a certificate of us-east-1/);
  });
});
