import { paginateQuery, paginateScan } from '@aws-sdk/lib-dynamodb';
import type {
  DynamoDBDocumentClient,
  QueryCommandInput,
  QueryCommandOutput,
  ScanCommandInput,
  ScanCommandOutput,
} from '@aws-sdk/lib-dynamodb';

export type Item = Record<string, unknown>;

/**
 * Every page of a query, in order, until DynamoDB returns no LastEvaluatedKey. The input is copied because the
 * paginator writes each page's start key into the object it is given. Leaving the loop early stops the reads.
 */
export function queryPages(
  client: DynamoDBDocumentClient,
  input: QueryCommandInput,
): AsyncIterable<QueryCommandOutput> {
  return paginateQuery({ client }, { ...input });
}

export function scanPages(client: DynamoDBDocumentClient, input: ScanCommandInput): AsyncIterable<ScanCommandOutput> {
  return paginateScan({ client }, { ...input });
}

/** Every item a query matches, read page by page. */
export async function queryAll(client: DynamoDBDocumentClient, input: QueryCommandInput): Promise<Item[]> {
  const items: Item[] = [];
  for await (const page of queryPages(client, input)) items.push(...(page.Items ?? []));
  return items;
}

/**
 * A parallel Scan: `segments` segments (Segment / TotalSegments) read at the same time, each page by page; every
 * item goes to `accept` as its page arrives, one at a time within a segment.
 */
export async function scanSegments(
  client: DynamoDBDocumentClient,
  input: Omit<ScanCommandInput, 'Segment' | 'TotalSegments'>,
  segments: number,
  accept: (item: Item) => void | Promise<void>,
): Promise<void> {
  await Promise.all(
    Array.from({ length: segments }, async (_, segment) => {
      for await (const page of scanPages(client, { ...input, Segment: segment, TotalSegments: segments })) {
        for (const item of page.Items ?? []) await accept(item);
      }
    }),
  );
}

/** Every item of a Scan, read page by page (operator tools and tests: no request path scans). */
export async function scanAll(client: DynamoDBDocumentClient, input: ScanCommandInput): Promise<Item[]> {
  const items: Item[] = [];
  for await (const page of scanPages(client, input)) items.push(...(page.Items ?? []));
  return items;
}

/** The items of one partition whose sort key starts with `prefix` (an order's history or holds, a product's movements), strongly consistent. */
export function queryPartitionPrefix(
  client: DynamoDBDocumentClient,
  tableName: string,
  partitionKey: string,
  prefix: string,
): Promise<Item[]> {
  return queryAll(client, {
    TableName: tableName,
    KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
    ExpressionAttributeValues: { ':pk': partitionKey, ':prefix': prefix },
    ConsistentRead: true,
  });
}
