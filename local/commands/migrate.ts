import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbMigrationLedger } from '../../functions/core/adapters/dynamodb/migration-ledger';
import { migrations } from '../../functions/core/migrations/migrations';
import {
  MigrationChangedError,
  MigrationFailedError,
  MigrationLeaseLostError,
  runMigrations,
} from '../../functions/core/use-cases/jobs/run-migrations';
import { dataTargetCliHelp, dataTargetCliOptions, runCommand, withDataTarget } from './lib/data-command';

/**
 * `npm run migrate`: applies the pending data migrations (functions/core/migrations/) to the offline runtime's data:
 * the running `npm start`'s, or the persisted .local-data/ when nothing runs (npm start also migrates at every start;
 * this is for data you want brought up to date without starting the system). Same use case and ledger as the
 * deploy-time custom resource. Exit status: 0 when every migration is applied, 1 when one failed, 2 when it could
 * not run. Options: see `usage` (--endpoint, --table, --runtime-file, --data-dir).
 */
const usage = `npm run migrate -- [options]\n${dataTargetCliHelp}`;

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { ...dataTargetCliOptions, help: { type: 'boolean' } } });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  return withDataTarget(values, async (target) => {
    console.log(`Migrating ${target.tableName} in ${target.source}`);
    try {
      await target.client.send(new DescribeTableCommand({ TableName: target.tableName }));
    } catch (error) {
      if ((error as Error).name !== 'ResourceNotFoundException') throw error;
      console.log(`No table ${target.tableName} there: nothing to migrate (npm start creates it, migrated).`);
      return 0;
    }
    const documentClient = DynamoDBDocumentClient.from(target.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    const results = await runMigrations(migrations, {
      ledger: new DynamoDbMigrationLedger(documentClient, target.tableName),
      context: {
        documentClient,
        tableName: target.tableName,
        scanSegments: 4,
        log: (message, details) => console.log(`  ${message}${details ? ` ${JSON.stringify(details)}` : ''}`),
      },
      runnerId: `cli-${hostname()}-${process.pid}`,
      // Local tables are small: a claim left by a crashed run frees itself within ten minutes.
      leaseMs: 10 * 60_000,
    });
    for (const result of results) {
      const detail = result.outcome === 'applied' ? `applied, ${result.itemsTouched} item(s) touched` : result.outcome;
      console.log(`  ${result.id.padEnd(40)} ${detail}`);
    }
    const applied = results.filter((result) => result.outcome === 'applied').length;
    console.log(applied > 0 ? `${applied} migration(s) applied.` : 'Already up to date.');
    return 0;
  });
}

runCommand('migrate', usage, main, {
  verdict: (error) =>
    error instanceof MigrationChangedError ||
    error instanceof MigrationFailedError ||
    error instanceof MigrationLeaseLostError
      ? 'stopped'
      : undefined,
});
