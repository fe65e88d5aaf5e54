import { Duration, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
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

/** The synthetic-request and alarm checks CodeDeploy runs around each traffic shift (release-hooks.ts). */
export interface ReleaseHooks {
  readonly preTraffic: lambda.IFunction;
  readonly postTraffic: lambda.IFunction;
}

/** How a function's new versions reach its `live` alias (OrderFunction.releaseGradually). */
export interface GradualReleaseProps {
  readonly application: codedeploy.ILambdaApplication;
  readonly deploymentConfig: codedeploy.ILambdaDeploymentConfig;
  /** The function's own error and latency alarms are added here, so they page like every other alarm. */
  readonly alarms: OperatorAlarms;
  /**
   * An API route's 5xx answers out of its requests: the handlers turn every fault into a 500 answer and so never
   * fail an invocation. API Gateway cannot tell versions apart, so this rate mixes old and new traffic; it rolls back
   * besides the new version's own invocation errors, never instead of them.
   */
  readonly answers?: { readonly errors: cloudwatch.IMetric; readonly requests: cloudwatch.IMetric };
  /**
   * Errors the function throws as a business outcome rather than a fault (a stock-out, a decline, a risk
   * rejection): the saga catches them and fails the order with that reason. Subtracted from the errors.
   */
  readonly expectedErrors?: cloudwatch.IMetric;
  /** @default half the function's timeout */
  readonly latencyThreshold?: Duration;
  /** Alarms that roll this function's release back besides its own (a job's failed run). */
  readonly rollbackAlarms: readonly cloudwatch.IAlarm[];
  /** Run before any traffic reaches the new version, and after all of it has. */
  readonly hooks: ReleaseHooks;
}

/**
 * A Lambda metric of the version that the `live` alias executed: FunctionName, Resource `<function>:live` and
 * ExecutedVersion. During a canary the new version's own series, so the old version's traffic cannot dilute it.
 * `currentVersion.version` is the Version resource's GetAtt: each deploy points the alarm at the version it ships.
 */
export function executedVersionMetric(
  fn: OrderFunction,
  metricName: 'Invocations' | 'Errors' | 'Throttles' | 'Duration',
  statistic: string,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/Lambda',
    metricName,
    dimensionsMap: {
      FunctionName: fn.function.functionName,
      Resource: `${fn.function.functionName}:${fn.alias.aliasName}`,
      ExecutedVersion: fn.function.currentVersion.version,
    },
    statistic,
    period: releaseAlarmSettings.period,
  });
}

/**
 * Puts the `live` alias under CodeDeploy: a new version takes traffic as `deploymentConfig` says, after the
 * pre-traffic hook has exercised it, and CodeDeploy rolls back to the previous version when the deployment fails
 * (a hook reports Failed), is stopped, or any of its alarms fires meanwhile: the new version's failure rate and p99
 * duration, a route's 5xx answers and `rollbackAlarms`. Callers must invoke the alias (never the function itself,
 * which is $LATEST) for a canary to shift anything.
 */
export function createRelease(fn: OrderFunction, props: GradualReleaseProps): codedeploy.LambdaDeploymentGroup {
  const settings = releaseAlarmSettings;
  const name = fn.node.id;
  // In the function's own stack: its deployment group names these alarms, and the alarms watch the function.
  const alarmScope = Stack.of(fn) === Stack.of(props.alarms) ? props.alarms : new Construct(fn, 'Alarms');
  const invocations = executedVersionMetric(fn, 'Invocations', cloudwatch.Stats.SUM);
  const usingMetrics: Record<string, cloudwatch.IMetric> = {
    errors: executedVersionMetric(fn, 'Errors', cloudwatch.Stats.SUM),
    throttles: executedVersionMetric(fn, 'Throttles', cloudwatch.Stats.SUM),
    requests: invocations,
  };
  let faults = 'FILL(errors, 0) + FILL(throttles, 0)';
  if (props.expectedErrors) {
    // The business outcomes are counted for the whole service, not per version: the new version's share of them is
    // estimated by its share of the alias's invocations (the alias routes each invocation by weight, at random).
    usingMetrics.expected = props.expectedErrors;
    usingMetrics.all = fn.alias.metricInvocations({ period: settings.period, statistic: cloudwatch.Stats.SUM });
    faults = `${faults} - FILL(expected, 0) * requests / all`;
  }
  const rate = (label: string, failures: string, metrics: Record<string, cloudwatch.IMetric>) =>
    new cloudwatch.MathExpression({
      expression: `IF((${failures}) >= ${settings.minimumFailures}, 100 * (${failures}) / requests, 0)`,
      usingMetrics: metrics,
      period: settings.period,
      label,
    });
  const rollbackRule =
    `(at least ${settings.minimumFailures} a minute) for ${settings.evaluationPeriods} minutes; during a release ` +
    'CodeDeploy rolls it back.';
  const own = [
    props.alarms.add(
      `${name}ErrorRate`,
      {
        metric: rate(`${name} new version failures (%)`, faults, usingMetrics),
        threshold: settings.maxFailurePercent,
        evaluationPeriods: settings.evaluationPeriods,
        summary:
          `The version of ${name} (${fn.handlerModule}) that the live alias runs failed or was throttled on ` +
          `${settings.maxFailurePercent}% or more of its invocations ${rollbackRule}`,
        runbook: 'functionErrors',
        severity: 'ticket',
      },
      alarmScope,
    ),
  ];
  if (props.answers) {
    own.push(
      props.alarms.add(
        `${name}AnswerErrorRate`,
        {
          metric: rate(`${name} 5xx answers (%)`, 'FILL(errors, 0)', { ...props.answers }),
          threshold: settings.maxFailurePercent,
          evaluationPeriods: settings.evaluationPeriods,
          summary:
            `${name} (${fn.handlerModule}) answered ${settings.maxFailurePercent}% or more of its requests with a 5xx ` +
            rollbackRule,
          runbook: 'functionErrors',
          severity: 'ticket',
        },
        alarmScope,
      ),
    );
  }
  const latencyThreshold =
    props.latencyThreshold ?? Duration.millis(fn.timeout.toMilliseconds() * settings.defaultLatencyShareOfTimeout);
  own.push(
    props.alarms.add(
      `${name}LatencyP99`,
      {
        metric: executedVersionMetric(fn, 'Duration', cloudwatch.Stats.p(99)),
        threshold: latencyThreshold.toMilliseconds(),
        evaluationPeriods: settings.evaluationPeriods,
        summary:
          `The version of ${name} (${fn.handlerModule}) that the live alias runs took ` +
          `${latencyThreshold.toMilliseconds()} ms or more at p99 for ${settings.evaluationPeriods} minutes (timeout ` +
          `${fn.timeout.toSeconds()} s); during a release CodeDeploy rolls it back.`,
        runbook: 'functionLatency',
        severity: 'ticket',
      },
      alarmScope,
    ),
  );
  const alarms = [...own, ...props.rollbackAlarms];
  const { preTraffic, postTraffic } = props.hooks;

  // The managed AWSCodeDeployRoleForLambdaLimited allows these actions on every alias and alarm of the account, and
  // invoking hooks only if their names start with CodeDeployHook_; this role allows them on this function's alias,
  // its alarms and its two hooks only. Built from the function's ARN, not the alias's Ref: the alias waits for the
  // deployment group (its update policy names it), which waits for this role.
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
          new iam.PolicyStatement({
            actions: ['lambda:InvokeFunction'],
            resources: [preTraffic.functionArn, postTraffic.functionArn],
          }),
        ],
      }),
    },
  });
  const group = new codedeploy.LambdaDeploymentGroup(fn, 'Release', {
    application: props.application,
    deploymentGroupName: releaseGroupName(fn),
    alias: fn.alias,
    deploymentConfig: props.deploymentConfig,
    // Immutable, so the deployment group cannot attach the managed policy to it.
    role: role.withoutPolicyUpdates(),
    alarms,
    autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
  });
  // The hooks go into the alias's update policy here rather than through the group's preHook/postHook: those also
  // grant each hook the lifecycle-status action on the group by its Ref, and a hook serves many groups whose
  // aliases all wait for it, which closes a cycle. The hooks hold that grant by the groups' ARNs as written
  // (release-hooks.ts), and this group's role may invoke them (above).
  const alias = fn.alias.node.defaultChild as lambda.CfnAlias;
  const update = alias.cfnOptions.updatePolicy?.codeDeployLambdaAliasUpdate;
  if (!update) throw new Error(`${fn.node.path}: the deployment group set no alias update policy`);
  alias.cfnOptions.updatePolicy = {
    codeDeployLambdaAliasUpdate: {
      ...update,
      beforeAllowTrafficHook: preTraffic.functionName,
      afterAllowTrafficHook: postTraffic.functionName,
    },
  };
  // CloudFormation hands the alias update to CodeDeploy, which calls the hooks at once: they (and the grants they
  // run with) must be in place first.
  // On the function resources alone: their other children (a version, an alias) would close cycles.
  for (const hook of [preTraffic, postTraffic]) fn.alias.node.addDependency(hook.node.defaultChild ?? hook);
  return group;
}

/** The deployment group's name: the function's construct id in kebab case (`api-place-order`). */
export function releaseGroupName(fn: OrderFunction): string {
  return fn.node.id.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}
