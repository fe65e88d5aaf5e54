import * as fs from 'node:fs';
import * as path from 'node:path';
import { featureFlagsDocument } from '../../functions/core/config/feature-flags';
import { envNames } from '../../functions/core/config/settings';
import type { RouteId } from '../../functions/api/routes';
import type { SagaPlaceholder } from '../../statemachines/order-saga';
import { projectRoot, type OrderFunction } from '../../stacks/constructs/order-function';
import {
  asArray,
  describeEachEnvironment,
  policyStatements,
  resourcesOfType,
  type PolicyStatementJson,
  type SynthesizedApp,
} from './synth-app';
import { allFunctions, environmentOf, logicalIdOf } from './template-helpers';

/** The functions whose handlers read flags: POST /orders (acceptingOrders, maxItemsPerOrder) and CheckRisk. */
const flagReaders: readonly (RouteId | SagaPlaceholder)[] = ['placeOrder', 'CheckRiskFunctionArn'];

/** Every policy statement attached to the function's role, from any policy (default or its own). */
function statementsOf(app: SynthesizedApp, fn: OrderFunction): PolicyStatementJson[] {
  const roleId = logicalIdOf(app, fn.role);
  const attachedToRole = Object.entries(resourcesOfType(app.serviceTemplate, 'AWS::IAM::Policy'))
    .filter(([, policy]) => JSON.stringify(policy.Properties?.Roles) === JSON.stringify([{ Ref: roleId }]))
    .map(([policyId]) => policyId);
  return policyStatements(app.serviceTemplate)
    .filter(({ policyId }) => attachedToRole.includes(policyId))
    .map(({ statement }) => statement);
}

describeEachEnvironment('feature flags', (app, envName) => {
  it('creates one AppConfig application, one environment and one feature-flag profile for the environment', () => {
    const template = app().serviceTemplate;
    template.resourceCountIs('AWS::AppConfig::Application', 1);
    template.resourceCountIs('AWS::AppConfig::Environment', 1);
    template.resourceCountIs('AWS::AppConfig::ConfigurationProfile', 1);
    const applicationId = logicalIdOf(app(), app().service.featureFlags.application);
    template.hasResourceProperties('AWS::AppConfig::Application', { Name: `orders-${envName}` });
    template.hasResourceProperties('AWS::AppConfig::Environment', {
      ApplicationId: { Ref: applicationId },
      Name: envName,
    });
    template.hasResourceProperties('AWS::AppConfig::ConfigurationProfile', {
      ApplicationId: { Ref: applicationId },
      Name: 'feature-flags',
      LocationUri: 'hosted',
      Type: 'AWS.AppConfig.FeatureFlags',
    });
  });

  it('hosts the checked-in flags document as the first version and deploys it with the environment strategy', () => {
    const versions = Object.values(
      resourcesOfType(app().serviceTemplate, 'AWS::AppConfig::HostedConfigurationVersion'),
    );
    expect(versions).toHaveLength(1);
    expect(versions[0]!.Properties?.ContentType).toBe('application/json');
    const checkedIn = JSON.parse(fs.readFileSync(path.join(projectRoot, featureFlagsDocument), 'utf8')) as unknown;
    expect(JSON.parse(versions[0]!.Properties?.Content as string)).toEqual(checkedIn);

    const deployments = Object.values(resourcesOfType(app().serviceTemplate, 'AWS::AppConfig::Deployment'));
    expect(deployments).toHaveLength(1);
    const { featureFlags } = app().service;
    expect(deployments[0]!.Properties).toMatchObject({
      EnvironmentId: { Ref: logicalIdOf(app(), featureFlags.environment) },
      ConfigurationProfileId: app().service.resolve(featureFlags.profile.configurationProfileId),
      DeploymentStrategyId: { Ref: logicalIdOf(app(), featureFlags.deploymentStrategy) },
    });
  });

  it("rolls flags out as the environment's config says, with the saga alarms as rollback triggers", () => {
    const { rollout } = app().config.featureFlags;
    app().serviceTemplate.resourceCountIs('AWS::AppConfig::DeploymentStrategy', 1);
    app().serviceTemplate.hasResourceProperties('AWS::AppConfig::DeploymentStrategy', {
      Name: `orders-${envName}-feature-flags`,
      GrowthType: rollout.growthType,
      GrowthFactor: rollout.growthFactor,
      DeploymentDurationInMinutes: rollout.durationMinutes,
      FinalBakeTimeInMinutes: rollout.finalBakeMinutes,
      ReplicateTo: 'NONE',
    });
    if (envName !== 'dev') {
      // Beyond dev a new flags version reaches instances step by step and is watched before it completes.
      expect(rollout.durationMinutes).toBeGreaterThan(0);
      expect(rollout.finalBakeMinutes).toBeGreaterThan(0);
    }

    const environment = Object.values(resourcesOfType(app().serviceTemplate, 'AWS::AppConfig::Environment'))[0]!;
    const monitors = environment.Properties?.Monitors as { AlarmArn: unknown; AlarmRoleArn: unknown }[];
    const alarmArn = (alarmId: string) => ({
      'Fn::GetAtt': [logicalIdOf(app(), app().service.alarms.alarms.get(alarmId)!), 'Arn'],
    });
    expect(monitors.map((monitor) => monitor.AlarmArn)).toEqual([
      alarmArn('SagaFailed'),
      alarmArn('OrderNeedsAttention'),
    ]);
    // AppConfig's role may only read these alarms.
    const roleId = (monitors[0]!.AlarmRoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    expect(monitors.every((monitor) => JSON.stringify(monitor.AlarmRoleArn).includes(roleId))).toBe(true);
    const role = resourcesOfType(app().serviceTemplate, 'AWS::IAM::Role')[roleId]!;
    expect(JSON.stringify(role.Properties?.AssumeRolePolicyDocument)).toContain('appconfig.amazonaws.com');
    const roleStatements = policyStatements(app().serviceTemplate).filter(({ policyId, statement }) => {
      const policy = resourcesOfType(app().serviceTemplate, 'AWS::IAM::Policy')[policyId];
      return (
        (policyId === roleId || JSON.stringify(policy?.Properties?.Roles) === JSON.stringify([{ Ref: roleId }])) &&
        statement.Effect === 'Allow'
      );
    });
    expect(roleStatements.map(({ statement }) => [asArray(statement.Action), statement.Resource])).toEqual([
      [['cloudwatch:DescribeAlarms'], [alarmArn('SagaFailed'), alarmArn('OrderNeedsAttention')]],
    ]);
  });

  it('lets exactly the flag readers start a session and poll, on this profile in this environment only', () => {
    const { featureFlags } = app().service;
    const configurationArn = app().service.resolve(featureFlags.configurationArn) as unknown;
    expect(JSON.stringify(configurationArn)).toContain(logicalIdOf(app(), featureFlags.environment));
    expect(JSON.stringify(configurationArn)).toContain(
      JSON.stringify(app().service.resolve(featureFlags.profile.configurationProfileId)),
    );
    for (const [name, fn] of allFunctions(app())) {
      const appConfigStatements = statementsOf(app(), fn).filter((statement) =>
        asArray(statement.Action).some((action) => action.startsWith('appconfig:')),
      );
      const flagVariables = Object.keys(environmentOf(app(), fn)).filter((variable) =>
        variable.startsWith('FEATURE_FLAGS_'),
      );
      if (!flagReaders.includes(name as RouteId | SagaPlaceholder)) {
        expect({ name, appConfigStatements, flagVariables }).toEqual({
          name,
          appConfigStatements: [],
          flagVariables: [],
        });
        continue;
      }
      expect({ name, statements: appConfigStatements }).toEqual({
        name,
        statements: [
          {
            Effect: 'Allow',
            Action: ['appconfig:StartConfigurationSession', 'appconfig:GetLatestConfiguration'],
            Resource: configurationArn,
          },
        ],
      });
      expect(environmentOf(app(), fn)).toMatchObject({
        [envNames.featureFlags.application]: `orders-${envName}`,
        [envNames.featureFlags.environment]: envName,
        [envNames.featureFlags.profile]: 'feature-flags',
        [envNames.featureFlags.maxAgeSeconds]: String(app().config.featureFlags.maxAgeSeconds),
      });
      expect(environmentOf(app(), fn)).not.toHaveProperty(envNames.featureFlags.file);
    }
  });
});
