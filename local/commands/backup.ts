import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  backupsDirectory,
  dataTargetCliHelp,
  dataTargetCliOptions,
  runCommand,
  tableReportLine,
  UsageError,
  withDataTarget,
} from './lib/data-command';
import { BackupInvalidError, backupTables } from './lib/table-backup';

const usage = `npm run backup -- [options]
Exports the orders and idempotency tables (parallel Scan) into a new directory: <role>.jsonl per table and
manifest.json with each table's item count and SHA-256.
  --out <dir>                   the backup directory, new or empty (default .local-data/backups/<time>)
  --segments <n>                parallel Scan segments per table (default 4)
${dataTargetCliHelp}`;

/**
 * `npm run backup`: backs up the offline runtime's tables (the running `npm start`'s, or the persisted data) or
 * those at --endpoint. Exit status: 0 done, 2 could not run. Writes made while it scans may or may not be in the
 * backup: for a consistent copy, back up a system that is not taking orders.
 */
async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      ...dataTargetCliOptions,
      out: { type: 'string' },
      segments: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const segments = Number(values.segments ?? 4);
  if (!Number.isInteger(segments) || segments < 1 || segments > 100) {
    throw new UsageError('--segments must be an integer from 1 to 100');
  }
  const directory = resolve(values.out ?? join(backupsDirectory, new Date().toISOString().replace(/[:.]/g, '-')));
  return withDataTarget(values, async (target) => {
    console.log(`Backing up ${target.tableName} and ${target.idempotencyTableName} from ${target.source}`);
    const manifest = await backupTables(
      target.client,
      [
        { role: 'orders', tableName: target.tableName },
        { role: 'idempotency', tableName: target.idempotencyTableName },
      ],
      directory,
      { segments, source: target.endpoint },
    );
    for (const table of manifest.tables) console.log(tableReportLine(table));
    console.log(`Backup written to ${directory}\nRestore it with: npm run restore -- ${directory}`);
    return 0;
  });
}

runCommand('backup', usage, main, { explained: (error) => error instanceof BackupInvalidError });
