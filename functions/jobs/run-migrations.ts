import { skippedInStandby } from '../core/handlers/region-guard';
import { randomUUID } from 'node:crypto';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod/mini';
import { documentClient } from '../core/adapters/dynamodb/document-client';
import { DynamoDbMigrationLedger } from '../core/adapters/dynamodb/migration-ledger';
import { tableName } from '../core/adapters/dynamodb/stores';
import { migrations } from '../core/migrations/migrations';
import { jobHandler } from '../core/handlers/job-handler';
import { logger, metrics } from '../core/observability/powertools';
import { runMigrations } from '../core/use-cases/jobs/run-migrations';
import { metricNames } from '../core/observability/metric-names';

const table = tableName();
const ledger = new DynamoDbMigrationLedger(documentClient, table);
const context = {
  documentClient,
  tableName: table,
  scanSegments: 4,
  log: (message: string, details?: Record<string, unknown>) => logger.info(message, { ...details }),
};
/** The physical id of the deploy-time custom resource: constant, so an update never looks like a replacement. */
const migrationsResourceId = 'orders-data-migrations';
/** A claim outlives the invocation by this much, so a runner that dies is taken over soon after its deadline. */
const leaseMarginMs = 60_000;

// The CloudFormation custom resource event as the provider framework hands it over; other callers (the local
// runtime, an operator's manual invoke) may send anything else, which runs the migrations too.
const customResourceEvent = z.looseObject({
  RequestType: z.enum(['Create', 'Update', 'Delete']),
  PhysicalResourceId: z.optional(z.string()),
});

/**
 * Applies the data migrations (functions/core/migrations/) that the table's ledger has not recorded yet. Runs at
 * every deployment that changes a migration or this function (a custom resource in the service stack, before the
 * deployment completes) and at every start of the offline runtime. Deleting the stack deletes no data: Delete
 * events do nothing. A failed migration fails the invocation, and so the deployment, which CloudFormation then
 * rolls back; the ledger keeps only migrations that completed.
 */
export const handler = jobHandler('run-migrations', async (event, lambdaContext) => {
  const parsed = customResourceEvent.safeParse(event);
  if (parsed.success && parsed.data.RequestType === 'Delete') {
    return { PhysicalResourceId: parsed.data.PhysicalResourceId ?? migrationsResourceId };
  }
  // A standby's table is a replica: the active region's run migrates it, through replication.
  if (await skippedInStandby('run-migrations')) {
    return { PhysicalResourceId: migrationsResourceId, Data: { Applied: '', Total: '0' }, skipped: 'standby' };
  }
  const results = await runMigrations(migrations, {
    ledger,
    context,
    runnerId: lambdaContext?.awsRequestId ?? randomUUID(),
    leaseMs: (lambdaContext?.getRemainingTimeInMillis() ?? 15 * 60_000) + leaseMarginMs,
  });
  const applied = results.filter((result) => result.outcome === 'applied');
  metrics.addMetric(metricNames.migrationsApplied, MetricUnit.Count, applied.length);
  metrics.addMetric(
    metricNames.migrationItemsTouched,
    MetricUnit.Count,
    applied.reduce((sum, result) => sum + (result.itemsTouched ?? 0), 0),
  );
  logger.info('migrations up to date', { results });
  return {
    PhysicalResourceId: migrationsResourceId,
    // Attributes of the custom resource (Fn::GetAtt); CloudFormation caps the whole response at 4 KB.
    Data: { Applied: applied.map((result) => result.id).join(','), Total: String(results.length) },
    results,
  };
});
