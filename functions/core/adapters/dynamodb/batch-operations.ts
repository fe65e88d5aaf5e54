import { BatchWriteItemCommand, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { handleWhenResult } from 'cockatiel';
import { backoffRetry, type BackoffOptions } from '../backoff-retry';

type Item = Record<string, unknown>;

/** BatchGetItem takes at most 100 keys per request, BatchWriteItem 25 writes. */
const batchGetLimit = 100;
const batchWriteLimit = 25;

/**
 * Five requests per batch, the retries [0, 40), [0, 80), [0, 160) and [0, 320) ms apart: keys that DynamoDB leaves
 * unprocessed under load are asked for again after a short pause, and a table that stays throttled fails the read
 * quickly enough for the caller's own retry (the saga's, the client's) to take over.
 */
export const batchGetBackoff: BackoffOptions = { attempts: 5, initialDelayMs: 40, maxDelayMs: 320 };

/**
 * BatchGetItem over any number of keys: 100 per request, keys left unprocessed asked for again with backoff. The
 * items come back in no particular order; keys without an item are absent.
 */
export async function batchGetAll(
  client: DynamoDBDocumentClient,
  tableName: string,
  keyList: readonly Item[],
  consistent: boolean,
  backoff: BackoffOptions = batchGetBackoff,
): Promise<Item[]> {
  const found: Item[] = [];
  const policy = backoffRetry(
    backoff,
    handleWhenResult((pending) => (pending as Item[]).length > 0),
  );
  for (let start = 0; start < keyList.length; start += batchGetLimit) {
    let pending: Item[] = keyList.slice(start, start + batchGetLimit);
    const left = await policy.execute(async () => {
      const { Responses, UnprocessedKeys } = await client.send(
        new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: consistent } } }),
      );
      found.push(...(Responses?.[tableName] ?? []));
      pending = (UnprocessedKeys?.[tableName]?.Keys as Item[] | undefined) ?? [];
      return pending;
    });
    if (left.length > 0) {
      throw new Error(
        `BatchGet left ${left.length} key(s) of ${tableName} unprocessed after ${backoff.attempts} attempts`,
      );
    }
  }
  return found;
}

/**
 * The table's items behind a page of index entries, in the page's order. The indexes project keys (and what their
 * queries filter on) only, so a listing reads its items with one BatchGetItem per 100 entries; an item deleted
 * since the index was read is left out.
 */
export async function itemsBehindIndexEntries(
  client: DynamoDBDocumentClient,
  tableName: string,
  entries: readonly Item[],
  consistent = false,
): Promise<Item[]> {
  if (entries.length === 0) return [];
  const keyOf = (item: Item) => `${String(item.PK)}\u0000${String(item.SK)}`;
  const found = await batchGetAll(
    client,
    tableName,
    entries.map((entry) => ({ PK: entry.PK, SK: entry.SK })),
    consistent,
  );
  const byKey = new Map(found.map((item) => [keyOf(item), item]));
  return entries.flatMap((entry): Item[] => {
    const item = byKey.get(keyOf(entry));
    return item ? [item] : [];
  });
}

/** Splits writes into BatchWriteItem-sized requests. */
export function writeBatches<T>(writes: readonly T[]): T[][] {
  const batches: T[][] = [];
  for (let start = 0; start < writes.length; start += batchWriteLimit) {
    batches.push(writes.slice(start, start + batchWriteLimit));
  }
  return batches;
}

/**
 * One BatchWriteItem request of at most 25 writes, the writes DynamoDB leaves unprocessed (throttling) sent again
 * with backoff until none are left or the attempts run out.
 */
export async function batchWrite(
  client: DynamoDBClient,
  tableName: string,
  batch: readonly WriteRequest[],
  backoff: BackoffOptions,
): Promise<void> {
  let pending = [...batch];
  const policy = backoffRetry(
    backoff,
    handleWhenResult((left) => (left as WriteRequest[]).length > 0),
  );
  const left = await policy.execute(async () => {
    const { UnprocessedItems } = await client.send(
      new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }),
    );
    pending = UnprocessedItems?.[tableName] ?? [];
    return pending;
  });
  if (left.length > 0) {
    throw new Error(`${left.length} item(s) still unprocessed by ${tableName} after ${backoff.attempts} attempts`);
  }
}
