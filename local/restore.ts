import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { JavaMissingError } from './dynamodb-local';
import {
  backupsDirectory,
  dataTargetCliHelp,
  dataTargetCliOptions,
  dataTargetOptionsFrom,
  openDataTarget,
} from './local-data-target';
import { LocalSystemNotRunningError } from './runtime-file';
import { BackupInvalidError, restoreTables, RestoreRefusedError, RestoreVerificationError } from './table-backup';

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
  const target = await openDataTarget(dataTargetOptionsFrom(values));
  try {
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
      console.log(
        `  ${table.tableName.padEnd(36)} ${String(table.itemCount).padStart(8)} items  sha256 ${table.sha256}  ` +
          `${table.created ? 'created, ' : ''}verified${table.otherItems > 0 ? `; ${table.otherItems} other item(s) kept` : ''}`,
      );
    }
    console.log('Restored: item counts and checksums match the backup.');
    return 0;
  } finally {
    await target.close();
  }
}

async function newestBackup(): Promise<string> {
  const names = await readdir(backupsDirectory).catch(() => [] as string[]);
  const newest = names.sort().at(-1);
  if (!newest) throw new UsageError(`no backup under ${backupsDirectory}: name the backup directory`);
  const directory = join(backupsDirectory, newest);
  console.log(`No backup named: using the newest, ${directory}`);
  return directory;
}

class UsageError extends Error {}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if ((error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS') || error instanceof UsageError) {
      console.error(`${(error as Error).message}\n\n${usage}`);
      process.exit(2);
    }
    if (error instanceof RestoreRefusedError || error instanceof RestoreVerificationError) {
      console.error(`restore refused: ${error.message}`);
      process.exit(1);
    }
    if (
      error instanceof BackupInvalidError ||
      error instanceof LocalSystemNotRunningError ||
      error instanceof JavaMissingError
    ) {
      console.error(`restore failed: ${error.message}`);
    } else {
      console.error('restore failed:', error);
    }
    process.exit(2);
  },
);
