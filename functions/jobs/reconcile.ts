import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { documentClient, regionFence } from '../core/adapters/dynamodb/document-client';
import { DynamoDbOversoldFindings } from '../core/adapters/dynamodb/oversold-findings';
import { DynamoDbSnapshotReader } from '../core/adapters/dynamodb/snapshot-reader';
import { tableName } from '../core/adapters/dynamodb/stores';
import { paymentProvider } from '../core/adapters/payment-provider';
import { reconciliationConfigFromEnv } from '../core/config/reconciliation-config';
import { invariantNames } from '../core/domain/invariants';
import { jobHandler } from '../core/handlers/job-handler';
import { logger, metrics } from '../core/observability/powertools';
import { reconcile } from '../core/use-cases/jobs/reconcile';
import { metricDimensions, metricNames } from '../core/observability/metric-names';

const config = reconciliationConfigFromEnv();
const deps = {
  snapshots: new DynamoDbSnapshotReader(documentClient, tableName(), config.scanSegments),
  payments: paymentProvider(),
};
const oversoldFindings = new DynamoDbOversoldFindings(documentClient, tableName());
/** Every violation is logged; the returned report keeps the first ones so it stays far below Lambda's 6 MB. */
const maxReturnedViolations = 500;

/**
 * Scheduled reconciliation: checks the invariants (docs/runbooks/reconciliation-violations.md) on the live data,
 * logs each violation with its ids, and publishes `ReconciliationViolations`, in total and per invariant. Every
 * invariant gets a data point, zeros included, so an alarm on it sees "fine" rather than "no data".
 */
export const handler = jobHandler('reconcile', async () => {
  const report = await reconcile(deps, config);
  for (const violation of report.violations) logger.warn('invariant violated', { ...violation });
  for (const violation of report.unconfirmed) logger.info('not confirmed by the second pass', { ...violation });
  for (const entry of report.attention) logger.info('order flagged for attention', { ...entry });

  metrics.addMetric(metricNames.reconciliationViolations, MetricUnit.Count, report.violations.length);
  metrics.addMetric(metricNames.reconciliationFlaggedOrders, MetricUnit.Count, report.attention.length);
  for (const invariant of invariantNames) {
    metrics
      .singleMetric()
      .addDimension(metricDimensions.invariant, invariant)
      .addMetric(
        metricNames.reconciliationViolations,
        MetricUnit.Count,
        report.counts.violationsByInvariant[invariant],
      );
  }
  metrics.addMetric(metricNames.oversoldUnits, MetricUnit.Count, report.counts.oversoldUnits);
  if (report.oversold.length > 0) {
    logger.error('stock sold twice', { oversold: report.oversold });
    // The operational event rides on the finding's item; a standby only reads (its active region reports it).
    if (await regionFence.writesHere()) {
      await oversoldFindings.record(report.oversold.map((entry) => ({ ...entry, checkedAt: report.checkedAt })));
    }
  }
  logger.info('reconciliation finished', { counts: report.counts, paymentsSince: report.paymentsSince });

  return {
    ...report,
    violations: report.violations.slice(0, maxReturnedViolations),
    truncated: Math.max(0, report.violations.length - maxReturnedViolations),
  };
});
