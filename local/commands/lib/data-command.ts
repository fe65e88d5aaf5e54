import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { JavaMissingError, startDynamoDbLocal } from '../../emulators/dynamodb-local';
import { LocalSystemNotRunningError, readRuntimeFile, runtimeFilePath } from '../../runtime/runtime-file';
import type { TableDigest } from './table-backup';

/**
 * What the commands that work on the offline runtime's tables (`npm run migrate`, `backup`, `restore`) share: which
 * DynamoDB and tables they open, their common options, how a failure becomes a message and an exit status, and how
 * a table is reported.
 */

// Operator commands run on the machine's Node (20 here); the SDK's notice that its 2027 releases need Node 22 is
// documented in the README and would otherwise precede every command's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** The orders table of `npm start` (local/runtime/local-runtime.ts); its idempotency table is `<name>-idempotency`. */
export const localTableName = 'orders-local';
/** Where `npm run backup` writes backups unless --out says otherwise: one directory per backup, named by its time. */
export const backupsDirectory = join(resolve(__dirname, '..', '..', '..'), '.local-data', 'backups');
/** Where `npm start` keeps DynamoDB Local's files by default. */
export const persistedDynamoDbDirectory = join(resolve(__dirname, '..', '..', '..'), '.local-data', 'dynamodb');

export interface DataTargetOptions {
  /** A DynamoDB endpoint to use as it is (DynamoDB Local elsewhere, or any other). */
  readonly endpoint?: string;
  readonly table?: string;
  readonly idempotencyTable?: string;
  /** The runtime file of a running `npm start` (its default location when absent). */
  readonly runtimeFile?: string;
  /** DynamoDB Local's data directory to open when no system is running (`.local-data/dynamodb`). */
  readonly dataDirectory?: string;
}

export interface DataTarget {
  readonly client: DynamoDBClient;
  readonly endpoint: string;
  readonly tableName: string;
  readonly idempotencyTableName: string;
  /** Where the endpoint came from, for messages. */
  readonly source: string;
  /** Closes the client, and stops DynamoDB Local if it was started for this command. */
  close(): Promise<void>;
}

/**
 * Finds the DynamoDB that local data commands (migrate, backup, restore) work on: the endpoint given, else the one
 * a running `npm start` wrote into its runtime file, else the persisted data of the offline runtime, opened with a
 * DynamoDB Local started for the command (and stopped after it). Never both: while `npm start` runs, its own
 * DynamoDB Local owns the data files.
 */
export async function openDataTarget(options: DataTargetOptions): Promise<DataTarget> {
  const named = (defaultTable: string) => {
    const tableName = options.table ?? defaultTable;
    return { tableName, idempotencyTableName: options.idempotencyTable ?? `${tableName}-idempotency` };
  };
  if (options.endpoint) {
    const client = clientFor(options.endpoint);
    return {
      client,
      endpoint: options.endpoint,
      ...named(localTableName),
      source: '--endpoint',
      close: async () => client.destroy(),
    };
  }
  try {
    const running = await readRuntimeFile(options.runtimeFile ?? runtimeFilePath);
    const client = clientFor(running.dynamoDbEndpoint);
    return {
      client,
      endpoint: running.dynamoDbEndpoint,
      ...named(running.tableName),
      source: `the running npm start (process ${running.pid})`,
      close: async () => client.destroy(),
    };
  } catch (error) {
    // An explicitly named runtime file must work; the default one is simply absent when nothing runs.
    if (!(error instanceof LocalSystemNotRunningError) || options.runtimeFile) throw error;
  }
  const dataDirectory = resolve(options.dataDirectory ?? persistedDynamoDbDirectory);
  const dynamoDb = await startDynamoDbLocal({ inMemory: false, port: 0, dataDirectory });
  const client = clientFor(dynamoDb.endpoint);
  return {
    client,
    endpoint: dynamoDb.endpoint,
    ...named(localTableName),
    source: `the persisted data in ${dataDirectory} (npm start is not running)`,
    close: async () => {
      client.destroy();
      await dynamoDb.stop();
    },
  };
}

function clientFor(endpoint: string): DynamoDBClient {
  const loopback = /^https?:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?(\/|$)/.test(endpoint);
  return new DynamoDBClient({
    endpoint,
    region: process.env.AWS_REGION ?? 'us-east-1',
    // DynamoDB Local accepts any credentials; anything else gets the SDK's own chain.
    ...(loopback ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
}

/** The command-line options every local data command takes, for `parseArgs`. */
export const dataTargetCliOptions = {
  endpoint: { type: 'string' },
  table: { type: 'string' },
  'idempotency-table': { type: 'string' },
  'runtime-file': { type: 'string' },
  'data-dir': { type: 'string' },
} as const;

export const dataTargetCliHelp = `  --endpoint <url>              another DynamoDB endpoint (default: the running npm start's, else the persisted data)
  --table <name>                the orders table (default: the running system's, else ${localTableName})
  --idempotency-table <name>    the idempotency table (default: <orders table>-idempotency)
  --runtime-file <path>         another running system's runtime file (npm start -- --data-dir <dir>: <dir>/runtime.json)
  --data-dir <path>             DynamoDB Local's data directory when nothing runs (default .local-data/dynamodb)`;

export function dataTargetOptionsFrom(values: {
  readonly endpoint?: string | undefined;
  readonly table?: string | undefined;
  readonly 'idempotency-table'?: string | undefined;
  readonly 'runtime-file'?: string | undefined;
  readonly 'data-dir'?: string | undefined;
}): DataTargetOptions {
  return {
    ...(values.endpoint ? { endpoint: values.endpoint } : {}),
    ...(values.table ? { table: values.table } : {}),
    ...(values['idempotency-table'] ? { idempotencyTable: values['idempotency-table'] } : {}),
    ...(values['runtime-file'] ? { runtimeFile: values['runtime-file'] } : {}),
    ...(values['data-dir'] ? { dataDirectory: values['data-dir'] } : {}),
  };
}

/** The command line cannot run as given: its message is printed with the usage, exit status 2. */
export class UsageError extends Error {}

/** A table's line in the backup and restore reports: its name, item count and checksum, in aligned columns. */
export function tableReportLine(table: TableDigest & { readonly tableName: string }): string {
  return `  ${table.tableName.padEnd(36)} ${String(table.itemCount).padStart(8)} items  sha256 ${table.sha256}`;
}

/**
 * Opens the tables the command line names (--endpoint, --table, …: see openDataTarget), runs `work` on them and
 * closes them again, stopping the DynamoDB Local started for the command if there is one.
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

export interface CommandFailures {
  /**
   * Recognizes the failures that are the data's answer rather than a fault (a restore refused or not matching the
   * backup, a migration that failed or changed): the word their message starts with, for exit status 1.
   */
  readonly verdict?: (error: unknown) => 'refused' | 'stopped' | undefined;
  /** Further failures the operator can act on from their message alone (an invalid backup). */
  readonly explained?: (error: unknown) => boolean;
}

/**
 * Runs a command's `main` and exits with the status it returns, or with the one its failure stands for:
 * - a bad command line (parseArgs' errors, UsageError): the message and the usage, 2;
 * - a failure `verdict` recognizes: `<command> refused: …` (or `stopped`), 1;
 * - a failure the operator can act on from its message alone (`explained`, no running system to reach, no Java for
 *   DynamoDB Local): `<command> failed: …`, 2;
 * - anything else: `<command> failed:` with the whole error, stack included, 2.
 */
export function runCommand(
  command: string,
  usage: string,
  main: () => Promise<number>,
  failures: CommandFailures = {},
): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      if ((error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS') || error instanceof UsageError) {
        console.error(`${(error as Error).message}\n\n${usage}`);
        process.exit(2);
      }
      const verdict = failures.verdict?.(error);
      if (verdict) {
        console.error(`${command} ${verdict}: ${(error as Error).message}`);
        process.exit(1);
      }
      if (
        failures.explained?.(error) ||
        error instanceof LocalSystemNotRunningError ||
        error instanceof JavaMissingError
      ) {
        console.error(`${command} failed: ${(error as Error).message}`);
      } else {
        console.error(`${command} failed:`, error);
      }
      process.exit(2);
    },
  );
}
