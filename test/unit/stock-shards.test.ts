import fc from 'fast-check';
import { parseStockShardKey } from '../../functions/core/adapters/dynamodb/stock-state';
import { keys } from '../../functions/core/data/table-design';
import { checkInvariants, type ReconciliationSnapshot } from '../../functions/core/domain/invariants';
import {
  emptiestShard,
  maxStockShards,
  planRestock,
  planTake,
  splitEvenly,
  startingShard,
  takeFromFullest,
  type ShardStock,
} from '../../functions/core/domain/stock-shards';

const shardsOf = (...available: number[]): ShardStock[] =>
  available.map((units, shard) => ({ shard, available: units }));
const total = (takes: readonly { quantity: number }[]) => takes.reduce((sum, take) => sum + take.quantity, 0);

/** From one to the maximum number of shards, each with 0-20 units. */
const shardLayouts = fc
  .array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: maxStockShards })
  .map((available) => shardsOf(...available));

describe('choosing the starting shard', () => {
  it('maps the random number onto every shard and never past the last', () => {
    expect(startingShard(4, () => 0)).toBe(0);
    expect(startingShard(4, () => 0.2499)).toBe(0);
    expect(startingShard(4, () => 0.25)).toBe(1);
    expect(startingShard(4, () => 0.9999999)).toBe(3);
    expect(startingShard(1, () => 0.7)).toBe(0);
  });

  it('refuses a shard count that is not a positive integer', () => {
    expect(() => startingShard(0)).toThrow(RangeError);
    expect(() => startingShard(2.5)).toThrow(RangeError);
  });
});

describe('taking the units of an order line', () => {
  it('takes the whole line from the starting shard when it holds enough', () => {
    expect(planTake(shardsOf(5, 5, 5, 5), 3, 2)).toEqual([{ shard: 2, quantity: 3 }]);
  });

  it('walks on from the starting shard, wrapping around, to the first shard that holds the whole line', () => {
    expect(planTake(shardsOf(4, 1, 0, 2), 2, 1)).toEqual([{ shard: 3, quantity: 2 }]);
    expect(planTake(shardsOf(4, 1, 0, 1), 2, 1)).toEqual([{ shard: 0, quantity: 2 }]);
  });

  it('takes from several shards, fullest first, when none holds the whole line but together they do', () => {
    expect(planTake(shardsOf(1, 2, 0, 1), 3, 0)).toEqual([
      { shard: 1, quantity: 2 },
      { shard: 0, quantity: 1 },
    ]);
    expect(planTake(shardsOf(1, 1, 1, 1), 4, 3)).toEqual([
      { shard: 0, quantity: 1 },
      { shard: 1, quantity: 1 },
      { shard: 2, quantity: 1 },
      { shard: 3, quantity: 1 },
    ]);
  });

  it('takes nothing when the shards together hold too little', () => {
    expect(planTake(shardsOf(1, 0, 1, 0), 3, 0)).toBeUndefined();
    expect(planTake([], 1, 0)).toBeUndefined();
  });

  it('never plans more than a shard holds, and takes exactly the line or nothing (any layout)', () => {
    fc.assert(
      fc.property(shardLayouts, fc.integer({ min: 1, max: 60 }), fc.nat(), (shards, quantity, seed) => {
        const start = seed % shards.length;
        const takes = planTake(shards, quantity, start);
        const available = shards.reduce((sum, shard) => sum + shard.available, 0);
        if (available < quantity) return takes === undefined;
        if (!takes) return false;
        const byShard = new Map(shards.map((shard) => [shard.shard, shard.available]));
        const distinct = new Set(takes.map((take) => take.shard)).size === takes.length;
        const withinShards = takes.every((take) => take.quantity >= 1 && take.quantity <= byShard.get(take.shard)!);
        // One write when some shard can give the whole line: the first such shard from the start.
        const walk = [...shards.slice(start), ...shards.slice(0, start)];
        const single = walk.find((shard) => shard.available >= quantity);
        const singleRule = single ? takes.length === 1 && takes[0]!.shard === single.shard : takes.length > 1;
        return total(takes) === quantity && distinct && withinShards && singleRule;
      }),
    );
  });

  it('refuses a quantity that is not a positive integer', () => {
    expect(() => planTake(shardsOf(5), 0, 0)).toThrow(RangeError);
    expect(() => takeFromFullest(shardsOf(5), 1.5)).toThrow(RangeError);
  });
});

describe('taking stock out for a correction', () => {
  it('takes from the fullest shards first, as few as possible', () => {
    expect(takeFromFullest(shardsOf(3, 7, 0, 5), 10)).toEqual([
      { shard: 1, quantity: 7 },
      { shard: 3, quantity: 3 },
    ]);
    expect(takeFromFullest(shardsOf(3, 7, 0, 5), 16)).toBeUndefined();
  });
});

describe('restocking over the shards', () => {
  it('gives every shard the same share and the units left over to the emptiest shards', () => {
    expect(planRestock(shardsOf(5, 0, 3, 1), 10)).toEqual([
      { shard: 0, quantity: 2 },
      { shard: 1, quantity: 3 },
      { shard: 2, quantity: 2 },
      { shard: 3, quantity: 3 },
    ]);
    expect(planRestock(shardsOf(5, 0, 3, 1), 1)).toEqual([{ shard: 1, quantity: 1 }]);
  });

  it('adds exactly the delta, with shares that differ by at most one unit (any layout)', () => {
    fc.assert(
      fc.property(shardLayouts, fc.integer({ min: 1, max: 1000 }), (shards, delta) => {
        const takes = planRestock(shards, delta);
        const shares = shards.map((shard) => takes.find((take) => take.shard === shard.shard)?.quantity ?? 0);
        return total(takes) === delta && Math.max(...shares) - Math.min(...shares) <= 1;
      }),
    );
  });
});

describe('splitting a total over a new shard count', () => {
  it('keeps the total and levels the shards', () => {
    expect(splitEvenly(50, 4)).toEqual([13, 13, 12, 12]);
    expect(splitEvenly(3, 4)).toEqual([1, 1, 1, 0]);
    expect(splitEvenly(0, 2)).toEqual([0, 0]);
    fc.assert(
      fc.property(fc.nat({ max: 1_000_000 }), fc.integer({ min: 1, max: maxStockShards }), (units, count) => {
        const parts = splitEvenly(units, count);
        return (
          parts.length === count &&
          parts.reduce((sum, part) => sum + part, 0) === units &&
          Math.max(...parts) - Math.min(...parts) <= 1
        );
      }),
    );
  });

  it('refuses a negative total or no shards', () => {
    expect(() => splitEvenly(-1, 2)).toThrow(RangeError);
    expect(() => splitEvenly(4, 0)).toThrow(RangeError);
  });
});

describe('returning units whose shard was removed', () => {
  it('sends them to the emptiest shard', () => {
    expect(emptiestShard(shardsOf(4, 1, 2))).toBe(1);
    expect(() => emptiestShard([])).toThrow(RangeError);
  });
});

describe('shard keys', () => {
  it('never share a partition with a product or its stock movements, and read back to product and shard', () => {
    const shard = keys.stockShard('prod_flash', 3);
    expect(shard.PK).not.toBe(keys.product('prod_flash').PK);
    expect(shard.SK.startsWith(keys.stockMovementPrefix)).toBe(false);
    expect(parseStockShardKey(shard.PK, shard.SK)).toEqual({ productId: 'prod_flash', shard: 3 });
    expect(parseStockShardKey(keys.product('prod_flash').PK, keys.product('prod_flash').SK)).toBeUndefined();
    expect(parseStockShardKey('PRODUCT#prod_flash#SHARD#x', 'SHARD')).toBeUndefined();
    expect(parseStockShardKey('ORDER#o#SHARD#1', 'SHARD')).toBeUndefined();
  });
});

describe('reconciling sharded stock', () => {
  const policy = { sagaTimeLimitSeconds: 300, cancellationTimeLimitSeconds: 300, graceSeconds: 60 };
  const at = '2025-06-01T12:00:00.000Z';
  const order = (orderId: string, quantity: number) => ({
    orderId,
    status: 'CONFIRMED',
    items: [{ productId: 'F', quantity }],
    total: { amount: quantity * 100, currency: 'EUR' },
    createdAt: '2025-06-01T11:00:00.000Z',
    updatedAt: '2025-06-01T11:00:01.000Z',
  });
  /** F: 20 stocked = 11 on three shards + 3 held (from two shards) + 6 sold (2 on the item, 4 on the shards). */
  const world = (): ReconciliationSnapshot => ({
    takenAt: at,
    paymentsSince: '2025-06-01T00:00:00.000Z',
    payments: [{ id: 'pay_1', reference: 'o1', amount: 300, currency: 'EUR', status: 'authorized' }],
    products: [{ productId: 'F', available: 0, sold: 2, stockShards: 3 }],
    shards: [
      { productId: 'F', shard: 0, available: 4, sold: 1 },
      { productId: 'F', shard: 1, available: 3, sold: 3 },
      { productId: 'F', shard: 2, available: 4, sold: 0 },
    ],
    movements: [{ productId: 'F', delta: 20 }],
    holds: [
      {
        orderId: 'o1',
        productId: 'F',
        quantity: 3,
        shards: [
          { shard: 0, quantity: 2 },
          { shard: 2, quantity: 1 },
        ],
      },
    ],
    orders: [order('o1', 3)],
  });
  const findings = (snapshot: ReconciliationSnapshot) =>
    checkInvariants(snapshot, policy).violations.map(({ rule, ids }) => ({ rule, ids }));

  it('balances a product over its item and its shards', () => {
    expect(findings(world())).toEqual([]);
  });

  type World = ReturnType<typeof world>;
  /** The snapshot's shards, with shard `shard` changed. */
  const withShardChanged = (snapshot: World, shard: number, change: { available: number }) =>
    snapshot.shards!.map((entry) => (entry.shard === shard ? { ...entry, ...change } : entry));

  it.each<[string, (snapshot: World) => Partial<World>, { rule: string; ids: string[] }[]]>([
    [
      'a shard below zero, and the imbalance it hides',
      (snapshot) => ({ shards: withShardChanged(snapshot, 1, { available: -1 }) }),
      [
        { rule: 'negative-shard-available', ids: ['F', 'shard-1'] },
        { rule: 'unbalanced', ids: ['F'] },
      ],
    ],
    [
      'a shard outside the layout and stock left on the item of a sharded product',
      (snapshot) => ({
        products: [{ productId: 'F', available: 2, sold: 2, stockShards: 2 }],
        shards: withShardChanged(snapshot, 2, { available: 2 }),
      }),
      [
        { rule: 'shard-outside-layout', ids: ['F', 'shard-2'] },
        { rule: 'stock-outside-shards', ids: ['F'] },
      ],
    ],
    [
      'shards of a product that does not exist and a hold whose shares do not add up',
      (snapshot) => ({
        shards: [...snapshot.shards!, { productId: 'G', shard: 0, available: 1, sold: 0 }],
        holds: [{ ...snapshot.holds[0]!, shards: [{ shard: 0, quantity: 2 }] }],
      }),
      [
        { rule: 'shard-without-product', ids: ['G'] },
        { rule: 'hold-shares-do-not-add-up', ids: ['o1', 'F'] },
      ],
    ],
  ])('names %s', (_case, change, expected) => {
    const snapshot = world();
    expect(findings({ ...snapshot, ...change(snapshot) })).toEqual(expected);
  });
});
