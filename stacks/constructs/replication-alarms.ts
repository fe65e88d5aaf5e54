import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { OperatorAlarms } from './operator-alarms';

/** Replication behind by this much for `replicationLagMinutes` pages: what a failover now would lose. */
export const replicationLagThreshold = Duration.seconds(60);
export const replicationLagMinutes = 5;

export interface ReplicationAlarmProps {
  /** The orders table as this region sees it (the primary's table, or a standby's replica). */
  readonly table: ITableV2;
  /** Every other region with a replica: the regions this region's writes replicate to. */
  readonly receivingRegions: readonly string[];
}

/**
 * Pages when the orders table's replication towards another region lags by more than a minute for five minutes
 * (`ReplicationLatency`, published in the region the writes come from, per receiving region). The lag is the
 * recovery point: writes accepted here but not yet there are what a failover now would leave behind, and stock taken
 * in them could be sold again after promotion (docs/runbooks/regional-failover.md).
 */
export function addReplicationLatencyAlarms(alarms: OperatorAlarms, props: ReplicationAlarmProps): cloudwatch.Alarm[] {
  return props.receivingRegions.map((region) =>
    alarms.add(`ReplicationBehind${region.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase())}`, {
      metric: new cloudwatch.Metric({
        namespace: 'AWS/DynamoDB',
        metricName: 'ReplicationLatency',
        dimensionsMap: { TableName: props.table.tableName, ReceivingRegion: region },
        period: Duration.minutes(1),
        statistic: cloudwatch.Stats.AVERAGE,
      }),
      threshold: replicationLagThreshold.toMilliseconds(),
      evaluationPeriods: replicationLagMinutes,
      summary:
        `Replication of the orders table to ${region} has lagged by more than ` +
        `${replicationLagThreshold.toSeconds()} s for ${replicationLagMinutes} minutes: a failover now would lose ` +
        'the writes not yet replicated, and could sell their stock again.',
      runbook: 'regionalFailover',
      severity: 'page',
    }),
  );
}
