import { Duration } from 'aws-cdk-lib';
import { metricNames } from '../../functions/core/observability/metric-names';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../bin/environment-config';
import type { JobName } from '../../functions/jobs/schedule';
import { constructId } from './construct-ids';
import { jobNeeds } from './function-needs';
import type { OrderFunction } from './order-function';
import { OperatorAlarms } from './operator-alarms';
import { ordersMetric, serviceNames } from './service-metrics';

export interface OrderAlarmsProps {
  readonly envName: string;
  readonly config: EnvironmentConfig;
  readonly attentionQueue: Queue;
  readonly saga: IStateMachine;
  readonly cancellation: IStateMachine;
  readonly jobFunctions: ReadonlyMap<JobName, OrderFunction>;
}

/**
 * The alarms that page an operator about orders, each with its runbook: orders waiting for an operator, failed
 * workflows, reconciliation findings and failing jobs. Metric names and dimensions are the ones the handlers emit
 * through Powertools (service-metrics.ts).
 */
export function createOrderAlarms(scope: Construct, props: OrderAlarmsProps): OperatorAlarms {
  const alarms = new OperatorAlarms(scope, 'Alarms', { envName: props.envName, config: props.config });
  const oneMinute = Duration.minutes(1);
  const sum = { period: oneMinute, statistic: cloudwatch.Stats.SUM };

  alarms.add('AttentionQueueDepth', {
    metric: props.attentionQueue.metricApproximateNumberOfMessagesVisible({
      period: oneMinute,
      statistic: cloudwatch.Stats.MAXIMUM,
    }),
    threshold: 1,
    summary:
      `At least one order is waiting for an operator in ${props.attentionQueue.queueName}: a compensation kept ` +
      'failing, so the order may still hold stock or a payment authorization.',
    runbook: 'orderNeedsAttention',
    severity: 'page',
  });
  // Emitted by functions/saga/flag-for-attention.ts each time an order is flagged (new flags, not the backlog).
  alarms.add('OrderNeedsAttention', {
    metric: ordersMetric(metricNames.orderNeedsAttention, serviceNames.saga, { period: oneMinute }),
    threshold: 1,
    summary: 'An order was flagged for attention after a compensation kept failing.',
    runbook: 'orderNeedsAttention',
    severity: 'page',
  });
  alarms.add('SagaFailed', {
    metric: props.saga.metricFailed(sum),
    threshold: 1,
    summary: 'An order saga execution failed (CompensationFailed, or a step failed past its Catch).',
    runbook: 'compensationFailed',
    severity: 'page',
  });
  alarms.add('CancellationFailed', {
    metric: props.cancellation.metricFailed(sum),
    threshold: 1,
    summary: 'A cancellation workflow execution failed: a cancelled order may keep its stock or payment.',
    runbook: 'orderNeedsAttention',
    severity: 'page',
  });
  // Emitted by functions/jobs/reconcile.ts on every run (zeros included), hourly.
  alarms.add('ReconciliationViolations', {
    metric: ordersMetric(metricNames.reconciliationViolations, serviceNames.jobs, { period: Duration.hours(1) }),
    threshold: 1,
    summary: 'The reconciliation job found data that breaks an invariant (stock, holds, payments or orders).',
    runbook: 'reconciliationViolations',
    severity: 'page',
  });
  // Emitted by functions/jobs/forecast-demand.ts on every daily run (zeros included).
  alarms.add('LowStock', {
    metric: ordersMetric(metricNames.productsBelowReorderPoint, serviceNames.jobs, {
      period: Duration.days(1),
      statistic: cloudwatch.Stats.MAXIMUM,
    }),
    threshold: 1,
    summary: 'The demand forecast found products at or below their reorder point: stock should be reordered.',
    runbook: 'lowStock',
    severity: 'ticket',
  });
  for (const [name, fn] of props.jobFunctions) {
    const { period, threshold } = jobNeeds[name].errorAlarm;
    alarms.add(`Job${constructId(name)}Errors`, {
      metric: fn.function.metricErrors({ period, statistic: cloudwatch.Stats.SUM }),
      threshold,
      summary: `The scheduled job ${name} failed ${threshold === 1 ? 'a run' : `${threshold} runs`} (errors or timeouts).`,
      runbook: 'jobFailed',
      severity: 'ticket',
    });
  }
  return alarms;
}
