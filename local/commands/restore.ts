import { readdir } from 'node:fs/promises';
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
import { BackupInvalidError, RestoreRefusedError, RestoreVerificationError, restoreTables } from './lib/table-backup';

const usage = `npm run restore -- [<backup dir>] [options]
Imports a backup made by npm run backup (default: the newest under .local-data/backups) into the tables, creating
missing ones from the table design, then checks every table's item count and SHA-256 against the backup.
  --force                       write over tables that already hold items (same keys replaced, other items kept)
${dataTargetCliHelp}`;

/**
 * `npm run restore`: the other half of `npm run backup`. Refuses a non-empty table unless --force. Restore into
 * the offline runtime while it is stopped (its persisted data) or into fresh tables (--table): handlers of a
 * running system cache nothing, but sagas and jobs keep writing while the import runs. Exit status: 0 restored
 * and verified, 1 refused or not matching the backup, 2 could not run.
 */
async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { ...dataTargetCliOptions, force: { type: 'boolean' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError('give one backup directory');
  const directory = positionals[0] ? resolve(positionals[0]) : await newestBackup();
  return withDataTarget(values, async (target) => {
    console.log(
      `Restoring ${directory}\n  into ${target.tableName} and ${target.idempotencyTableName} in ${target.source}`,
    );
    const restored = await restoreTables(
      target.client,
      directory,
      { orders: target.tableName, idempotency: target.idempotencyTableName },
      { force: values.force ?? false },
    );
    for (const table of restored) {
      const kept = table.otherItems > 0 ? `; ${table.otherItems} other item(s) kept` : '';
      console.log(`${tableReportLine(table)}  ${table.created ? 'created, ' : ''}verified${kept}`);
    }
    console.log('Restored: item counts and checksums match the backup.');
    return 0;
  });
}

async function newestBackup(): Promise<string> {
  const names = await readdir(backupsDirectory).catch(() => [] as string[]);
  const newest = names.sort().at(-1);
  if (!newest) throw new UsageError(`no backup under ${backupsDirectory}: name the backup directory`);
  const directory = join(backupsDirectory, newest);
  console.log(`No backup named: using the newest, ${directory}`);
  return directory;
}

runCommand('restore', usage, main, {
  verdict: (error) =>
    error instanceof RestoreRefusedError || error instanceof RestoreVerificationError ? 'refused' : undefined,
  explained: (error) => error instanceof BackupInvalidError,
});
