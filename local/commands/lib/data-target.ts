import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startDynamoDbLocal } from '../../emulators/dynamodb-local';
import { LocalSystemNotRunningError, readRuntimeFile, runtimeFilePath } from '../../runtime/runtime-file';

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
