import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DescribeTableCommand,
  paginateScan,
  type AttributeValue,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { idempotencyTableDesign, ordersTableDesign } from '../../../functions/core/data/table-design';
import { ensureTable, type LocalTableDesign } from '../../runtime/ensure-table';
import type { BackoffOptions } from '../../../functions/core/adapters/backoff-retry';
import { batchWrite, writeBatches } from '../../../functions/core/adapters/dynamodb/batch-operations';

/**
 * Backup and restore of the project's tables through the DynamoDB data plane, against DynamoDB Local or any endpoint
 * the client points at. A backup is a directory: one JSON-lines file per table, each line `{"Item": <item in
 * DynamoDB JSON>}` (the line format of DynamoDB's own export to S3, binary values in base64), and a manifest with
 * each table's item count and SHA-256. Lines are written canonically (attribute names sorted, set members sorted)
 * and sorted, so the file's bytes are the canonical serialization of the table: its SHA-256 (`sha256sum` shows the
 * same) identifies the table's content whatever order a Scan returned the items in.
 */

export type TableRole = 'orders' | 'idempotency';

export const backupFormat = 'orders-table-backup/1';

const designs: Record<TableRole, LocalTableDesign> = {
  orders: ordersTableDesign,
  idempotency: idempotencyTableDesign,
};

export interface BackupTableEntry {
  readonly role: TableRole;
  /** The table the backup was taken from. */
  readonly tableName: string;
  /** The JSON-lines file, relative to the backup directory. */
  readonly file: string;
  readonly itemCount: number;
  /** SHA-256 (hex) of the canonical serialization, which is the file's content. */
  readonly sha256: string;
}

export interface BackupManifest {
  readonly format: typeof backupFormat;
  readonly createdAt: string;
  /** Where the items were read from (an endpoint URL, or `aws` for the SDK's default). */
  readonly source: string;
  readonly tables: readonly BackupTableEntry[];
}

export interface TableDigest {
  readonly itemCount: number;
  readonly sha256: string;
}

export interface RestoredTable extends TableDigest {
  readonly role: TableRole;
  readonly tableName: string;
  readonly created: boolean;
  /** Items the table held besides the backup's (only with `force`); they are kept and not part of the check. */
  readonly otherItems: number;
}

/** The backup cannot be used: missing or unreadable files, a digest that does not match its manifest. */
export class BackupInvalidError extends Error {
  override readonly name = 'BackupInvalidError';
}

/** The target table already holds items and `force` was not given. */
export class RestoreRefusedError extends Error {
  override readonly name = 'RestoreRefusedError';
}

/** After the import the table's count or checksum differs from the backup's. */
export class RestoreVerificationError extends Error {
  override readonly name = 'RestoreVerificationError';
}

type Item = Record<string, AttributeValue>;

export interface BackupOptions {
  /** Parallel Scan segments per table. */
  readonly segments?: number;
  /** Recorded in the manifest. */
  readonly source?: string;
  readonly now?: () => Date;
}

/**
 * Writes every item of the tables into `directory` (created; it must not hold a backup already). The manifest is
 * written last: a directory without one is an interrupted backup, which restore refuses.
 */
export async function backupTables(
  client: DynamoDBClient,
  tables: readonly { readonly role: TableRole; readonly tableName: string }[],
  directory: string,
  options: BackupOptions = {},
): Promise<BackupManifest> {
  await mkdir(directory, { recursive: true });
  if ((await readdir(directory)).length > 0) {
    throw new BackupInvalidError(`${directory} is not empty: back up into a new directory`);
  }
  const entries: BackupTableEntry[] = [];
  for (const { role, tableName } of tables) {
    await assertTableExists(client, tableName);
    const lines = await canonicalLines(client, tableName, options.segments ?? 4);
    const text = serialize(lines);
    const file = `${role}.jsonl`;
    await writeFile(join(directory, file), text, { mode: 0o600 });
    entries.push({ role, tableName, file, itemCount: lines.length, sha256: sha256(text) });
  }
  const manifest: BackupManifest = {
    format: backupFormat,
    createdAt: (options.now ?? (() => new Date()))().toISOString(),
    source: options.source ?? 'aws',
    tables: entries,
  };
  await writeFile(join(directory, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  return manifest;
}

/** Reads a backup's manifest and checks every table file against it (count and SHA-256). */
export async function readBackup(
  directory: string,
): Promise<{ manifest: BackupManifest; items: Map<TableRole, Item[]> }> {
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(await readFile(join(directory, 'manifest.json'), 'utf8')) as BackupManifest;
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'has no manifest.json' : 'has an unreadable manifest';
    throw new BackupInvalidError(`${directory} ${reason} (an interrupted or foreign backup?)`);
  }
  if (manifest.format !== backupFormat || !Array.isArray(manifest.tables)) {
    throw new BackupInvalidError(`${directory}/manifest.json is not a ${backupFormat} manifest`);
  }
  const items = new Map<TableRole, Item[]>();
  for (const entry of manifest.tables) {
    if (!(entry.role in designs))
      throw new BackupInvalidError(`unknown table role ${String(entry.role)} in the manifest`);
    let text: string;
    try {
      text = await readFile(join(directory, entry.file), 'utf8');
    } catch {
      throw new BackupInvalidError(`${entry.file}, listed in the manifest, cannot be read`);
    }
    const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
    if (lines.length !== entry.itemCount || sha256(text) !== entry.sha256) {
      throw new BackupInvalidError(
        `${entry.file} does not match the manifest (${lines.length} items, expected ${entry.itemCount}; ` +
          'or its checksum differs): the backup was changed or truncated',
      );
    }
    items.set(
      entry.role,
      lines.map((line, index) => {
        try {
          return decodeItem((JSON.parse(line) as { Item: unknown }).Item);
        } catch {
          throw new BackupInvalidError(`${entry.file} line ${index + 1} is not an item`);
        }
      }),
    );
  }
  return { manifest, items };
}

export interface RestoreOptions {
  /** Write over a table that already holds items (items with the same key are replaced, others kept). */
  readonly force?: boolean;
  readonly segments?: number;
  /** Concurrent BatchWriteItem requests per table. */
  readonly concurrency?: number;
  /** Attempts per batch while DynamoDB returns unprocessed items (throttling). */
  readonly maxAttempts?: number;
}

/**
 * Imports a backup: each table of the manifest into the table named for its role in `targets` (created from the
 * table design when missing), refusing a table that holds items unless `force`. Items go in with BatchWriteItem,
 * unprocessed items retried with exponential backoff and jitter. Afterwards every target is read back and its
 * count and checksum compared with the manifest's (with `force`: over the backup's keys only).
 */
export async function restoreTables(
  client: DynamoDBClient,
  directory: string,
  targets: Readonly<Partial<Record<TableRole, string>>>,
  options: RestoreOptions = {},
): Promise<RestoredTable[]> {
  const { manifest, items } = await readBackup(directory);
  const plan = manifest.tables.map((entry) => {
    const tableName = targets[entry.role];
    if (!tableName) throw new BackupInvalidError(`no target table for the ${entry.role} table of the backup`);
    return { entry, tableName, items: items.get(entry.role)! };
  });
  // Every target is checked before anything is written, so a refusal leaves all of them as they were.
  const prepared: { created: boolean; nonEmpty: boolean }[] = [];
  for (const { entry, tableName } of plan) {
    const created = (await ensureTable(client, designs[entry.role], tableName)) === 'created';
    const nonEmpty = !created && (await holdsItems(client, tableName));
    if (nonEmpty && !options.force) {
      throw new RestoreRefusedError(
        `${tableName} already holds items: restore into an empty (or missing) table, or pass --force to write ` +
          'the backup over it',
      );
    }
    prepared.push({ created, nonEmpty });
  }
  const results: RestoredTable[] = [];
  for (const [index, { entry, tableName, items: tableItems }] of plan.entries()) {
    await importItems(client, tableName, tableItems, options);
    const design = designs[entry.role];
    const backupKeys = new Set(tableItems.map((item) => keyOf(item, design)));
    const lines = await canonicalLines(client, tableName, options.segments ?? 4, (item) =>
      backupKeys.has(keyOf(item, design)),
    );
    const digest = { itemCount: lines.length, sha256: sha256(serialize(lines)) };
    if (digest.itemCount !== entry.itemCount || digest.sha256 !== entry.sha256) {
      throw new RestoreVerificationError(
        `${tableName} does not match the backup after the import: ${digest.itemCount} items (backup ` +
          `${entry.itemCount}), checksum ${digest.sha256 === entry.sha256 ? 'equal' : 'different'}`,
      );
    }
    const total = prepared[index]!.nonEmpty ? (await tableDigest(client, tableName, options.segments)).itemCount : 0;
    results.push({
      role: entry.role,
      tableName,
      created: prepared[index]!.created,
      ...digest,
      otherItems: Math.max(0, total - digest.itemCount),
    });
  }
  return results;
}

/** The count and checksum a backup of this table would record, without writing one. */
export async function tableDigest(client: DynamoDBClient, tableName: string, segments = 4): Promise<TableDigest> {
  const lines = await canonicalLines(client, tableName, segments);
  return { itemCount: lines.length, sha256: sha256(serialize(lines)) };
}

async function assertTableExists(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') {
      throw new BackupInvalidError(`no table ${tableName} at this endpoint`);
    }
    throw error;
  }
}

async function holdsItems(client: DynamoDBClient, tableName: string): Promise<boolean> {
  // Limit bounds the items evaluated, not returned: a page can come back empty with a LastEvaluatedKey.
  for await (const page of paginateScan({ client }, { TableName: tableName, Limit: 25 })) {
    if ((page.Items ?? []).length > 0) return true;
  }
  return false;
}

/** Every item as a canonical line, sorted: a parallel Scan (Segment/TotalSegments), strongly consistent. */
async function canonicalLines(
  client: DynamoDBClient,
  tableName: string,
  segments: number,
  include: (item: Item) => boolean = () => true,
): Promise<string[]> {
  const lines: string[] = [];
  await Promise.all(
    Array.from({ length: segments }, async (_, segment) => {
      const pages = paginateScan(
        { client },
        { TableName: tableName, Segment: segment, TotalSegments: segments, ConsistentRead: true },
      );
      for await (const page of pages) {
        for (const item of page.Items ?? []) if (include(item)) lines.push(canonicalLine(item));
      }
    }),
  );
  return lines.sort();
}

async function importItems(
  client: DynamoDBClient,
  tableName: string,
  items: readonly Item[],
  options: RestoreOptions,
): Promise<void> {
  const batches = writeBatches(items.map((item): WriteRequest => ({ PutRequest: { Item: item } })));
  let next = 0;
  const worker = async () => {
    while (next < batches.length) await batchWrite(client, tableName, batches[next++]!, restoreBackoff(options));
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, batches.length) }, worker));
}

/** Exponential backoff with full jitter (100 ms doubling, at most 5 s): throttled writes spread out. */
function restoreBackoff(options: RestoreOptions): BackoffOptions {
  return { attempts: options.maxAttempts ?? 10, initialDelayMs: 100, maxDelayMs: 5000 };
}

function keyOf(item: Item, design: LocalTableDesign): string {
  const names = [design.partitionKey, ...(design.sortKey ? [design.sortKey] : [])];
  return JSON.stringify(names.map((name) => canonicalValue(item[name])));
}

function serialize(sortedLines: readonly string[]): string {
  return sortedLines.map((line) => `${line}\n`).join('');
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** One item as a line of the backup: `{"Item": ...}` with attribute names sorted and set members sorted. */
export function canonicalLine(item: Item): string {
  return JSON.stringify({ Item: canonicalMap(item) });
}

function canonicalMap(map: Record<string, AttributeValue>): Record<string, unknown> {
  return Object.fromEntries(
    Object.keys(map)
      .sort()
      .map((name) => [name, canonicalValue(map[name])]),
  );
}

/** An attribute value in DynamoDB JSON that JSON can carry: binary as base64, sets sorted (they have no order). */
function canonicalValue(value: AttributeValue | undefined): unknown {
  if (!value) return null;
  if (value.S !== undefined) return { S: value.S };
  if (value.N !== undefined) return { N: value.N };
  if (value.BOOL !== undefined) return { BOOL: value.BOOL };
  if (value.NULL !== undefined) return { NULL: true };
  if (value.B !== undefined) return { B: Buffer.from(value.B).toString('base64') };
  if (value.SS !== undefined) return { SS: [...value.SS].sort() };
  if (value.NS !== undefined) return { NS: [...value.NS].sort() };
  if (value.BS !== undefined) return { BS: value.BS.map((member) => Buffer.from(member).toString('base64')).sort() };
  if (value.L !== undefined) return { L: value.L.map(canonicalValue) };
  if (value.M !== undefined) return { M: canonicalMap(value.M) };
  throw new Error(`unsupported attribute value ${JSON.stringify(value)}`);
}

function decodeItem(json: unknown): Item {
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new Error('not an item');
  return Object.fromEntries(Object.entries(json).map(([name, value]) => [name, decodeValue(value)]));
}

function decodeValue(json: unknown): AttributeValue {
  if (!json || typeof json !== 'object') throw new Error('not an attribute value');
  const value = json as Record<string, unknown>;
  if (typeof value.S === 'string') return { S: value.S };
  if (typeof value.N === 'string') return { N: value.N };
  if (typeof value.BOOL === 'boolean') return { BOOL: value.BOOL };
  if (value.NULL === true) return { NULL: true };
  if (typeof value.B === 'string') return { B: Buffer.from(value.B, 'base64') };
  if (Array.isArray(value.SS)) return { SS: value.SS.map(String) };
  if (Array.isArray(value.NS)) return { NS: value.NS.map(String) };
  if (Array.isArray(value.BS)) return { BS: value.BS.map((member) => Buffer.from(String(member), 'base64')) };
  if (Array.isArray(value.L)) return { L: value.L.map(decodeValue) };
  if (value.M && typeof value.M === 'object') return { M: decodeItem(value.M) };
  throw new Error('not an attribute value');
}
