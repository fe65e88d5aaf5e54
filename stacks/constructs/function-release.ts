import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { OperatorAlarms } from './operator-alarms';
import type { OrderFunction } from './order-function';

/**
 * What rolls a release back, per function. Alarms watch one-minute periods and fire on two in a row, so a canary
 * (five minutes at 10% for Canary10Percent5Minutes) has time to trip them before traffic shifts any further.
 */
export const releaseAlarmSettings = {
  period: Duration.minutes(1),
  evaluationPeriods: 2,
  /** Fewer failures than this in a minute are noise (one bad request), whatever share of the traffic they are. */
  minimumFailures: 3,
  /** Share of the function's requests (or an API route's answers) that failed. */
  maxFailurePercent: 5,
  /** The p99 duration that rolls back, unless the caller sets one: half the timeout, so well before timeouts. */
  defaultLatencyShareOfTimeout: 0.5,
} as const;

/** How a function's new versions reach its `live` alias (OrderFunction.releaseGradually). */
export interface GradualReleaseProps {
  readonly application: codedeploy.ILambdaApplication;
  readonly deploymentConfig: codedeploy.ILambdaDeploymentConfig;
  /** The function's own error and latency alarms are added here, so they page like every other alarm. */
  readonly alarms: OperatorAlarms;
  /**
   * What counts as the function failing. By default its invocation errors out of its invocations; an API route
   * passes its 5xx answers out of its requests instead, because the handlers turn every fault into a 500 answer
   * and so never fail an invocation.
   */
  readonly failures?: { readonly errors: cloudwatch.IMetric; readonly requests: cloudwatch.IMetric };
  /**
   * Errors the function throws as a business outcome rather than a fault (a stock-out, a decline, a risk
   * rejection): the saga catches them and fails the order with that reason. Subtracted from the errors.
   */
  readonly expectedErrors?: cloudwatch.IMetric;
  /** @default half the function's timeout */
  readonly latencyThreshold?: Duration;
  /** Alarms that roll this function's release back besides its own two: the order failure rate. */
  readonly rollbackAlarms: readonly cloudwatch.IAlarm[];
}

/**
 * Puts the `live` alias under CodeDeploy: a new version takes traffic as `deploymentConfig` says, and CodeDeploy
 * rolls back to the previous version when the deployment fails, is stopped, or any of its alarms fires meanwhile:
 * the function's failure rate, its p99 duration and `rollbackAlarms`. Callers must invoke the alias (never the
 * function itself, which is $LATEST) for a canary to shift anything.
 */
export function createRelease(fn: OrderFunction, props: GradualReleaseProps): codedeploy.LambdaDeploymentGroup {
  const settings = releaseAlarmSettings;
  const name = fn.node.id;
  const failures = props.failures ?? {
    errors: fn.alias.metricErrors(),
    requests: fn.alias.metricInvocations(),
  };
  const usingMetrics: Record<string, cloudwatch.IMetric> = { errors: failures.errors, requests: failures.requests };
  let faults = 'FILL(errors, 0)';
  if (props.expectedErrors) {
    usingMetrics.expected = props.expectedErrors;
    faults = 'FILL(errors, 0) - FILL(expected, 0)';
  }
  const errorRate = props.alarms.add(`${name}ErrorRate`, {
    metric: new cloudwatch.MathExpression({
      expression: `IF((${faults}) >= ${settings.minimumFailures}, 100 * (${faults}) / requests, 0)`,
      usingMetrics,
      period: settings.period,
      label: `${name} failures (%)`,
    }),
    threshold: settings.maxFailurePercent,
    evaluationPeriods: settings.evaluationPeriods,
    summary:
      `${name} (${fn.handlerModule}) failed ${settings.maxFailurePercent}% or more of its ` +
      `${props.failures ? 'requests' : 'invocations'} (at least ${settings.minimumFailures} a minute) for ` +
      `${settings.evaluationPeriods} minutes; during a release CodeDeploy rolls it back.`,
    runbook: 'functionErrors',
    severity: 'ticket',
  });
  const latencyThreshold =
    props.latencyThreshold ?? Duration.millis(fn.timeout.toMilliseconds() * settings.defaultLatencyShareOfTimeout);
  const latency = props.alarms.add(`${name}LatencyP99`, {
    metric: fn.alias.metricDuration({ statistic: cloudwatch.Stats.p(99), period: settings.period }),
    threshold: latencyThreshold.toMilliseconds(),
    evaluationPeriods: settings.evaluationPeriods,
    summary:
      `${name} (${fn.handlerModule}) took ${latencyThreshold.toMilliseconds()} ms or more at p99 for ` +
      `${settings.evaluationPeriods} minutes (timeout ${fn.timeout.toSeconds()} s); during a release CodeDeploy ` +
      'rolls it back.',
    runbook: 'functionLatency',
    severity: 'ticket',
  });
  const alarms = [errorRate, latency, ...props.rollbackAlarms];

  // The managed AWSCodeDeployRoleForLambdaLimited allows these actions on every alias and alarm of the account;
  // this role allows them on this function's alias and alarms only. Built from the function's ARN, not the
  // alias's Ref: the alias waits for the deployment group (its update policy names it), which waits for this role.
  const role = new iam.Role(fn, 'ReleaseRole', {
    assumedBy: new iam.ServicePrincipal('codedeploy.amazonaws.com'),
    description: `CodeDeploy: shifts the ${fn.alias.aliasName} alias of ${fn.handlerModule}`,
    inlinePolicies: {
      ShiftLiveAlias: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({
            actions: ['lambda:GetAlias', 'lambda:UpdateAlias', 'lambda:GetProvisionedConcurrencyConfig'],
            resources: [fn.function.functionArn, `${fn.function.functionArn}:${fn.alias.aliasName}`],
          }),
          new iam.PolicyStatement({
            actions: ['cloudwatch:DescribeAlarms'],
            resources: alarms.map((alarm) => alarm.alarmArn),
          }),
        ],
      }),
    },
  });
  return new codedeploy.LambdaDeploymentGroup(fn, 'Release', {
    application: props.application,
    deploymentGroupName: name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase(),
    alias: fn.alias,
    deploymentConfig: props.deploymentConfig,
    // Immutable, so the deployment group cannot attach the managed policy to it.
    role: role.withoutPolicyUpdates(),
    alarms,
    autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
  });
}
