import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../bin/environment-config';
import { featureFlagsDocument } from '../../functions/core/config/feature-flags';
import { projectRoot } from './order-function';

export interface FeatureFlagsProps {
  readonly envName: string;
  readonly config: EnvironmentConfig;
  /**
   * Alarms AppConfig watches while a new version of the flags rolls out and during its bake time: if one fires, the
   * deployment rolls back to the previous version by itself.
   */
  readonly rollbackAlarms: readonly cloudwatch.IAlarm[];
}

/**
 * The environment's runtime feature flags in AWS AppConfig: an application (`orders-<env>`), one AppConfig
 * environment named after the deployment environment, a feature-flag configuration profile whose first version is
 * the checked-in document (functions/core/config/feature-flags.json, also the offline flags), and the rollout
 * strategy cdk.json declares for this environment. Functions read it through OrderFunction.useFeatureFlags.
 *
 * Operators change flags with a new hosted version and a deployment (README, "Feature flags"); CloudFormation only
 * deploys a new version when the checked-in document changes.
 */
export class FeatureFlags extends Construct {
  readonly application: appconfig.Application;
  readonly environment: appconfig.Environment;
  readonly profile: appconfig.HostedConfiguration;
  readonly deploymentStrategy: appconfig.DeploymentStrategy;
  /** The names functions pass to StartConfigurationSession (names, unlike ids, are known before deployment). */
  readonly applicationName: string;
  readonly environmentName: string;
  readonly profileName = 'feature-flags';
  /** How long function instances cache the flags, in seconds. */
  readonly maxAgeSeconds: number;

  constructor(scope: Construct, id: string, props: FeatureFlagsProps) {
    super(scope, id);
    const { envName, config } = props;
    const { rollout } = config.featureFlags;
    this.maxAgeSeconds = config.featureFlags.maxAgeSeconds;
    this.applicationName = `orders-${envName}`;
    this.environmentName = envName;
    // An environment whose data is kept also keeps AppConfig's guard against deleting a profile still being polled.
    const deletionProtectionCheck = config.retainData
      ? appconfig.DeletionProtectionCheck.APPLY
      : appconfig.DeletionProtectionCheck.ACCOUNT_DEFAULT;

    this.application = new appconfig.Application(this, 'Application', {
      applicationName: this.applicationName,
      description: `Runtime feature flags of the orders service (${envName})`,
    });

    const strategyProps = {
      growthFactor: rollout.growthFactor,
      deploymentDuration: Duration.minutes(rollout.durationMinutes),
      finalBakeTime: Duration.minutes(rollout.finalBakeMinutes),
    };
    this.deploymentStrategy = new appconfig.DeploymentStrategy(this, 'Rollout', {
      deploymentStrategyName: `orders-${envName}-feature-flags`,
      description: `${rollout.growthType} ${rollout.growthFactor} over ${rollout.durationMinutes} min, then ${rollout.finalBakeMinutes} min bake`,
      rolloutStrategy:
        rollout.growthType === 'LINEAR'
          ? appconfig.RolloutStrategy.linear(strategyProps)
          : appconfig.RolloutStrategy.exponential(strategyProps),
    });

    // AppConfig reads the alarms' state through a role; this one may describe these alarms and nothing else
    // (the construct's default role would be allowed cloudwatch:DescribeAlarms on every alarm).
    const alarmRole = new iam.Role(this, 'RollbackAlarmRole', {
      assumedBy: new iam.ServicePrincipal('appconfig.amazonaws.com'),
      description: `Lets AppConfig read the alarms that roll back a feature-flag deployment (orders-${envName})`,
    });
    alarmRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:DescribeAlarms'],
        resources: props.rollbackAlarms.map((alarm) => alarm.alarmArn),
      }),
    );

    this.environment = new appconfig.Environment(this, 'Environment', {
      application: this.application,
      environmentName: this.environmentName,
      description: `The ${envName} deployment of the orders service`,
      monitors: props.rollbackAlarms.map((alarm) => appconfig.Monitor.fromCloudWatchAlarm(alarm, alarmRole)),
      deletionProtectionCheck,
    });

    this.profile = new appconfig.HostedConfiguration(this, 'Profile', {
      application: this.application,
      name: this.profileName,
      description: 'acceptingOrders, maxItemsPerOrder, riskCheck (functions/core/config/feature-flags.json)',
      type: appconfig.ConfigurationType.FEATURE_FLAGS,
      content: appconfig.ConfigurationContent.fromFile(
        path.join(projectRoot, featureFlagsDocument),
        'application/json',
      ),
      deploymentStrategy: this.deploymentStrategy,
      deployTo: [this.environment],
      deletionProtectionCheck,
    });
  }

  /** The one resource a reader needs: this profile in this environment (StartConfigurationSession, GetLatest...). */
  get configurationArn(): string {
    return `${this.environment.environmentArn}/configuration/${this.profile.configurationProfileId}`;
  }
}
