import { Duration } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { RouteDefinition } from '../../functions/api/routes';
import { failureReasons, type FailureReason } from '../../functions/core/domain/order';
import { metricDimensions, metricNames, ordersNamespace } from '../../functions/core/observability/metric-names';

/**
 * The metrics the code emits, as alarms and the dashboard read them. Handlers publish through Powertools: namespace
 * `Orders` (POWERTOOLS_METRICS_NAMESPACE) and a `service` dimension, the emitting function's POWERTOOLS_SERVICE_NAME.
 * A metric published with an extra dimension (OrderFailed with `failureReason`) is a series of its own in
 * CloudWatch: it is read with exactly those dimensions, never by its name alone.
 */
/** POWERTOOLS_SERVICE_NAME of each kind of function (stacks/service-stack.ts sets them). */
export const serviceNames = { api: 'orders-api', saga: 'orders-saga', jobs: 'orders-jobs' } as const;

/** Services whose functions call the payment provider: saga tasks, the fulfilment route and the reconciliation. */
export const paymentServices = [serviceNames.saga, serviceNames.api, serviceNames.jobs] as const;

export function ordersMetric(
  metricName: string,
  service: string,
  options: cloudwatch.MetricOptions & { readonly extraDimensions?: Record<string, string> } = {},
): cloudwatch.Metric {
  const { extraDimensions, ...metricOptions } = options;
  return new cloudwatch.Metric({
    namespace: ordersNamespace,
    metricName,
    statistic: cloudwatch.Stats.SUM,
    period: Duration.minutes(1),
    ...metricOptions,
    dimensionsMap: { service, ...extraDimensions },
  });
}

/** Orders accepted by POST /orders (functions/api/place-order.ts). */
export function ordersPlaced(period: Duration): cloudwatch.Metric {
  return ordersMetric(metricNames.orderPlaced, serviceNames.api, { period, label: 'placed' });
}

/** Orders the saga confirmed (functions/saga/confirm-order.ts). */
export function ordersConfirmed(period: Duration): cloudwatch.Metric {
  return ordersMetric(metricNames.orderConfirmed, serviceNames.saga, { period, label: 'confirmed' });
}

/** Orders that ended FAILED with `reason` (functions/saga/mark-order-failed.ts publishes one series per reason). */
export function ordersFailed(reason: FailureReason, period: Duration): cloudwatch.Metric {
  return ordersMetric(metricNames.orderFailed, serviceNames.saga, {
    period,
    label: reason,
    extraDimensions: { [metricDimensions.failureReason]: reason },
  });
}

/** A math expression's `expression` with the metrics it names (`usingMetrics`, by the ids the expression uses). */
export interface MetricExpression {
  readonly expression: string;
  readonly usingMetrics: Record<string, cloudwatch.IMetric>;
}

/**
 * `FILL(a, 0) + FILL(b, 0) + ...` over the metrics, by id. A series with no data point in a period (a failure reason
 * that did not occur, an index nobody wrote to) counts as 0 there: without FILL the whole sum would have no value.
 */
export function gapFilledSum(usingMetrics: Record<string, cloudwatch.IMetric>): MetricExpression {
  return {
    expression: Object.keys(usingMetrics)
      .map((id) => `FILL(${id}, 0)`)
      .join(' + '),
    usingMetrics,
  };
}

/** The sum of every failure reason. */
function allFailures(period: Duration): MetricExpression {
  return gapFilledSum(
    Object.fromEntries(failureReasons.map((reason, index) => [`f${index}`, ordersFailed(reason, period)])),
  );
}

/** FAILED orders, every reason together. */
export function allOrdersFailed(period: Duration): cloudwatch.MathExpression {
  const failures = allFailures(period);
  return new cloudwatch.MathExpression({ ...failures, label: 'failed', period });
}

/** Fewer orders than this in a period say nothing about a failure rate: the rate reads 0 then. */
export const minimumOrdersForFailureRate = 10;

/**
 * FAILED orders per placed order, in percent, over every failure reason (declines and stock-outs included: a
 * release that rejects good cards or loses stock shows up here first). Periods with fewer than
 * `minimumOrdersForFailureRate` placed orders read 0.
 */
export function orderFailureRate(period: Duration): cloudwatch.MathExpression {
  const failures = allFailures(period);
  return new cloudwatch.MathExpression({
    expression: `IF(placed >= ${minimumOrdersForFailureRate}, 100 * (${failures.expression}) / placed, 0)`,
    usingMetrics: { ...failures.usingMetrics, placed: ordersPlaced(period) },
    label: 'order failure rate (%)',
    period,
  });
}

/** Milliseconds from placement to CONFIRMED or FAILED (functions/core/observability/order-completion.ts). */
export function orderCompletionLatency(statistic: string, period: Duration, label?: string): cloudwatch.Metric {
  return ordersMetric(metricNames.orderCompletionLatency, serviceNames.saga, {
    statistic,
    period,
    ...(label ? { label } : {}),
  });
}

/**
 * The REST API's one stage. Metric dimensions name it as a literal, never as a reference to the stage resource: the
 * canary alarms built from these metrics belong to each function's deployment group, the alias depends on that group,
 * the API methods on the alias, and the stage on the methods, so a reference back to the stage would close a cycle
 * that CloudFormation refuses (cfn-lint E3004).
 */
export const apiStageName = 'v1';

/** A metric of the REST API's stage (dimensions ApiName, Stage). */
export function apiStageMetric(
  api: apigateway.RestApi,
  metricName: string,
  options: cloudwatch.MetricOptions = {},
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/ApiGateway',
    metricName,
    dimensionsMap: { ApiName: api.restApiName, Stage: apiStageName },
    statistic: cloudwatch.Stats.SUM,
    ...options,
  });
}

/**
 * A metric of one route (dimensions ApiName, Method, Resource, Stage): API Gateway publishes these because the stage
 * enables detailed metrics (`metricsEnabled`).
 */
export function apiRouteMetric(
  api: apigateway.RestApi,
  route: Pick<RouteDefinition, 'method' | 'path'>,
  metricName: string,
  options: cloudwatch.MetricOptions = {},
): cloudwatch.Metric {
  return apiStageMetric(api, metricName, {
    dimensionsMap: {
      ApiName: api.restApiName,
      Method: route.method,
      Resource: route.path,
      Stage: apiStageName,
    },
    label: `${route.method} ${route.path}`,
    ...options,
  });
}

/** Requests of a route that API Gateway throttled or refused over quota (429): a metric filter on the access log. */
export function apiRouteThrottles(route: Pick<RouteDefinition, 'method' | 'path'>, period: Duration) {
  return new cloudwatch.Metric({
    namespace: ordersNamespace,
    metricName: metricNames.apiThrottledRequests,
    dimensionsMap: { method: route.method, resource: route.path },
    statistic: cloudwatch.Stats.SUM,
    period,
    label: `${route.method} ${route.path}`,
  });
}

/** A DynamoDB metric of a table, or of one of its global secondary indexes. */
export function tableMetric(
  table: ITableV2,
  metricName: string,
  options: cloudwatch.MetricOptions & { readonly indexName?: string } = {},
): cloudwatch.Metric {
  const { indexName, ...metricOptions } = options;
  return new cloudwatch.Metric({
    namespace: 'AWS/DynamoDB',
    metricName,
    dimensionsMap: {
      TableName: table.tableName,
      ...(indexName ? { GlobalSecondaryIndexName: indexName } : {}),
    },
    statistic: cloudwatch.Stats.SUM,
    ...metricOptions,
  });
}
