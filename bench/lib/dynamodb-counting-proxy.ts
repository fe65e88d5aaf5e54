import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { crc32 } from 'node:zlib';
import { idempotencyTableDesign, ordersTableDesign } from '../../functions/core/data/table-design';
import { attributeBytes, type WireItem } from './item-size';
import { takeOrigin } from './traffic-origin';

/**
 * A counting HTTP proxy on 127.0.0.1 in front of DynamoDB Local. The local runtime points every handler at it
 * (startLocalRuntime's `dynamoDbEndpoint`), so it sees each DynamoDB request the system makes without any change to
 * handler code. It asks DynamoDB for the consumed capacity of every operation that can report it (adding
 * `ReturnConsumedCapacity: "TOTAL"` unless the caller asked for more), records operation, table, capacity, timing
 * and origin (traffic-origin.ts), and hands the caller the answer it would have got without the proxy: capacity the
 * caller did not ask for is removed again and the CRC32 header recomputed.
 *
 * With `measureItems(true)` it also records each write's actions (Put, Update, Delete, ConditionCheck) with the key
 * and the size of every attribute of the item written: a Put's from the request, an Update's by reading the item
 * right after the write, a Delete's by reading it right before. Those reads go straight to DynamoDB Local, are not
 * recorded, and delay the caller: measure items in a window of its own, never one whose timing is reported.
 */

/** Operations that accept ReturnConsumedCapacity (DynamoDB API reference). */
const capacityOperations = new Set([
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'Query',
  'Scan',
  'BatchGetItem',
  'BatchWriteItem',
  'TransactGetItems',
  'TransactWriteItems',
  'ExecuteStatement',
  'BatchExecuteStatement',
  'ExecuteTransaction',
]);
const writeOperations = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);
const conditionalWriteOperations = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);

/** One item write of a request (the only one of a PutItem, UpdateItem or DeleteItem; each action of a transaction). */
export interface WriteAction {
  readonly action: 'Put' | 'Update' | 'Delete' | 'ConditionCheck';
  readonly table: string;
  /** The item's key attributes (wire format). */
  readonly key: WireItem;
  /**
   * Bytes of each top-level attribute (name + value) of the item as written (before the write for a Delete); absent
   * when items were not measured, or the item was not there to read.
   */
  readonly attributes?: Readonly<Record<string, number>>;
}

export interface DynamoDbRequestRecord {
  readonly operation: string;
  /** The function that sent it (`api:<route>`, `saga:<function>`, ...) or `unattributed`. */
  readonly origin: string;
  /** Tables named in the request (one for item operations, several for batches and transactions). */
  readonly tables: readonly string[];
  readonly status: number;
  readonly errorType?: string;
  /** Read and write units as DynamoDB Local reports them, per table. */
  readonly readUnits: Readonly<Record<string, number>>;
  readonly writeUnits: Readonly<Record<string, number>>;
  /**
   * Of those write units, each global index's share (recorded while items are measured, which asks for INDEXES): an
   * index entry written, updated or moved costs write units of its own.
   */
  readonly indexWriteUnits?: Readonly<Record<string, number>>;
  /** ConditionCheck actions of a TransactWriteItems (DynamoDB Local reports no capacity for them). */
  readonly conditionChecks: number;
  /** A conditional write that failed: DynamoDB Local reports no capacity, AWS bills the write. */
  readonly failedConditionalWrite: boolean;
  /** The item writes of a write request, recorded while `measureItems` is on. */
  readonly actions?: readonly WriteAction[];
  readonly startedAt: number;
  readonly endedAt: number;
}

export interface CountingProxy {
  readonly endpoint: string;
  readonly port: number;
  /** Records since the last `reset` (or since the start). */
  records(): readonly DynamoDbRequestRecord[];
  reset(): void;
  /** Records each write's actions and item sizes from now on (true) or no more (false): see above. */
  measureItems(on: boolean): void;
  stop(): Promise<void>;
}

interface Capacity {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

interface CapacityEntry extends Capacity {
  TableName?: string;
  /** With ReturnConsumedCapacity INDEXES: the base table's and each index's share. */
  Table?: Capacity;
  GlobalSecondaryIndexes?: Record<string, Capacity>;
  LocalSecondaryIndexes?: Record<string, Capacity>;
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  let recorded: DynamoDbRequestRecord[] = [];
  let measuring = false;

  const server = createServer((request, response) => {
    forward(request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/plain' });
      response.end(`counting proxy: ${String(error)}`);
    });
  });

  async function forward(request: IncomingMessage, response: ServerResponse) {
    const startedAt = performance.now();
    const requestBody = await readAll(request);
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = target.replace(/^DynamoDB_\d+\./, '') || 'unknown';
    const origin = takeOrigin(request.headers);

    let payload: Record<string, unknown> | undefined;
    try {
      payload = JSON.parse(requestBody.toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      payload = undefined;
    }
    const callerAsked = payload?.ReturnConsumedCapacity;
    const injected = payload !== undefined && capacityOperations.has(operation) && callerAsked !== 'INDEXES';
    let body = requestBody;
    // While items are measured, writes report each index's share as well (INDEXES): the write breakdown needs it.
    const asked = measuring && writeOperations.has(operation) ? 'INDEXES' : 'TOTAL';
    if (injected && payload) {
      payload.ReturnConsumedCapacity = asked;
      body = Buffer.from(JSON.stringify(payload));
    }

    const headers = { ...request.headers, 'content-length': String(body.length), host: upstream.host };
    const send = (outgoingHeaders: Record<string, string | string[] | undefined>, outgoingBody: Buffer) =>
      new Promise<IncomingMessage>((resolve, reject) => {
        const outgoing = httpRequest(
          {
            host: upstream.hostname,
            port: upstream.port,
            method: request.method,
            path: request.url,
            headers: outgoingHeaders,
          },
          resolve,
        );
        outgoing.on('error', reject);
        outgoing.end(outgoingBody);
      });
    // The item as stored now (wire format), read with the caller's credentials (DynamoDB Local keeps a database per
    // access key); undefined when it is not there.
    const readItem = async (table: string, key: WireItem): Promise<WireItem | undefined> => {
      const getBody = Buffer.from(JSON.stringify({ TableName: table, Key: key, ConsistentRead: true }));
      // The caller's headers with a body of our own (DynamoDB Local does not check signatures).
      const getHeaders: Record<string, string | string[] | undefined> = {
        ...headers,
        'x-amz-target': 'DynamoDB_20120810.GetItem',
        'content-length': String(getBody.length),
      };
      delete getHeaders['amz-sdk-invocation-id'];
      const got = await send(getHeaders, getBody);
      const parsed = JSON.parse((await readAll(got)).toString('utf8') || '{}') as { Item?: WireItem };
      return parsed.Item;
    };
    const actions = measuring && writeOperations.has(operation) ? writeActionsOf(operation, payload) : undefined;
    const measured = new Map<number, Readonly<Record<string, number>>>();
    const measure = async (index: number, item: WireItem | undefined) => {
      if (item) measured.set(index, Object.fromEntries(attributeBytes(item)));
    };
    if (actions) {
      await Promise.all(
        actions.map((action, index) =>
          action.action === 'Put'
            ? measure(index, action.item)
            : action.action === 'Delete'
              ? readItem(action.table, action.key).then((item) => measure(index, item))
              : undefined,
        ),
      );
    }
    const answer = await send(headers, body);
    const answerBody = await readAll(answer);
    if (actions && (answer.statusCode ?? 500) < 300) {
      await Promise.all(
        actions.map((action, index) =>
          action.action === 'Update'
            ? readItem(action.table, action.key).then((item) => measure(index, item))
            : undefined,
        ),
      );
    }
    let responseBody = answerBody;
    let consumed: CapacityEntry[] = [];
    let errorType: string | undefined;
    try {
      const parsed = JSON.parse(answerBody.toString('utf8') || '{}') as Record<string, unknown>;
      if ((answer.statusCode ?? 500) >= 400) errorType = String(parsed.__type ?? '').replace(/^.*#/, '');
      const capacity = parsed.ConsumedCapacity as CapacityEntry | CapacityEntry[] | undefined;
      consumed = capacity === undefined ? [] : Array.isArray(capacity) ? capacity : [capacity];
      if (injected && (callerAsked === undefined || callerAsked === 'NONE') && capacity !== undefined) {
        delete parsed.ConsumedCapacity;
        responseBody = Buffer.from(JSON.stringify(parsed));
      } else if (injected && asked === 'INDEXES' && callerAsked === 'TOTAL' && capacity !== undefined) {
        // The caller gets TOTAL as it asked; the record keeps the index shares (a copy taken before they go).
        const answered = consumed;
        consumed = structuredClone(consumed);
        for (const entry of answered) {
          delete entry.Table;
          delete entry.GlobalSecondaryIndexes;
          delete entry.LocalSecondaryIndexes;
        }
        responseBody = Buffer.from(JSON.stringify(parsed));
      }
    } catch {
      // Not JSON (should not happen with DynamoDB): pass it through untouched.
    }

    const readUnits: Record<string, number> = {};
    const writeUnits: Record<string, number> = {};
    const indexWriteUnits: Record<string, number> = {};
    for (const entry of consumed) {
      if (writeOperations.has(operation)) {
        for (const [index, units] of Object.entries(entry.GlobalSecondaryIndexes ?? {})) {
          indexWriteUnits[index] =
            (indexWriteUnits[index] ?? 0) + (units.WriteCapacityUnits ?? units.CapacityUnits ?? 0);
        }
      }
      const table = entry.TableName ?? 'unknown';
      const total = entry.CapacityUnits ?? 0;
      // TOTAL names only CapacityUnits; which kind they are follows from the operation.
      const reads = entry.ReadCapacityUnits ?? (writeOperations.has(operation) ? 0 : total);
      const writes = entry.WriteCapacityUnits ?? (writeOperations.has(operation) ? total : 0);
      readUnits[table] = (readUnits[table] ?? 0) + reads;
      writeUnits[table] = (writeUnits[table] ?? 0) + writes;
    }
    // The outbox relay's stream reads are the event source mapping's polling in AWS: free, and no handler's work.
    const recordedHere = target.startsWith('DynamoDBStreams_') ? [] : recorded;
    recordedHere.push({
      operation,
      origin,
      tables: tablesOf(operation, payload),
      status: answer.statusCode ?? 0,
      ...(errorType ? { errorType } : {}),
      readUnits,
      writeUnits,
      conditionChecks: conditionChecksOf(operation, payload),
      failedConditionalWrite:
        errorType === 'ConditionalCheckFailedException' && conditionalWriteOperations.has(operation),
      ...(Object.keys(indexWriteUnits).length ? { indexWriteUnits } : {}),
      ...(actions
        ? {
            actions: actions.map(({ action, table, key }, index) => ({
              action,
              table,
              key,
              ...(measured.has(index) ? { attributes: measured.get(index)! } : {}),
            })),
          }
        : {}),
      startedAt,
      endedAt: performance.now(),
    });

    const outHeaders: Record<string, string | string[] | undefined> = {
      ...answer.headers,
      'content-length': String(responseBody.length),
    };
    if (responseBody !== answerBody && outHeaders['x-amz-crc32'] !== undefined) {
      outHeaders['x-amz-crc32'] = String(crc32(responseBody));
    }
    response.writeHead(answer.statusCode ?? 502, outHeaders);
    response.end(responseBody);
  }

  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address && typeof address === 'object') resolve(address.port);
      else reject(new Error('counting proxy has no address'));
    });
  });
  server.keepAliveTimeout = 30_000;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    records: () => recorded,
    reset: () => {
      recorded = [];
    },
    measureItems: (on) => {
      measuring = on;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function tablesOf(operation: string, payload: Record<string, unknown> | undefined): string[] {
  if (!payload) return [];
  if (typeof payload.TableName === 'string') return [payload.TableName];
  if (payload.RequestItems && typeof payload.RequestItems === 'object') return Object.keys(payload.RequestItems);
  if (Array.isArray(payload.TransactItems)) {
    const names = (payload.TransactItems as Record<string, { TableName?: string }>[]).flatMap((item) =>
      Object.values(item).map((action) => action.TableName ?? 'unknown'),
    );
    return [...new Set(names)];
  }
  return [operation === 'ListTables' ? '*' : 'unknown'];
}

function conditionChecksOf(operation: string, payload: Record<string, unknown> | undefined): number {
  if (operation !== 'TransactWriteItems' || !Array.isArray(payload?.TransactItems)) return 0;
  return (payload.TransactItems as Record<string, unknown>[]).filter((item) => 'ConditionCheck' in item).length;
}

const keyAttributes = [ordersTableDesign.partitionKey, ordersTableDesign.sortKey, idempotencyTableDesign.partitionKey];

/** The key attributes of an item (the tables' key names are not shared by any other attribute). */
function keyOf(item: WireItem): WireItem {
  return Object.fromEntries(keyAttributes.filter((name) => name in item).map((name) => [name, item[name]!]));
}

type PendingAction = Omit<WriteAction, 'attributes'> & { readonly item?: WireItem };

/** The item writes a write request asks for, in request order. */
function writeActionsOf(operation: string, payload: Record<string, unknown> | undefined): PendingAction[] {
  if (!payload) return [];
  const table = String(payload.TableName ?? 'unknown');
  const item = payload.Item as WireItem | undefined;
  const key = payload.Key as WireItem | undefined;
  switch (operation) {
    case 'PutItem':
      return item ? [{ action: 'Put', table, key: keyOf(item), item }] : [];
    case 'UpdateItem':
      return key ? [{ action: 'Update', table, key }] : [];
    case 'DeleteItem':
      return key ? [{ action: 'Delete', table, key }] : [];
    case 'TransactWriteItems':
      return ((payload.TransactItems ?? []) as Record<string, Record<string, unknown>>[]).flatMap((entry) =>
        Object.entries(entry).map(([action, body]): PendingAction => {
          const actionTable = String(body.TableName ?? 'unknown');
          const actionItem = body.Item as WireItem | undefined;
          return {
            action: action as WriteAction['action'],
            table: actionTable,
            key: actionItem ? keyOf(actionItem) : ((body.Key ?? {}) as WireItem),
            ...(actionItem ? { item: actionItem } : {}),
          };
        }),
      );
    case 'BatchWriteItem':
      return Object.entries(
        (payload.RequestItems ?? {}) as Record<string, Record<string, { Item?: WireItem; Key?: WireItem }>[]>,
      ).flatMap(([batchTable, requests]) =>
        requests.map((entry): PendingAction => {
          const put = entry.PutRequest?.Item;
          return put
            ? { action: 'Put', table: batchTable, key: keyOf(put), item: put }
            : { action: 'Delete', table: batchTable, key: entry.DeleteRequest?.Key ?? {} };
        }),
      );
    default:
      return [];
  }
}

async function readAll(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
