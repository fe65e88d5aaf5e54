import { Duration } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { routeList } from '../../functions/api/routes';
import { metricNames, ordersNamespace } from '../../functions/core/observability/metric-names';
import { failureReasons } from '../../functions/core/domain/order';
import { runbookLink, runbooks, type Runbook } from './operator-alarms';
import { serviceLevelObjectives } from './service-level-alarms';
import {
  allOrdersFailed,
  apiRouteMetric,
  apiRouteThrottles,
  apiStageMetric,
  orderCompletionLatency,
  orderFailureRate,
  ordersConfirmed,
  ordersFailed,
  ordersMetric,
  ordersPlaced,
  paymentServices,
  serviceNames,
} from './service-metrics';

import {
  costPerOrder,
  fiveMinutes,
  functionHealth,
  graphHeight,
  graphPerSeries,
  half,
  minute,
  queuesAndReconciliation,
  third,
  type OperationsDashboardProps,
} from './dashboard-rows';

export type { OperationsDashboardProps } from './dashboard-rows';

/**
 * The operations dashboard `orders-<env>`: alarms first, then the order flow (throughput, failure rate by reason,
 * time to an end state against its objective, saga executions), stock, payments (latency, retries, circuit
 * breaker), the API per route (latency, 5xx, 4xx, 429s), the functions by kind, queues and reconciliation, and
 * what one order costs in billed units (Lambda invocations and GB-seconds, DynamoDB request units, executions).
 *
 * Every metric is one the code or AWS publishes; the metric names come from stacks/constructs/service-metrics.ts,
 * which the alarms use too, so a graph and its alarm cannot disagree.
 */
export class OperationsDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  /** Counts the 429 answers of each route from the access log (API Gateway publishes no per-route throttle metric). */
  readonly throttledRequests: logs.MetricFilter;

  constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id);
    const { api } = props;

    this.throttledRequests = new logs.MetricFilter(this, 'ApiThrottledRequests', {
      logGroup: props.apiAccessLogs,
      filterPattern: logs.FilterPattern.stringValue('$.status', '=', '429'),
      metricNamespace: ordersNamespace,
      metricName: metricNames.apiThrottledRequests,
      metricValue: '1',
      unit: cloudwatch.Unit.COUNT,
      // Bounded: API Gateway logs the matched resource (`/orders/{orderId}`), never the raw path.
      dimensions: { method: '$.httpMethod', resource: '$.resourcePath' },
    });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `orders-${props.envName}`,
      defaultInterval: Duration.hours(3),
      periodOverride: cloudwatch.PeriodOverride.AUTO,
    });

    this.dashboard.addWidgets(
      this.header(props),
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms (each description links its runbook)',
        alarms: [...props.alarms.alarms.values()],
        sortBy: cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
        width: half,
        height: 8,
      }),
    );
    this.dashboard.addWidgets(...this.orderFlow(props));
    this.dashboard.addWidgets(...this.stockAndPayments());
    this.dashboard.addWidgets(...this.apiRoutes(api));
    this.dashboard.addWidgets(...functionHealth(props));
    this.dashboard.addWidgets(...queuesAndReconciliation(props));
    this.dashboard.addWidgets(...costPerOrder(props));
  }

  private header(props: OperationsDashboardProps): cloudwatch.TextWidget {
    const { orderCompletion, apiAvailability, apiLatency } = serviceLevelObjectives;
    const link = (runbook: Runbook) => `[${runbooks[runbook].split('/').pop()}](${runbookLink(props.config, runbook)})`;
    return new cloudwatch.TextWidget({
      width: half,
      height: 8,
      markdown: [
        `# Orders (${props.envName})`,
        '',
        '| objective | target | runbook |',
        '| --- | --- | --- |',
        `| orders end (CONFIRMED or FAILED) | ${orderCompletion.statistic} within ${orderCompletion.withinMs / 1000} s | ${link('slowOrders')} |`,
        `| API answers without a 5xx | ${apiAvailability.objectivePercent}% | ${link('apiAvailability')} |`,
        `| API latency | ${apiLatency.statistic} within ${apiLatency.withinMs} ms | ${link('apiLatency')} |`,
        `| order failure rate (rolls releases back) | below ${props.config.release.maxOrderFailureRatePercent}% | ${link('orderFailureRate')} |`,
        '',
        `Releases: CodeDeploy application \`orders-${props.envName}\`, ` +
          `\`${props.config.release.deploymentConfig}\` (docs/deploy.md, "Releasing and rolling back").`,
      ].join('\n'),
    });
  }

  private orderFlow(props: OperationsDashboardProps): cloudwatch.IWidget[] {
    const { orderCompletion } = serviceLevelObjectives;
    return [
      new cloudwatch.GraphWidget({
        title: 'Orders per minute: placed, confirmed, failed',
        left: [ordersPlaced(minute), ordersConfirmed(minute), allOrdersFailed(minute)],
        width: third,
        height: graphHeight,
      }),
      new cloudwatch.GraphWidget({
        title: 'Order failure rate (%)',
        left: [orderFailureRate(minute)],
        leftAnnotations: [
          { value: props.config.release.maxOrderFailureRatePercent, label: 'rolls releases back', color: '#d62728' },
        ],
        leftYAxis: { min: 0 },
        width: third,
        height: graphHeight,
      }),
      new cloudwatch.GraphWidget({
        title: 'Failed orders by reason',
        left: failureReasons.map((reason) => ordersFailed(reason, minute)),
        stacked: true,
        width: third,
        height: graphHeight,
      }),
      new cloudwatch.GraphWidget({
        title: 'Time from placement to CONFIRMED or FAILED (ms)',
        left: ['p50', 'p99', orderCompletion.statistic].map((statistic) =>
          orderCompletionLatency(statistic, fiveMinutes, statistic),
        ),
        leftAnnotations: [{ value: orderCompletion.withinMs, label: `objective (${orderCompletion.statistic})` }],
        leftYAxis: { min: 0 },
        width: half,
        height: graphHeight,
      }),
      new cloudwatch.GraphWidget({
        title: 'Saga executions',
        left: [
          props.saga.metricStarted({ period: minute, label: 'started' }),
          props.saga.metricSucceeded({ period: minute, label: 'succeeded' }),
          props.saga.metricFailed({ period: minute, label: 'failed' }),
          props.saga.metricTimedOut({ period: minute, label: 'timed out' }),
          props.cancellation.metricStarted({ period: minute, label: 'cancellations started' }),
          props.cancellation.metricFailed({ period: minute, label: 'cancellations failed' }),
        ],
        right: [props.saga.metricTime({ statistic: 'p99', period: fiveMinutes, label: 'saga duration p99 (ms)' })],
        width: half,
        height: graphHeight,
      }),
    ];
  }

  private stockAndPayments(): cloudwatch.IWidget[] {
    const saga = serviceNames.saga;
    return [
      new cloudwatch.GraphWidget({
        title: 'Stock: reservations, stock-outs, units released',
        left: [
          ordersMetric(metricNames.stockReserved, saga, { label: 'orders reserved' }),
          ordersFailed('OUT_OF_STOCK', minute),
        ],
        right: [ordersMetric(metricNames.stockReleasedUnits, saga, { label: 'units released' })],
        width: third,
        height: graphHeight,
      }),
      new cloudwatch.GraphWidget({
        title: 'Payment latency (ms)',
        left: [
          ordersMetric(metricNames.paymentAuthorizationLatency, saga, { statistic: 'p50', label: 'authorization p50' }),
          ordersMetric(metricNames.paymentAuthorizationLatency, saga, { statistic: 'p99', label: 'authorization p99' }),
          ...paymentServices.map((service) =>
            ordersMetric(metricNames.paymentProviderLatency, service, {
              statistic: 'p99',
              label: `provider request p99 (${service})`,
            }),
          ),
        ],
        leftYAxis: { min: 0 },
        width: third,
        height: graphHeight,
      }),
      new cloudwatch.GraphWidget({
        title: 'Payment circuit breaker and retries',
        left: paymentServices.flatMap((service) => [
          ordersMetric(metricNames.paymentBreakerOpened, service, { label: `opened (${service})` }),
          ordersMetric(metricNames.paymentBreakerHalfOpened, service, { label: `half-open (${service})` }),
          ordersMetric(metricNames.paymentBreakerClosed, service, { label: `closed (${service})` }),
        ]),
        right: [
          ...paymentServices.map((service) =>
            ordersMetric(metricNames.paymentProviderRetry, service, { label: `retries (${service})` }),
          ),
          ordersFailed('PAYMENT_DECLINED', minute),
          ordersFailed('PAYMENT_ERROR', minute),
        ],
        view: cloudwatch.GraphWidgetView.TIME_SERIES,
        width: third,
        height: graphHeight,
      }),
    ];
  }

  private apiRoutes(api: apigateway.RestApi): cloudwatch.IWidget[] {
    const { apiAvailability, apiLatency } = serviceLevelObjectives;
    const perRoute = (metricName: string, options: cloudwatch.MetricOptions = {}) =>
      routeList.map((route) => apiRouteMetric(api, route, metricName, { period: minute, ...options }));
    const requests = apiStageMetric(api, 'Count', { period: fiveMinutes });
    const errors = apiStageMetric(api, '5XXError', { period: fiveMinutes });
    return [
      new cloudwatch.GraphWidget({
        title: `API stage: answers without a 5xx (%), objective ${apiAvailability.objectivePercent}%`,
        left: [
          new cloudwatch.MathExpression({
            expression: 'IF(requests > 0, 100 - 100 * FILL(errors, 0) / requests, 100)',
            usingMetrics: { requests, errors },
            period: fiveMinutes,
            label: 'availability (%)',
          }),
        ],
        leftAnnotations: [{ value: apiAvailability.objectivePercent, label: 'objective' }],
        width: half,
        height: graphHeight,
      }),
      new cloudwatch.GraphWidget({
        title: `API stage latency (ms), objective ${apiLatency.statistic} ≤ ${apiLatency.withinMs} ms`,
        left: ['p50', 'p99'].map((statistic) =>
          apiStageMetric(api, 'Latency', { statistic, period: fiveMinutes, label: statistic }),
        ),
        right: [apiStageMetric(api, 'Count', { period: fiveMinutes, label: 'requests' })],
        leftAnnotations: [{ value: apiLatency.withinMs, label: 'objective' }],
        width: half,
        height: graphHeight,
      }),
      graphPerSeries('Latency per route, p99 (ms)', perRoute('Latency', { statistic: 'p99' }), half),
      graphPerSeries('Requests per route', perRoute('Count'), half),
      graphPerSeries('5xx answers per route', perRoute('5XXError'), third),
      graphPerSeries('4xx answers per route', perRoute('4XXError'), third),
      graphPerSeries(
        'Throttled or over quota (429) per route',
        routeList.map((route) => apiRouteThrottles(route, minute)),
        third,
      ),
    ];
  }
}
