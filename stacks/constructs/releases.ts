import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import { Construct } from 'constructs';
import type { LambdaDeploymentConfigName } from '../../bin/environment-config';
import { routeList, type RouteId } from '../../functions/api/routes';
import type { FailureReason } from '../../functions/core/domain/order';
import type { JobName } from '../../functions/jobs/schedule';
import type { SagaPlaceholder } from '../../statemachines/order-saga';
import type { OperatorAlarms } from './operator-alarms';
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

export interface ReleasesProps {
  readonly envName: string;
  readonly deploymentConfig: LambdaDeploymentConfigName;
  readonly api: apigateway.RestApi;
  readonly alarms: OperatorAlarms;
  /** Alarms that roll back every function's release: the order failure rate. */
  readonly rollbackAlarms: readonly cloudwatch.IAlarm[];
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
 * own error alarm (a failed run) rolls it back as well.
 */
export class Releases extends Construct {
  readonly application: codedeploy.LambdaApplication;
  readonly deploymentConfig: codedeploy.ILambdaDeploymentConfig;
  /** Every deployment group, by the construct id of its function. */
  readonly deploymentGroups: ReadonlyMap<string, codedeploy.LambdaDeploymentGroup>;

  constructor(scope: Construct, id: string, props: ReleasesProps) {
    super(scope, id);
    this.application = new codedeploy.LambdaApplication(this, 'Application', {
      applicationName: `orders-${props.envName}`,
    });
    this.deploymentConfig = lambdaDeploymentConfigs[props.deploymentConfig];
    const { period } = releaseAlarmSettings;
    const shared = {
      application: this.application,
      deploymentConfig: this.deploymentConfig,
      alarms: props.alarms,
    };
    const groups = new Map<string, codedeploy.LambdaDeploymentGroup>();

    for (const route of routeList) {
      const fn = props.routeFunctions.get(route.id);
      if (!fn) throw new Error(`no function for route ${route.id}`);
      const failures = {
        errors: apiRouteMetric(props.api, route, '5XXError', { period }),
        requests: apiRouteMetric(props.api, route, 'Count', { period }),
      };
      groups.set(fn.node.id, fn.releaseGradually({ ...shared, failures, rollbackAlarms: props.rollbackAlarms }));
    }
    for (const [placeholder, fn] of props.sagaFunctions) {
      const outcome = businessOutcomeErrors[placeholder];
      groups.set(
        fn.node.id,
        fn.releaseGradually({
          ...shared,
          ...(outcome ? { expectedErrors: ordersFailed(outcome, period) } : {}),
          rollbackAlarms: props.rollbackAlarms,
        }),
      );
    }
    for (const [name, fn] of props.jobFunctions) {
      // The job's error alarm, created with the operator alarms under the function's construct id.
      const jobErrors = props.alarms.alarms.get(`${fn.node.id}Errors`);
      if (!jobErrors) throw new Error(`no error alarm for job ${name} (expected ${fn.node.id}Errors)`);
      groups.set(fn.node.id, fn.releaseGradually({ ...shared, rollbackAlarms: [jobErrors, ...props.rollbackAlarms] }));
    }
    this.deploymentGroups = groups;
  }
}
