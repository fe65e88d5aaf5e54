import { JavaMissingError } from '../../emulators/dynamodb-local';
import { type DataTarget, dataTargetOptionsFrom, openDataTarget } from './data-target';
import { LocalSystemNotRunningError } from '../../runtime/runtime-file';
import { BackupInvalidError, RestoreRefusedError, RestoreVerificationError, type TableDigest } from './table-backup';

/**
 * What `npm run backup` (local/backup.ts) and `npm run restore` (local/restore.ts) share as command-line programs:
 * opening and closing the tables they work on, how a failure becomes a message and an exit status, and how a table
 * is reported.
 */

/** The command line cannot run as given: its message is printed with the usage, exit status 2. */
export class UsageError extends Error {}

/** A table's line in either command's report: its name, item count and checksum, in aligned columns. */
export function tableReportLine(table: TableDigest & { readonly tableName: string }): string {
  return `  ${table.tableName.padEnd(36)} ${String(table.itemCount).padStart(8)} items  sha256 ${table.sha256}`;
}

/**
 * Opens the tables the command line names (--endpoint, --table, …: see local-data-target.ts), runs `work` on them
 * and closes them again, stopping the DynamoDB Local started for the command if there is one.
 */
export async function withDataTarget<T>(
  values: Parameters<typeof dataTargetOptionsFrom>[0],
  work: (target: DataTarget) => Promise<T>,
): Promise<T> {
  const target = await openDataTarget(dataTargetOptionsFrom(values));
  try {
    return await work(target);
  } finally {
    await target.close();
  }
}

/**
 * Runs a command's `main` and exits with the status it returns, or with the one its failure stands for:
 * - a bad command line (parseArgs' errors, UsageError): the message and the usage, 2;
 * - tables refused or not matching the backup (only restore throws these): `<command> refused: …`, 1;
 * - a failure the operator can act on from its message alone (an invalid backup, no running system to reach,
 *   no Java for DynamoDB Local): `<command> failed: …`, 2;
 * - anything else: `<command> failed:` with the whole error, stack included, 2.
 */
export function runTableBackupCommand(command: 'backup' | 'restore', usage: string, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      if ((error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS') || error instanceof UsageError) {
        console.error(`${(error as Error).message}\n\n${usage}`);
        process.exit(2);
      }
      if (error instanceof RestoreRefusedError || error instanceof RestoreVerificationError) {
        console.error(`${command} refused: ${error.message}`);
        process.exit(1);
      }
      if (
        error instanceof BackupInvalidError ||
        error instanceof LocalSystemNotRunningError ||
        error instanceof JavaMissingError
      ) {
        console.error(`${command} failed: ${error.message}`);
      } else {
        console.error(`${command} failed:`, error);
      }
      process.exit(2);
    },
  );
}
