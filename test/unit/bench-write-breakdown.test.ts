import type { DynamoDbRequestRecord, WriteAction } from '../../bench/lib/dynamodb-counting-proxy';
import { attributeBytes, itemBytes, writeUnitsOf, type WireItem } from '../../bench/lib/item-size';
import {
  actionUnits,
  itemKindOf,
  reasonOf,
  renderWriteBreakdown,
  unexplained,
  writeBreakdown,
  writeReasons,
} from '../../bench/lib/write-breakdown';
import { keys } from '../../functions/core/data/table-design';

const wireKey = (key: { PK: string; SK: string }): WireItem => ({ PK: { S: key.PK }, SK: { S: key.SK } });
const orders = 'orders-table';

const record = (overrides: Partial<DynamoDbRequestRecord>): DynamoDbRequestRecord => ({
  operation: 'TransactWriteItems',
  origin: 'saga:confirm-order',
  tables: [orders],
  status: 200,
  readUnits: {},
  writeUnits: {},
  conditionChecks: 0,
  failedConditionalWrite: false,
  startedAt: 0,
  endedAt: 1,
  ...overrides,
});

/** An action whose item has `bytes` in one attribute besides its key (and the index keys named). */
const action = (
  kind: WriteAction['action'],
  key: { PK: string; SK: string },
  bytes: number,
  indexKeys: readonly string[] = [],
): WriteAction => ({
  action: kind,
  table: orders,
  key: wireKey(key),
  attributes: {
    PK: 2 + key.PK.length,
    SK: 2 + key.SK.length,
    payload: bytes,
    ...Object.fromEntries(indexKeys.map((name) => [name, 20])),
  },
});

describe('item kinds from the table design key builders', () => {
  it.each([
    ['order', keys.order('ord_1')],
    ['history entry', keys.orderHistory('ord_1', '01J')],
    ['hold', keys.hold('ord_1', 'prod_1')],
    ['product', keys.product('prod_1')],
    ['stock shard', keys.stockShard('prod_1', 3)],
    ['stock movement', keys.stockMovement('prod_1', '01J')],
    ['pending compensation', keys.pendingCompensation(2, 'ord_1')],
    ['sales day', keys.salesDay('prod_1', '2026-12-03')],
    ['sales ledger', keys.salesLedger('ord_1')],
    ['forecast', keys.forecast('prod_1')],
    ['webhook event', { PK: 'WEBHOOK#evt_1', SK: 'WEBHOOK' }],
  ])('names a %s', (kind, key) => {
    expect(itemKindOf({ table: orders, key: wireKey(key) })).toBe(kind);
  });

  it('names idempotency records by their table, and anything else by its key prefix', () => {
    expect(itemKindOf({ table: 'orders-dev-Idempotency', key: { id: { S: 'x#y' } } })).toBe('idempotency record');
    expect(itemKindOf({ table: orders, key: wireKey({ PK: 'NEWTHING#1', SK: 'X' }) })).toBe('other (NEWTHING#)');
  });
});

describe('item sizes as DynamoDB counts them', () => {
  it('counts attribute names and values by type', () => {
    const item: WireItem = {
      PK: { S: 'ORDER#1' }, // 2 + 7
      n: { N: '12345' }, // 1 + (3 + 1)
      ok: { BOOL: true }, // 2 + 1
      m: { M: { a: { S: 'xy' } } }, // 1 + (3 + 1 + 1 + 2)
      l: { L: [{ S: 'abc' }, { NULL: true }] }, // 1 + (3 + 1 + 3 + 1 + 1)
      é: { S: 'é' }, // 2 + 2 (UTF-8)
    };
    expect(Object.fromEntries(attributeBytes(item))).toEqual({ PK: 9, n: 5, ok: 3, m: 8, l: 10, é: 4 });
    expect(itemBytes(item)).toBe(39);
  });

  it('bills 1 WRU per KB rounded up, double in a transaction', () => {
    expect(writeUnitsOf(10, false)).toBe(1);
    expect(writeUnitsOf(1024, false)).toBe(1);
    expect(writeUnitsOf(1025, false)).toBe(2);
    expect(writeUnitsOf(1025, true)).toBe(4);
  });
});

describe('WRU per action', () => {
  const units = (record: DynamoDbRequestRecord) => actionUnits(record).map((entry) => entry.units);

  it('bills each item of a transaction 2 units per KB, where DynamoDB Local reports its distinct figures only', () => {
    // DynamoDB Local reports 2 for these four one-unit items (test/integration/transaction-capacity.test.ts).
    const hold = (id: string) => action('Put', keys.hold('ord_1', id), 100);
    expect(
      actionUnits(
        record({
          writeUnits: { [orders]: 2 },
          actions: [
            action('Update', keys.order('ord_1'), 800),
            action('Update', keys.product('prod_1'), 100),
            hold('prod_1'),
            action('Put', keys.orderHistory('ord_1', '01J'), 150),
          ],
        }),
      ),
    ).toEqual([1, 2, 3, 4].map(() => ({ units: 2, indexUnits: 0 })));
  });

  it('keeps what DynamoDB reported when it is more (an update billed by the larger item, before it)', () => {
    expect(
      units(
        record({
          writeUnits: { [orders]: 6 },
          actions: [action('Update', keys.order('ord_1'), 300), action('Put', keys.orderHistory('ord_1', '01J'), 300)],
        }),
      ),
    ).toEqual([3, 3]);
  });

  it('leaves a cancelled transaction at what DynamoDB reported', () => {
    expect(
      units(
        record({
          status: 400,
          errorType: 'TransactionCanceledException',
          actions: [action('Update', keys.order('ord_1'), 300), action('Put', keys.orderHistory('ord_1', '01J'), 300)],
        }),
      ),
    ).toEqual([0, 0]);
  });

  it("gives each index's reported share to the actions whose items carry its key", () => {
    const split = actionUnits(
      record({
        writeUnits: { [orders]: 20 },
        indexWriteUnits: { GSI1: 4, GSI2: 6 },
        actions: [
          action('Update', keys.order('ord_1'), 1500, ['GSI1PK', 'GSI2PK']), // base 2 KB × 2 = 4
          action('Put', keys.orderHistory('ord_1', '01J'), 300), // base 1 KB × 2 = 2
        ],
      }),
    );
    // Base table: 10 split 4 : 2; both indexes go to the order.
    expect(split[0]!.units).toBeCloseTo(10 * (4 / 6) + 10);
    expect(split[0]!.indexUnits).toBeCloseTo(10);
    expect(split[1]!.units).toBeCloseTo(10 * (2 / 6));
    expect(split[1]!.indexUnits).toBe(0);
  });

  it('bills what DynamoDB Local does not report: 2 per ConditionCheck, 1 per refused conditional write', () => {
    expect(
      units(
        record({
          writeUnits: { [orders]: 2 },
          actions: [
            action('Put', keys.orderHistory('ord_1', '01J'), 100),
            { action: 'ConditionCheck', table: orders, key: wireKey(keys.product('p')) },
          ],
        }),
      ),
    ).toEqual([2, 2]);
    expect(
      units(
        record({
          operation: 'UpdateItem',
          status: 400,
          errorType: 'ConditionalCheckFailedException',
          failedConditionalWrite: true,
          actions: [action('Update', keys.order('ord_1'), 100)],
        }),
      ),
    ).toEqual([1]);
  });
});

describe('the breakdown', () => {
  const records = [
    record({
      writeUnits: { [orders]: 8 },
      indexWriteUnits: { GSI1: 2, GSI2: 2 },
      actions: [
        action('Update', keys.order('ord_1'), 500, ['GSI1PK', 'GSI2PK']),
        action('Put', keys.orderHistory('ord_1', '01A'), 700),
      ],
    }),
    record({
      writeUnits: { [orders]: 8 },
      indexWriteUnits: { GSI1: 2, GSI2: 2 },
      actions: [
        action('Update', keys.order('ord_2'), 500, ['GSI1PK', 'GSI2PK']),
        action('Put', keys.orderHistory('ord_2', '01B'), 900),
      ],
    }),
    record({
      operation: 'PutItem',
      origin: 'saga:new-step',
      writeUnits: { [orders]: 1 },
      actions: [action('Put', { PK: 'NEWTHING#1', SK: 'X' }, 100)],
    }),
    // Reads carry no actions: not in the breakdown.
    record({ operation: 'GetItem', readUnits: { [orders]: 1 } }),
  ];

  it('groups writes by writer, write and item kind, with the reason from the one table', () => {
    const breakdown = writeBreakdown(records, orders);
    expect(breakdown.writeUnits).toBe(17);
    expect(breakdown.rows.map((row) => [row.writer, row.write, row.kind, row.count, row.writeUnits])).toEqual([
      ['saga:confirm-order', 'TransactWriteItems: Update', 'order', 2, 12],
      ['saga:confirm-order', 'TransactWriteItems: Put', 'history entry', 2, 4],
      ['saga:new-step', 'PutItem', 'other (NEWTHING#)', 1, 1],
    ]);
    expect(breakdown.rows[0]!.reason).toBe(reasonOf('saga:confirm-order', 'TransactWriteItems: Update', 'order'));
    expect(breakdown.rows[0]!.reason).not.toBe(unexplained);
    expect(breakdown.rows[2]!.reason).toBe(unexplained);
    expect(breakdown.rows[1]!.meanItemBytes).toBe(2 + 11 + 2 + 11 + 800);
  });

  it("sums each index's reported units", () => {
    const breakdown = writeBreakdown(
      [
        ...records,
        record({
          writeUnits: { [orders]: 20 },
          indexWriteUnits: { GSI1: 4, GSI2: 8 },
          actions: [action('Update', keys.order('ord_3'), 1500, ['GSI1PK', 'GSI2PK'])],
        }),
      ],
      orders,
    );
    expect(Object.fromEntries(breakdown.byIndex)).toEqual({ GSI1: 8, GSI2: 12 });
    expect(renderWriteBreakdown(breakdown, 3)).toContain('(GSI1 2.67, GSI2 4.00)');
  });

  it("counts a replica's units for the replicated table's writes only, a transaction's at the standard rate", () => {
    // The two transactions: (6 + 2) / 2 each; the single PutItem 1; a write to another table none.
    const other = record({
      operation: 'PutItem',
      origin: 'api:placeOrder',
      tables: ['idempotency-table'],
      writeUnits: { 'idempotency-table': 1 },
      actions: [{ ...action('Put', { PK: 'x', SK: 'y' }, 100), table: 'idempotency-table' }],
    });
    expect(writeBreakdown([...records, other], orders).replicatedWriteUnits).toBe(9);
  });

  it('reports item sizes per kind with the largest attributes first', () => {
    const history = writeBreakdown(records, orders).itemSizes.find((row) => row.kind === 'history entry')!;
    expect(history).toMatchObject({ count: 2, meanBytes: 826, maxBytes: 926 });
    expect(history.largestAttributes[0]).toEqual(['payload', 800]);
  });

  it('prints per order, and an unknown write as unexplained', () => {
    const text = renderWriteBreakdown(writeBreakdown(records, orders), 2);
    expect(text).toContain('total 8.50 WRU per order, 4.00 of them index entries');
    expect(text).toMatch(/saga:new-step +PutItem +other \(NEWTHING#\) +0\.50 +1\.00 +0\.50 +0\.00 .*unexplained/);
  });
});

describe('the reasons table', () => {
  it('names each write once, with a reason, for a kind the classifier can produce', () => {
    const seen = new Set<string>();
    for (const entry of writeReasons) {
      const id = `${entry.writer} ${entry.write} ${entry.kind}`;
      expect(seen.has(id)).toBe(false);
      seen.add(id);
      expect(entry.reason.length).toBeGreaterThan(10);
      expect(entry.kind).not.toMatch(/^other/);
      expect(entry.write).toMatch(
        /^(PutItem|UpdateItem|DeleteItem|TransactWriteItems: (Put|Update|Delete|ConditionCheck))$/,
      );
    }
  });
});
