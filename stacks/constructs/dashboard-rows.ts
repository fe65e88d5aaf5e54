import { Duration } from 'aws-cdk-lib';
import { metricDimensions, metricNames } from '../../functions/core/observability/metric-names';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { EnvironmentConfig } from '../../bin/environment-config';
import { invariantNames } from '../../functions/core/domain/invariants';
import type { OperatorAlarms } from './operator-alarms';
import type { OrderFunction } from './order-function';
import {
  gapFilledSum,
  ordersMetric,
  ordersPlaced,
  serviceNames,
  tableMetric,
  type MetricExpression,
} from './service-metrics';

// The operations dashboard's props and layout, and its lower rows: functions by kind, queues and reconciliation, cost.

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

export const minute = Duration.minutes(1);
export const fiveMinutes = Duration.minutes(5);
export const hour = Duration.hours(1);
export const fullWidth = 24;
export const half = 12;
export const third = 8;
export const graphHeight = 6;

/**
 * The gap-filled sum of metrics that may be missing in a period (a function that did not run), ids `<prefix><n>`, in
 * parentheses so that it divides as a whole.
 */
export function sumOf(prefix: string, metrics: readonly cloudwatch.IMetric[]): MetricExpression {
  const sum = gapFilledSum(Object.fromEntries(metrics.map((metric, index) => [`${prefix}${index}`, metric])));
  return { usingMetrics: sum.usingMetrics, expression: `(${sum.expression})` };
}

/** A graph with a line per route or per function: more series than a legend below it holds, so it goes right. */
export function graphPerSeries(title: string, left: cloudwatch.IMetric[], width: number): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({
    title,
    left,
    legendPosition: cloudwatch.LegendPosition.RIGHT,
    width,
    height: graphHeight,
  });
}

export function functionHealth(props: OperationsDashboardProps): cloudwatch.IWidget[] {
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

export function queuesAndReconciliation(props: OperationsDashboardProps): cloudwatch.IWidget[] {
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
export function costPerOrder(props: OperationsDashboardProps): cloudwatch.IWidget[] {
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
  const readUnits = perOrder('DynamoDB read units per order', sumOf('rru', requestUnits('ConsumedReadCapacityUnits')));
  const writeUnits = perOrder(
    'DynamoDB write units per order',
    sumOf('wru', requestUnits('ConsumedWriteCapacityUnits')),
  );
  const executions = perOrder('Saga executions per order', sumOf('exec', [props.saga.metricStarted({ period: hour })]));
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
