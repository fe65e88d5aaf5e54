import { keys, ordersTableDesign } from '../../functions/core/data/table-design';
import { transitionEventTypes } from '../../functions/core/domain/events';
import type { OrderStatus } from '../../functions/core/domain/order';
import type { DynamoDbRequestRecord, WriteAction } from './dynamodb-counting-proxy';
import { writeUnitsOf } from './item-size';
import { formatBytes, table } from './stats';

/**
 * WRU per order by write: which function wrote which kind of item with which operation, what each write costs and
 * why it exists. The reasons live in ONE table (`writeReasons`, below): a write it does not know prints as
 * "unexplained", so a new write shows up in the next bench run. Pure apart from `printWriteBreakdown`; unit-tested
 * in test/unit/bench-write-breakdown.test.ts.
 */

// ── Item kinds, from the key builders of the table design ───────────────────────────────────────────────────────

/** A placeholder id that the key builders put where an id goes; turned into a wildcard below. */
const anyId = '\u0000';
const anyShard = anyId as unknown as number;

function pattern(template: string): RegExp {
  const escaped = template
    .split(anyId)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.+');
  return new RegExp(`^${escaped}$`);
}

const kindPatterns: readonly { readonly kind: string; readonly pk: RegExp; readonly sk: RegExp }[] = (
  [
    ['order', keys.order(anyId)],
    ['history entry', keys.orderHistory(anyId, anyId)],
    ['hold', keys.hold(anyId, anyId)],
    ['product', keys.product(anyId)],
    ['stock shard', keys.stockShard(anyId, anyShard)],
    ['stock movement', keys.stockMovement(anyId, anyId)],
    ['pending compensation', keys.pendingCompensation(anyShard, anyId)],
    ['sales day', keys.salesDay(anyId, anyId)],
    ['sales ledger', keys.salesLedger(anyId)],
    ['forecast', keys.forecast(anyId)],
    ['partner', keys.partner(anyId)],
    ['partner client', keys.partnerClient(anyId)],
    ['migration', keys.migration(anyId)],
    // functions/core/adapters/dynamodb/webhook-ledger.ts builds this key itself (it is not among `keys`).
    ['webhook event', { PK: `WEBHOOK#${anyId}`, SK: 'WEBHOOK' }],
    ['customer email', keys.customerEmail(anyId, anyId)],
    ['webhook endpoint', keys.webhookEndpoint(anyId, anyId)],
    ['webhook delivery', keys.webhookDelivery(anyId, anyId)],
  ] as const
).map(([kind, key]) => ({ kind, pk: pattern(key.PK), sk: pattern(key.SK) }));

const stringOf = (value: unknown): string | undefined =>
  value && typeof value === 'object' && 'S' in value ? String((value as { S: unknown }).S) : undefined;

/** The kind of item a key addresses: the orders table by its key prefixes, the idempotency table by its name. */
export function itemKindOf(action: Pick<WriteAction, 'table' | 'key'>): string {
  const pk = stringOf(action.key[ordersTableDesign.partitionKey]);
  const sk = stringOf(action.key[ordersTableDesign.sortKey]);
  if (pk !== undefined && sk !== undefined) {
    const match = kindPatterns.find((candidate) => candidate.pk.test(pk) && candidate.sk.test(sk));
    if (match) return match.kind;
    return `other (${pk.replace(/#.*$/, '#')})`;
  }
  if (/idempotency/i.test(action.table)) return 'idempotency record';
  return `other (${action.table})`;
}

// ── Why each write exists: the one table ────────────────────────────────────────────────────────────────────────

export interface WriteReason {
  /** The sender as the counting proxy names it (`api:<routeId>`, `saga:<function>`, `unattributed`). */
  readonly writer: string;
  /** `PutItem`, `UpdateItem`, `DeleteItem`, or `TransactWriteItems: <Put|Update|Delete|ConditionCheck>`. */
  readonly write: string;
  readonly kind: string;
  readonly reason: string;
}

const tx = (action: WriteAction['action']) => `TransactWriteItems: ${action}`;
const transition = (writer: string, to: OrderStatus, why: string): WriteReason[] => [
  { writer, write: tx('Update'), kind: 'order', reason: `→ ${to}: ${why}; conditional on status and version as read` },
  {
    writer,
    write: tx('Put'),
    kind: 'history entry',
    reason: transitionEventTypes[to]
      ? `audit trail of the move to ${to}, carrying ${transitionEventTypes[to]} (the outbox: state and event commit together)`
      : `audit trail of the move to ${to} (GET /orders/{orderId}/history; no event announces it)`,
  },
];

export const writeReasons: readonly WriteReason[] = [
  {
    writer: 'api:placeOrder',
    write: 'PutItem',
    kind: 'idempotency record',
    reason: 'claims the Idempotency-Key before the handler runs: a concurrent retry cannot place a second order',
  },
  {
    writer: 'api:placeOrder',
    write: 'UpdateItem',
    kind: 'idempotency record',
    reason: 'stores the answer under the key: a retry gets the same 202 without running again',
  },
  {
    writer: 'api:placeOrder',
    write: tx('Put'),
    kind: 'order',
    reason: 'the order, PENDING, with its index keys (customer list, status list); written once per order id',
  },
  {
    writer: 'api:placeOrder',
    write: tx('Put'),
    kind: 'history entry',
    reason: '"order placed" entry carrying order.placed (the outbox: order and event commit together)',
  },
  {
    writer: 'saga:check-risk',
    write: 'UpdateItem',
    kind: 'order',
    reason: 'records the risk decision (model, score, top features) for review and audit; moves the version',
  },
  ...transition('saga:reserve-stock', 'RESERVED', 'stock is held'),
  {
    writer: 'saga:reserve-stock',
    write: tx('Update'),
    kind: 'product',
    reason: 'takes the units from available stock, conditional on enough of it: no oversell',
  },
  {
    writer: 'saga:reserve-stock',
    write: tx('Update'),
    kind: 'stock shard',
    reason: 'takes the units from one shard of a sharded product, conditional on enough of it',
  },
  {
    writer: 'saga:reserve-stock',
    write: tx('Put'),
    kind: 'hold',
    reason: 'what this order holds and from where: release and fulfilment return or sell exactly that',
  },
  ...transition(
    'saga:authorize-payment',
    'AUTHORIZED',
    'stores the payment authorization id (REVIEW instead parks a risky order for an admin)',
  ),
  ...transition('saga:confirm-order', 'CONFIRMED', 'the outcome the client waits for'),
  ...transition('saga:fail-order', 'FAILED', 'the outcome of a failed saga'),
  {
    writer: 'saga:release-stock',
    write: tx('Delete'),
    kind: 'hold',
    reason: 'the hold is returned: deleting it makes a second release a no-op',
  },
  {
    writer: 'saga:release-stock',
    write: tx('Update'),
    kind: 'product',
    reason: 'puts the held units back into available stock',
  },
  {
    writer: 'saga:release-stock',
    write: tx('Update'),
    kind: 'stock shard',
    reason: 'puts the held units back into the shard they came from',
  },
  {
    writer: 'saga:flag-for-attention',
    write: 'UpdateItem',
    kind: 'order',
    reason: 'marks an order whose compensation failed, for an operator',
  },
  {
    writer: 'api:stripeWebhook',
    write: 'PutItem',
    kind: 'webhook event',
    reason:
      "the provider's event id, once (conditional): a redelivered webhook changes nothing; expires by TTL; " +
      'alone when the event changes no order (the saga owns the outcome)',
  },
  {
    writer: 'api:stripeWebhook',
    write: tx('Put'),
    kind: 'webhook event',
    reason: "the provider's event id, once (conditional), with the order change the event brings; expires by TTL",
  },
  {
    writer: 'api:stripeWebhook',
    write: tx('Put'),
    kind: 'history entry',
    reason: "the payment fact the webhook brought, in the order's history, carrying its event (outbox)",
  },
  {
    writer: 'unattributed',
    write: tx('Put'),
    kind: 'sales ledger',
    reason: 'sales-history consumer: one ledger item per order counted, so a redelivered event counts once',
  },
  {
    writer: 'unattributed',
    write: tx('Update'),
    kind: 'sales day',
    reason: "sales-history consumer: adds the order's units and revenue to the product's day (demand forecast)",
  },
  {
    writer: 'unattributed',
    write: 'PutItem',
    kind: 'customer email',
    reason: 'customer-emails consumer: claims the email (conditional) so a redelivered event sends none again',
  },
  {
    writer: 'unattributed',
    write: 'UpdateItem',
    kind: 'customer email',
    reason: "customer-emails consumer: marks the email sent with SES's message id once SES accepted it",
  },
];

export const unexplained = 'unexplained (not in writeReasons, bench/lib/write-breakdown.ts)';

export function reasonOf(writer: string, write: string, kind: string): string {
  return (
    writeReasons.find((entry) => entry.writer === writer && entry.write === write && entry.kind === kind)?.reason ??
    unexplained
  );
}

// ── The breakdown ───────────────────────────────────────────────────────────────────────────────────────────────

export interface WriteRow {
  readonly writer: string;
  readonly write: string;
  readonly kind: string;
  /** Writes in the window (divide by the window's orders for "per order"). */
  readonly count: number;
  /** Write units of all those writes, as billed (see `actionUnits`). */
  readonly writeUnits: number;
  /** Of those, the units of index entries. */
  readonly indexWriteUnits: number;
  /** Mean item size of the writes whose item was measured; NaN when none was. */
  readonly meanItemBytes: number;
  readonly reason: string;
}

export interface ItemSizeRow {
  readonly kind: string;
  readonly count: number;
  readonly meanBytes: number;
  readonly maxBytes: number;
  /** The largest attributes on average, largest first: [name, mean bytes]. */
  readonly largestAttributes: readonly (readonly [string, number])[];
}

export interface WriteBreakdown {
  readonly rows: readonly WriteRow[];
  readonly itemSizes: readonly ItemSizeRow[];
  readonly writeUnits: number;
  /**
   * Write units a replica region bills for the same writes (replicated WRU): the writes to the replicated table, a
   * transactional one at the standard rate (half its units), index entries included as the base units are; a
   * ConditionCheck or a refused write replicates nothing.
   */
  readonly replicatedWriteUnits: number;
  /** Write units of each global index's entries, as DynamoDB reported them (INDEXES). */
  readonly byIndex: ReadonlyMap<string, number>;
}

const sum = (values: Iterable<number>) => {
  let total = 0;
  for (const value of values) total += value;
  return total;
};
const bytesOf = (action: WriteAction) => (action.attributes ? sum(Object.values(action.attributes)) : undefined);

/** The attribute that puts an item into each global index (projection ALL: an index entry is a copy of the item). */
const indexKeyAttribute = new Map(
  ordersTableDesign.globalIndexes.map((index) => [index.indexName, index.partitionKey]),
);

export interface ActionUnits {
  /** Billed write units of the action, its index entries included. */
  readonly units: number;
  /** Of those, the units of index entries. */
  readonly indexUnits: number;
}

/** Splits `total` over the candidates in proportion to their weights (evenly when every weight is 0). */
function split(total: number, weights: readonly number[]): number[] {
  const sumOfWeights = sum(weights);
  return weights.map((weight) => (sumOfWeights > 0 ? (total * weight) / sumOfWeights : total / weights.length));
}

/**
 * The billed write units of each action of a write request. DynamoDB reports one figure per request and table, and
 * (when asked for INDEXES) each global index's share of it. A single-item write's figures are its own, and a batch's
 * add up. A transaction's are not: DynamoDB Local adds up the capacity of each *distinct* per-item figure, so four
 * one-unit items in a transaction report 2 units where AWS bills 8 (2 per item and KB: test/integration/
 * transaction-capacity.test.ts pins this down). So a transaction's base-table units are what AWS bills each item,
 * from its measured size (KB rounded up, doubled), or what DynamoDB reported if that is more (an update is billed by
 * the larger of the item before and after it, and only the after is measured); each index's reported units go to the
 * actions whose items carry that index's key (all of them when none does: an update can take an item out of a sparse
 * index), which is exact while at most one action of a transaction carries an index key, as on the order path.
 * An action whose item was not there to read weighs one unit. ConditionCheck actions cost 2 each and a refused conditional write 1 (AWS bills them,
 * DynamoDB Local does not report them: usage.ts adds them the same way).
 */
export function actionUnits(record: DynamoDbRequestRecord): ActionUnits[] {
  const actions = record.actions ?? [];
  const transactional = record.operation === 'TransactWriteItems';
  const writing = actions
    .map((action, index) => ({ action, index }))
    .filter(({ action }) => action.action !== 'ConditionCheck');
  const result: ActionUnits[] = actions.map((action) =>
    action.action === 'ConditionCheck' ? { units: 2, indexUnits: 0 } : { units: 0, indexUnits: 0 },
  );
  if (writing.length === 0) return result;
  if (record.failedConditionalWrite) {
    for (const { index } of writing) result[index] = { units: 1, indexUnits: 0 };
    return result;
  }
  const itemUnits = writing.map(({ action }) => writeUnitsOf(bytesOf(action) ?? 0, transactional));
  const carries = (action: WriteAction, attribute: string) =>
    action.attributes !== undefined && attribute in action.attributes;
  const reported = sum(Object.values(record.writeUnits));
  const units = writing.map(() => 0);
  const indexUnits = writing.map(() => 0);
  const measured = writing.every(({ action }) => bytesOf(action) !== undefined);
  // Actions are recorded only while items are measured, when the proxy asks for INDEXES: no index figures, no entries.
  const indexWriteUnits = record.indexWriteUnits ?? {};
  const indexTotal = sum(Object.values(indexWriteUnits));
  const base =
    transactional && measured && record.status < 400
      ? Math.max(sum(itemUnits), reported - indexTotal)
      : reported - indexTotal;
  split(base, itemUnits).forEach((share, position) => (units[position]! += share));
  for (const [indexName, total] of Object.entries(indexWriteUnits)) {
    const attribute = indexKeyAttribute.get(indexName) ?? '';
    const anyCarries = writing.some(({ action }) => carries(action, attribute));
    const weights = writing.map(({ action }, position) =>
      !anyCarries || carries(action, attribute) ? itemUnits[position]! : 0,
    );
    split(total, weights).forEach((share, position) => {
      units[position]! += share;
      indexUnits[position]! += share;
    });
  }
  writing.forEach(
    ({ index }, position) => (result[index] = { units: units[position]!, indexUnits: indexUnits[position]! }),
  );
  return result;
}

/** `replicatedTable`: the global table (the orders table); writes to other tables (idempotency) do not replicate. */
export function writeBreakdown(records: readonly DynamoDbRequestRecord[], replicatedTable: string): WriteBreakdown {
  const rows = new Map<string, { row: Omit<WriteRow, 'meanItemBytes'>; bytes: number[] }>();
  const kinds = new Map<string, { sizes: number[]; attributes: Map<string, number> }>();
  const byIndex = new Map<string, number>();
  let replicatedWriteUnits = 0;
  for (const record of records) {
    if (!record.actions?.length) continue;
    for (const [indexName, units] of Object.entries(record.indexWriteUnits ?? {})) {
      byIndex.set(indexName, (byIndex.get(indexName) ?? 0) + units);
    }
    const units = actionUnits(record);
    const single = record.operation !== 'TransactWriteItems' && record.operation !== 'BatchWriteItem';
    const transactional = record.operation === 'TransactWriteItems';
    record.actions.forEach((action, index) => {
      if (action.table === replicatedTable && action.action !== 'ConditionCheck' && record.status < 400) {
        replicatedWriteUnits += transactional ? units[index]!.units / 2 : units[index]!.units;
      }
      const kind = itemKindOf(action);
      const write = single ? record.operation : `${record.operation}: ${action.action}`;
      const outcome = record.status >= 400 ? ` (${record.errorType ?? 'failed'})` : '';
      const key = `${record.origin}|${write}${outcome}|${kind}`;
      const entry = rows.get(key) ?? {
        row: {
          writer: record.origin,
          write: `${write}${outcome}`,
          kind,
          count: 0,
          writeUnits: 0,
          indexWriteUnits: 0,
          reason: reasonOf(record.origin, write, kind),
        },
        bytes: [],
      };
      entry.row = {
        ...entry.row,
        count: entry.row.count + 1,
        writeUnits: entry.row.writeUnits + units[index]!.units,
        indexWriteUnits: entry.row.indexWriteUnits + units[index]!.indexUnits,
      };
      const bytes = bytesOf(action);
      if (bytes !== undefined) {
        entry.bytes.push(bytes);
        const sizes = kinds.get(kind) ?? { sizes: [], attributes: new Map<string, number>() };
        sizes.sizes.push(bytes);
        for (const [name, attributeBytes] of Object.entries(action.attributes!)) {
          sizes.attributes.set(name, (sizes.attributes.get(name) ?? 0) + attributeBytes);
        }
        kinds.set(kind, sizes);
      }
      rows.set(key, entry);
    });
  }
  const rowList = [...rows.values()]
    .map(({ row, bytes }) => ({
      ...row,
      meanItemBytes: bytes.length ? sum(bytes) / bytes.length : Number.NaN,
    }))
    .sort((a, b) => b.writeUnits - a.writeUnits);
  const itemSizes = [...kinds.entries()]
    .map(([kind, { sizes, attributes }]) => ({
      kind,
      count: sizes.length,
      meanBytes: sum(sizes) / sizes.length,
      maxBytes: Math.max(...sizes),
      largestAttributes: [...attributes.entries()]
        .map(([name, total]) => [name, total / sizes.length] as const)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 4),
    }))
    .sort((a, b) => b.meanBytes - a.meanBytes);
  return {
    rows: rowList,
    itemSizes,
    writeUnits: sum(rowList.map((row) => row.writeUnits)),
    replicatedWriteUnits,
    byIndex,
  };
}

/** The two tables as printed: writes (per order) and item sizes per kind. */
export function renderWriteBreakdown(breakdown: WriteBreakdown, orders: number): string {
  const per = (value: number) => (value / orders).toFixed(2);
  const writes = table(
    [
      'writer',
      'write',
      'item kind',
      'writes/order',
      'WRU each',
      'WRU/order',
      'of which index',
      'item size',
      'why it exists',
    ],
    breakdown.rows.map((row) => [
      row.writer,
      row.write,
      row.kind,
      per(row.count),
      (row.writeUnits / row.count).toFixed(2),
      per(row.writeUnits),
      per(row.indexWriteUnits),
      Number.isNaN(row.meanItemBytes) ? '–' : formatBytes(row.meanItemBytes),
      row.reason,
    ]),
  );
  const sizes = table(
    ['item kind', 'items', 'mean size', 'max size', 'largest attributes (mean bytes)'],
    breakdown.itemSizes.map((row) => [
      row.kind,
      String(row.count),
      formatBytes(row.meanBytes),
      formatBytes(row.maxBytes),
      row.largestAttributes.map(([name, bytes]) => `${name} ${Math.round(bytes)}`).join(', '),
    ]),
  );
  const indexTotal = sum(breakdown.rows.map((row) => row.indexWriteUnits));
  const indexes = [...breakdown.byIndex.entries()].map(([name, units]) => `${name} ${per(units)}`).join(', ');
  return `${writes}\ntotal ${per(breakdown.writeUnits)} WRU per order, ${per(indexTotal)} of them index entries${indexes ? ` (${indexes})` : ''}\n\nItem sizes as written (DynamoDB's size rules; WRU = 1 per KB, rounded up, per item and per index entry):\n${sizes}`;
}
