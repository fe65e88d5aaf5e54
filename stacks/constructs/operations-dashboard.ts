import { Duration } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../bin/environment-config';
import { routeList } from '../../functions/api/routes';
import { invariantNames } from '../../functions/core/domain/invariants';
import { failureReasons } from '../../functions/core/domain/order';
import { metricDimensions, metricNames, ordersNamespace } from '../../functions/core/observability/metric-names';
import { runbookLink, runbooks, type OperatorAlarms, type Runbook } from './operator-alarms';
import type { OrderFunction } from './order-function';
import { serviceLevelObjectives } from './service-level-alarms';
import {
  allOrdersFailed,
  apiRouteMetric,
  apiRouteThrottles,
  apiStageMetric,
  gapFilledSum,
  orderCompletionLatency,
  orderFailureRate,
  ordersConfirmed,
  ordersFailed,
  ordersMetric,
  ordersPlaced,
  paymentServices,
  serviceNames,
  tableMetric,
  type MetricExpression,
} from './service-metrics';

export interface OperationsDashboardProps {
  readonly envName: string;
  readonly config: EnvironmentConfig;
  readonly api: apigateway.RestApi;
  /** The stage's access log (JSON, with httpMethod, resourcePath and status): the source of per-route 429s. */
  readonly apiAccessLogs: logs.ILogGroup;
  readonly functions: {
    readonly api: readonly OrderFunction[];
    readonly saga: readonly OrderFunction[];
    readonly jobs: readonly OrderFunction[];
  };
  readonly saga: IStateMachine;
  readonly cancellation: IStateMachine;
  readonly attentionQueue: IQueue;
  readonly table: ITableV2;
  readonly tableIndexNames: readonly string[];
  readonly idempotencyTable: ITableV2;
  readonly alarms: OperatorAlarms;
}

const minute = Duration.minutes(1);
const fiveMinutes = Duration.minutes(5);
const hour = Duration.hours(1);
const fullWidth = 24;
const half = 12;
const third = 8;
const graphHeight = 6;

/**
 * The gap-filled sum of metrics that may be missing in a period (a function that did not run), ids `<prefix><n>`, in
 * parentheses so that it divides as a whole.
 */
function sumOf(prefix: string, metrics: readonly cloudwatch.IMetric[]): MetricExpression {
  const sum = gapFilledSum(Object.fromEntries(metrics.map((metric, index) => [`${prefix}${index}`, metric])));
  return { usingMetrics: sum.usingMetrics, expression: `(${sum.expression})` };
}

/** A graph with a line per route or per function: more series than a legend below it holds, so it goes right. */
function graphPerSeries(title: string, left: cloudwatch.IMetric[], width: number): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({
    title,
    left,
    legendPosition: cloudwatch.LegendPosition.RIGHT,
    width,
    height: graphHeight,
  });
}

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
    this.dashboard.addWidgets(...this.functionHealth(props));
    this.dashboard.addWidgets(...this.queuesAndReconciliation(props));
    this.dashboard.addWidgets(...this.costPerOrder(props));
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

  private functionHealth(props: OperationsDashboardProps): cloudwatch.IWidget[] {
    const kinds = [
      ['API functions', props.functions.api],
      ['Saga task functions', props.functions.saga],
      ['Job functions', props.functions.jobs],
    ] as const;
    return kinds.flatMap(([kind, functions]) => [
      graphPerSeries(
        `${kind}: errors`,
        functions.map((fn) => fn.function.metricErrors({ period: minute, label: fn.node.id })),
        third,
      ),
      graphPerSeries(
        `${kind}: throttles`,
        functions.map((fn) => fn.function.metricThrottles({ period: minute, label: fn.node.id })),
        third,
      ),
      graphPerSeries(
        `${kind}: duration p99 (ms)`,
        functions.map((fn) => fn.function.metricDuration({ statistic: 'p99', period: minute, label: fn.node.id })),
        third,
      ),
    ]);
  }

  private queuesAndReconciliation(props: OperationsDashboardProps): cloudwatch.IWidget[] {
    const jobs = serviceNames.jobs;
    return [
      new cloudwatch.GraphWidget({
        title: 'Needs-attention queue (the saga dead-letter destination)',
        left: [
          props.attentionQueue.metricApproximateNumberOfMessagesVisible({
            period: minute,
            statistic: cloudwatch.Stats.MAXIMUM,
            label: 'messages waiting',
          }),
          ordersMetric(metricNames.orderNeedsAttention, serviceNames.saga, { label: 'orders flagged' }),
        ],
        right: [
          props.attentionQueue.metricApproximateAgeOfOldestMessage({
            period: minute,
            statistic: cloudwatch.Stats.MAXIMUM,
            label: 'oldest message (s)',
          }),
        ],
        width: third,
        height: graphHeight,
      }),
      new cloudwatch.GraphWidget({
        title: 'Reconciliation violations by invariant (hourly run)',
        left: [
          ordersMetric(metricNames.reconciliationViolations, jobs, { period: hour, label: 'all invariants' }),
          ...invariantNames.map((invariant) =>
            ordersMetric(metricNames.reconciliationViolations, jobs, {
              period: hour,
              label: invariant,
              extraDimensions: { [metricDimensions.invariant]: invariant },
            }),
          ),
        ],
        right: [ordersMetric(metricNames.reconciliationFlaggedOrders, jobs, { period: hour, label: 'orders flagged' })],
        view: cloudwatch.GraphWidgetView.BAR,
        width: third,
        height: graphHeight,
      }),
      new cloudwatch.GraphWidget({
        title: 'Throttling: Lambda (account), DynamoDB, recovered sagas',
        left: [
          lambda.Function.metricAllThrottles({ period: fiveMinutes, label: 'Lambda throttles (account)' }),
          tableMetric(props.table, 'ReadThrottleEvents', { period: fiveMinutes, label: 'table read throttles' }),
          tableMetric(props.table, 'WriteThrottleEvents', { period: fiveMinutes, label: 'table write throttles' }),
        ],
        right: [ordersMetric(metricNames.ordersRecovered, jobs, { period: fiveMinutes, label: 'sagas restarted' })],
        width: third,
        height: graphHeight,
      }),
    ];
  }

  /**
   * Billed units per placed order. Lambda GB-seconds weigh each function's duration by its memory; DynamoDB request
   * units add the indexes' (each index write is billed too) and the idempotency table's; saga executions above 1
   * per order mean restarted or replayed sagas.
   */
  private costPerOrder(props: OperationsDashboardProps): cloudwatch.IWidget[] {
    const all = [...props.functions.api, ...props.functions.saga, ...props.functions.jobs];
    const placed = ordersPlaced(hour);
    const perOrder = (label: string, sum: ReturnType<typeof sumOf>) =>
      new cloudwatch.MathExpression({
        expression: `IF(placed > 0, ${sum.expression} / placed, 0)`,
        usingMetrics: { ...sum.usingMetrics, placed },
        period: hour,
        label,
      });
    const invocations = perOrder(
      'Lambda invocations per order',
      sumOf(
        'inv',
        all.map((fn) => fn.function.metricInvocations({ period: hour })),
      ),
    );
    // Duration (ms, summed) × memory (GB) / 1000 = GB-seconds, the unit Lambda bills.
    const gbSeconds = all.map((fn) => fn.function.metricDuration({ statistic: cloudwatch.Stats.SUM, period: hour }));
    const gbSecondsSum = sumOf('dur', gbSeconds);
    const weighted = {
      usingMetrics: gbSecondsSum.usingMetrics,
      expression: `(${Object.keys(gbSecondsSum.usingMetrics)
        .map((id, index) => `FILL(${id}, 0) * ${all[index]!.memorySize / 1024 / 1000}`)
        .join(' + ')})`,
    };
    const lambdaGbSeconds = perOrder('Lambda GB-seconds per order', weighted);
    const tables = [props.table, props.idempotencyTable];
    const requestUnits = (metricName: string) => [
      ...tables.map((table) => tableMetric(table, metricName, { period: hour })),
      ...props.tableIndexNames.map((indexName) => tableMetric(props.table, metricName, { period: hour, indexName })),
    ];
    const readUnits = perOrder(
      'DynamoDB read units per order',
      sumOf('rru', requestUnits('ConsumedReadCapacityUnits')),
    );
    const writeUnits = perOrder(
      'DynamoDB write units per order',
      sumOf('wru', requestUnits('ConsumedWriteCapacityUnits')),
    );
    const executions = perOrder(
      'Saga executions per order',
      sumOf('exec', [props.saga.metricStarted({ period: hour })]),
    );
    const figures = [invocations, lambdaGbSeconds, readUnits, writeUnits, executions];
    return [
      new cloudwatch.SingleValueWidget({
        title: 'Cost per order over the time range (billed units per placed order)',
        metrics: figures,
        setPeriodToTimeRange: true,
        fullPrecision: false,
        width: fullWidth,
        height: 4,
      }),
      new cloudwatch.GraphWidget({
        title: 'Cost per order, hourly (billed units per placed order)',
        left: [invocations, readUnits, writeUnits],
        right: [lambdaGbSeconds, executions],
        width: fullWidth,
        height: graphHeight,
      }),
    ];
  }
}
