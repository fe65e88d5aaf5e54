import { Duration } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { EnvironmentConfig } from '../../bin/environment-config';
import { metricNames } from '../../functions/core/observability/metric-names';
import type { OperatorAlarms } from './operator-alarms';
import {
  apiStageMetric,
  gapFilledSum,
  minimumOrdersForFailureRate,
  orderCompletionLatency,
  orderFailureRate,
  ordersMetric,
  paymentServices,
  tableMetric,
} from './service-metrics';

/**
 * The service level objectives, each with the alarm that pages when it is being missed. Thresholds are burn alarms,
 * not the objective itself: they fire when the objective is being missed fast enough to matter within the hour.
 */
export const serviceLevelObjectives = {
  /** 99.9% of orders reach CONFIRMED or FAILED within 5 s of being placed. */
  orderCompletion: {
    statistic: 'p99.9',
    withinMs: 5000,
    period: Duration.minutes(5),
    evaluationPeriods: 3,
  },
  /** 99.9% of API requests answered without a 5xx; pages at 1% (ten times the error budget) for ten minutes. */
  apiAvailability: {
    objectivePercent: 99.9,
    maxServerErrorPercent: 1,
    /** Periods with fewer requests read 0: a handful of requests says nothing about a rate. */
    minimumRequests: 20,
    period: Duration.minutes(5),
    evaluationPeriods: 2,
  },
  /** 99% of API requests answered within 1 s (API Gateway's Latency: from request received to response sent). */
  apiLatency: {
    statistic: 'p99',
    withinMs: 1000,
    period: Duration.minutes(5),
    evaluationPeriods: 3,
  },
} as const;

/** Alarms that catch a release going wrong across functions: every deployment group rolls back on them. */
export const orderFailureRateSettings = { period: Duration.minutes(1), evaluationPeriods: 2 } as const;

export interface ServiceLevelAlarmsProps {
  readonly config: EnvironmentConfig;
  readonly api: apigateway.RestApi;
  readonly table: ITableV2;
  readonly tableIndexNames: readonly string[];
}

export interface ServiceLevelAlarms {
  /** The business alarm: FAILED orders per placed order. Every function's release rolls back on it. */
  readonly orderFailureRate: cloudwatch.Alarm;
  readonly orderCompletion: cloudwatch.Alarm;
  readonly apiAvailability: cloudwatch.Alarm;
  readonly apiLatency: cloudwatch.Alarm;
  readonly lambdaThrottles: cloudwatch.Alarm;
  readonly tableThrottles: cloudwatch.Alarm;
  readonly paymentProviderUnavailable: cloudwatch.Alarm;
}

/**
 * Adds the objective, throttling and payment-provider alarms to the operator alarms (same topic, same runbook links).
 * Metric names are the ones the code emits (stacks/constructs/service-metrics.ts).
 */
export function addServiceLevelAlarms(alarms: OperatorAlarms, props: ServiceLevelAlarmsProps): ServiceLevelAlarms {
  const { api, config, table } = props;
  const { orderCompletion, apiAvailability, apiLatency } = serviceLevelObjectives;
  const maxFailureRate = config.release.maxOrderFailureRatePercent;

  const orderFailureRateAlarm = alarms.add('OrderFailureRate', {
    metric: orderFailureRate(orderFailureRateSettings.period),
    threshold: maxFailureRate,
    evaluationPeriods: orderFailureRateSettings.evaluationPeriods,
    summary:
      `${maxFailureRate}% or more of the orders placed failed (every reason, declines and stock-outs included; ` +
      `at least ${minimumOrdersForFailureRate} orders a minute) for ${orderFailureRateSettings.evaluationPeriods} ` +
      'minutes; during a release CodeDeploy rolls every function back.',
    runbook: 'orderFailureRate',
    severity: 'page',
  });

  const completionAlarm = alarms.add('OrderCompletionSlo', {
    metric: orderCompletionLatency(orderCompletion.statistic, orderCompletion.period),
    threshold: orderCompletion.withinMs,
    evaluationPeriods: orderCompletion.evaluationPeriods,
    summary:
      `Orders are not ending (CONFIRMED or FAILED) within ${orderCompletion.withinMs / 1000} s of being placed: ` +
      `${orderCompletion.statistic} of OrderCompletionLatency reached ${orderCompletion.withinMs} ms in ` +
      `${orderCompletion.evaluationPeriods} consecutive ${orderCompletion.period.toMinutes()}-minute periods.`,
    runbook: 'slowOrders',
    severity: 'page',
  });

  const availabilityAlarm = alarms.add('ApiAvailabilitySlo', {
    metric: new cloudwatch.MathExpression({
      expression: `IF(requests >= ${apiAvailability.minimumRequests}, 100 * FILL(errors, 0) / requests, 0)`,
      usingMetrics: { errors: apiStageMetric(api, '5XXError'), requests: apiStageMetric(api, 'Count') },
      period: apiAvailability.period,
      label: 'API 5xx answers (%)',
    }),
    threshold: apiAvailability.maxServerErrorPercent,
    evaluationPeriods: apiAvailability.evaluationPeriods,
    summary:
      `${apiAvailability.maxServerErrorPercent}% or more of the requests to the API stage ` +
      `${api.deploymentStage.stageName} were answered with a 5xx in ${apiAvailability.evaluationPeriods} ` +
      `consecutive ${apiAvailability.period.toMinutes()}-minute periods (objective: ` +
      `${apiAvailability.objectivePercent}% without).`,
    runbook: 'apiAvailability',
    severity: 'page',
  });

  const latencyAlarm = alarms.add('ApiLatencySlo', {
    metric: apiStageMetric(api, 'Latency', { statistic: apiLatency.statistic, period: apiLatency.period }),
    threshold: apiLatency.withinMs,
    evaluationPeriods: apiLatency.evaluationPeriods,
    summary:
      `The API stage ${api.deploymentStage.stageName} answered in ${apiLatency.withinMs} ms or more at ` +
      `${apiLatency.statistic} in ${apiLatency.evaluationPeriods} consecutive ` +
      `${apiLatency.period.toMinutes()}-minute periods.`,
    runbook: 'apiLatency',
    severity: 'page',
  });

  const fiveMinutes = Duration.minutes(5);
  // Series that may publish nothing in a period (no throttles, no breaker opened) count as zero in the sum.
  const fiveMinuteSum = (metrics: Record<string, cloudwatch.IMetric>, label: string) =>
    new cloudwatch.MathExpression({ ...gapFilledSum(metrics), period: fiveMinutes, label });
  // Account-wide: the concurrency that runs out is the account's, shared by every function in the region.
  const lambdaThrottles = alarms.add('LambdaThrottles', {
    metric: lambda.Function.metricAllThrottles({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM }),
    threshold: 10,
    summary:
      'Lambda refused 10 or more invocations for lack of concurrency in five minutes (account-wide in this region).',
    runbook: 'throttling',
    severity: 'ticket',
  });

  const throttleEvents: Record<string, cloudwatch.IMetric> = {
    tableReads: tableMetric(table, 'ReadThrottleEvents'),
    tableWrites: tableMetric(table, 'WriteThrottleEvents'),
  };
  props.tableIndexNames.forEach((indexName, index) => {
    throttleEvents[`index${index}Writes`] = tableMetric(table, 'WriteThrottleEvents', { indexName });
  });
  const tableThrottles = alarms.add('TableThrottles', {
    metric: fiveMinuteSum(throttleEvents, 'DynamoDB throttle events'),
    threshold: 10,
    summary: 'DynamoDB throttled 10 or more reads or writes of the orders table or its indexes in five minutes.',
    runbook: 'throttling',
    severity: 'ticket',
  });

  // Published by the payment adapter each time a function instance's circuit breaker opens (functions/core/adapters/
  // payment-provider.ts): ten transient failures in a row from the provider.
  const breakerOpened = Object.fromEntries(
    paymentServices.map((service, index) => [
      `opened${index}`,
      ordersMetric(metricNames.paymentBreakerOpened, service, { period: fiveMinutes }),
    ]),
  );
  const paymentProviderUnavailable = alarms.add('PaymentProviderUnavailable', {
    metric: fiveMinuteSum(breakerOpened, 'payment circuit breakers opened'),
    threshold: 1,
    summary: 'A payment provider circuit breaker opened: the provider failed ten requests in a row.',
    runbook: 'paymentProviderUnavailable',
    severity: 'ticket',
  });

  return {
    orderFailureRate: orderFailureRateAlarm,
    orderCompletion: completionAlarm,
    apiAvailability: availabilityAlarm,
    apiLatency: latencyAlarm,
    lambdaThrottles,
    tableThrottles,
    paymentProviderUnavailable,
  };
}
