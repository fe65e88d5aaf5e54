import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import { Construct } from 'constructs';
import type { EnvironmentConfig, LambdaDeploymentConfigName } from '../../bin/environment-config';
import { routeList, type RouteId } from '../../functions/api/routes';
import type { FailureReason } from '../../functions/core/domain/order';
import type { JobName } from '../../functions/jobs/schedule';
import type { SagaPlaceholder } from '../../statemachines/order-saga';
import type { ProbeKind } from '../../functions/hooks/release-checks';
import type { OperatorAlarms } from './operator-alarms';
import { ReleaseHooks } from './release-hooks';
import { releaseAlarmSettings } from './function-release';
import type { OrderFunction } from './order-function';
import { apiRouteMetric, ordersFailed } from './service-metrics';

/** The CodeDeploy predefined configuration behind each name `release.deploymentConfig` accepts. */
export const lambdaDeploymentConfigs: Record<LambdaDeploymentConfigName, codedeploy.ILambdaDeploymentConfig> = {
  AllAtOnce: codedeploy.LambdaDeploymentConfig.ALL_AT_ONCE,
  Canary10Percent5Minutes: codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES,
  Canary10Percent10Minutes: codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_10MINUTES,
  Canary10Percent15Minutes: codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_15MINUTES,
  Canary10Percent30Minutes: codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_30MINUTES,
  Linear10PercentEvery1Minute: codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_1MINUTE,
  Linear10PercentEvery2Minutes: codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_2MINUTES,
  Linear10PercentEvery3Minutes: codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_3MINUTES,
  Linear10PercentEvery10Minutes: codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_10MINUTES,
};

/**
 * Saga tasks that report a business outcome by throwing (statemachines/order-saga.asl.json catches the error by
 * name and fails the order with this reason, without retrying). Each such error is one OrderFailed with the reason,
 * so the task's failure alarm subtracts those and counts faults only: a run of declines never rolls a release back.
 */
export const businessOutcomeErrors: Partial<Record<SagaPlaceholder, FailureReason>> = {
  CheckRiskFunctionArn: 'RISK_REJECTED',
  ReserveStockFunctionArn: 'OUT_OF_STOCK',
  AuthorizePaymentFunctionArn: 'PAYMENT_DECLINED',
};

/**
 * Routes on the order path: their releases, with every saga task's, wait for the order failure rate before they are
 * promoted. The others (reads, catalog, admin) cannot make orders fail.
 */
export const orderPathRoutes: ReadonlySet<RouteId> = new Set<RouteId>(['placeOrder', 'cancelOrder']);

export interface ReleasesProps {
  readonly envName: string;
  readonly config: EnvironmentConfig;
  readonly deploymentConfig: LambdaDeploymentConfigName;
  readonly api: apigateway.RestApi;
  readonly alarms: OperatorAlarms;
  /** Read by the post-traffic check after every deployment (the service level objectives). */
  readonly sloAlarms: readonly cloudwatch.IAlarm[];
  /**
   * The order failure rate: gates the promotion of the order path (saga tasks and the route that places orders)
   * through the post-traffic check, and rolls nothing back by itself (docs/deploy.md, "The business gate").
   */
  readonly businessAlarm: cloudwatch.IAlarm;
  /** `cdk deploy -c breakGlass=<reason>` (docs/runbooks/break-glass-release.md). */
  readonly breakGlass?: string;
  readonly routeFunctions: ReadonlyMap<RouteId, OrderFunction>;
  readonly sagaFunctions: ReadonlyMap<SagaPlaceholder, OrderFunction>;
  readonly jobFunctions: ReadonlyMap<JobName, OrderFunction>;
}

/**
 * One CodeDeploy application per environment (`orders-<env>`) with a deployment group per function, named after
 * the function's construct id in kebab case (`api-place-order`, `saga-reserve-stock`, `job-reconcile`).
 *
 * What "the function failed" means differs by kind: an API route fails when API Gateway answers its method with a
 * 5xx (the handlers answer every fault with a 500, so their invocations never fail); a saga task fails when its
 * invocation fails, minus the errors that are business outcomes; a job's runs are too sparse for a rate, so its
 * own error alarm (a failed run) rolls it back as well. Every failure rate and p99 is the new version's own
 * (function-release.ts); before traffic a pre-traffic hook exercises the new version, after it a post-traffic check
 * reads the service level alarms and, on the order path, the order failure rate (release-hooks.ts).
 */
export class Releases extends Construct {
  readonly application: codedeploy.LambdaApplication;
  readonly deploymentConfig: codedeploy.ILambdaDeploymentConfig;
  /** Every deployment group, by the construct id of its function. */
  readonly deploymentGroups: ReadonlyMap<string, codedeploy.LambdaDeploymentGroup>;
  /** The pre-traffic hooks (one per kind of function) and the post-traffic check. */
  readonly hooks: ReleaseHooks;

  constructor(scope: Construct, id: string, props: ReleasesProps) {
    super(scope, id);
    this.application = new codedeploy.LambdaApplication(this, 'Application', {
      applicationName: `orders-${props.envName}`,
    });
    this.deploymentConfig = lambdaDeploymentConfigs[props.deploymentConfig];
    const { period } = releaseAlarmSettings;
    const routeFunctions = routeList.map((route) => {
      const fn = props.routeFunctions.get(route.id);
      if (!fn) throw new Error(`no function for route ${route.id}`);
      return [route, fn] as const;
    });
    this.hooks = new ReleaseHooks(this, 'Hooks', {
      envName: props.envName,
      config: props.config,
      applicationName: `orders-${props.envName}`,
      functions: new Map<ProbeKind, OrderFunction[]>([
        ['api-route', routeFunctions.map(([, fn]) => fn)],
        ['saga-task', [...props.sagaFunctions.values()]],
        ['job', [...props.jobFunctions.values()]],
      ]),
      sloAlarms: props.sloAlarms,
      businessAlarm: props.businessAlarm,
      businessFunctions: [
        ...routeFunctions.filter(([route]) => orderPathRoutes.has(route.id)).map(([, fn]) => fn),
        ...props.sagaFunctions.values(),
      ],
      ...(props.breakGlass ? { breakGlass: props.breakGlass } : {}),
    });
    const shared = (kind: ProbeKind) => ({
      application: this.application,
      deploymentConfig: this.deploymentConfig,
      alarms: props.alarms,
      hooks: this.hooks.hooksFor(kind),
    });
    const groups = new Map<string, codedeploy.LambdaDeploymentGroup>();

    for (const [route, fn] of routeFunctions) {
      const answers = {
        errors: apiRouteMetric(props.api, route, '5XXError', { period }),
        requests: apiRouteMetric(props.api, route, 'Count', { period }),
      };
      groups.set(fn.node.id, fn.releaseGradually({ ...shared('api-route'), answers, rollbackAlarms: [] }));
    }
    for (const [placeholder, fn] of props.sagaFunctions) {
      const outcome = businessOutcomeErrors[placeholder];
      groups.set(
        fn.node.id,
        fn.releaseGradually({
          ...shared('saga-task'),
          ...(outcome ? { expectedErrors: ordersFailed(outcome, period) } : {}),
          rollbackAlarms: [],
        }),
      );
    }
    for (const [name, fn] of props.jobFunctions) {
      // The job's error alarm, created with the operator alarms under the function's construct id.
      const jobErrors = props.alarms.alarms.get(`${fn.node.id}Errors`);
      if (!jobErrors) throw new Error(`no error alarm for job ${name} (expected ${fn.node.id}Errors)`);
      groups.set(fn.node.id, fn.releaseGradually({ ...shared('job'), rollbackAlarms: [jobErrors] }));
    }
    this.deploymentGroups = groups;
  }
}

/**
 * `cdk deploy -c breakGlass=<reason>`: the reason, to hand to Releases. Only a non-empty reason counts, so that a
 * stray `-c breakGlass=` does not open the gate without saying why.
 */
export function breakGlassFrom(scope: Construct): { breakGlass?: string } {
  const value: unknown = scope.node.tryGetContext('breakGlass');
  if (value === undefined || value === false) return {};
  if (typeof value !== 'string' || value.trim() === '' || value === 'true') {
    throw new Error('breakGlass: give the reason, e.g. -c breakGlass="INC-123 hotfix during payment outage"');
  }
  return { breakGlass: value.trim() };
}
