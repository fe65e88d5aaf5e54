import { BatchGetCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { queryPartitionPrefix } from '../../functions/core/adapters/dynamodb/pagination';
import { keys } from '../../functions/core/data/table-design';
import type { Product } from '../../functions/core/domain/product';
import { maxStockShards } from '../../functions/core/domain/stock-shards';
import { reconcileLocal } from '../../local/commands/lib/reconciliation';
import { startTestSystem, type TestSystem } from '../helpers/local-system';
import { orderRequest, testProduct } from '../helpers/fixtures';
import {
  outcomes,
  placeConcurrently,
  runSeed,
  seededRandom,
  spreadOverCustomers,
  waitUntilSettled,
  watchLowest,
} from '../helpers/reliability';

/**
 * Sharded stock on the real system (API, saga, DynamoDB Local): a flash sale on a product split over 4 shards sells
 * exactly its stock to 200 concurrent orders, no shard ever goes below zero, and every unit is found where the holds
 * say it came from; cancelled and failed orders give units back to their own shards, fulfilment counts them sold
 * there; changing the shard count and admin adjustments keep the total; the reconciliation finds nothing throughout.
 * The flash sale's arrival order and quantities are randomized: the seed is logged, RELIABILITY_SEED=<seed> repeats.
 */

const seed = runSeed();
const flashSale = 'prod_flash_sale';
const flashStock = 50;
const flashShards = 4;
const orderCount = 200;
const customers = 20;

const product = (productId: string, available: number, stockShards?: number): Product =>
  testProduct(productId, 1000, available, {
    name: `Sharded stock test ${productId}`,
    ...(stockShards ? { stockShards } : {}),
  });

let system: TestSystem;
let admin: string;
let alice: string;

beforeAll(async () => {
  console.log(`sharded stock: seed ${seed} (RELIABILITY_SEED=${seed} repeats this run)`);
  system = await startTestSystem({
    seedCatalog: [
      product(flashSale, flashStock, flashShards),
      product('prod_sharded_small', 6, 4),
      product('prod_reshard', 30),
      product('prod_adjust_sharded', 8, 4),
    ],
    throttling: false,
    // 200 sagas, the gateway and the payment sandbox share one event loop: the helper's 250 ms payment deadline
    // would time out healthy authorizations. This test is about stock.
    paymentTimeoutMs: 3000,
    // The state machine's own retry timing (backoff with jitter) for contended reservations, not a 5 ms retry storm.
    retryIntervalMs: undefined,
    catalogCacheTtlMs: 0,
  });
  [admin, alice] = await Promise.all([system.tokenFor('admin', ['admins']), system.tokenFor('alice')]);
}, 60_000);

afterAll(async () => {
  await system?.stop();
});

const db = () => system.runtime.documentClient;
const tableName = () => system.runtime.tableName;

interface StockView {
  /** The product item's own counters and its layout attribute. */
  readonly item: { available: number; sold: number; stockShards?: number };
  /** Every shard item that exists (also any outside the layout), by shard number. */
  readonly shards: { shard: number; available: number; sold: number; active: boolean }[];
  readonly available: number;
  readonly sold: number;
}

/** The product item and every shard item that exists, read straight from the table (strongly consistent). */
async function stockOf(productId: string): Promise<StockView> {
  const { Item } = await db().send(
    new GetCommand({ TableName: tableName(), Key: keys.product(productId), ConsistentRead: true }),
  );
  if (!Item) throw new Error(`no product ${productId}`);
  const { Responses } = await db().send(
    new BatchGetCommand({
      RequestItems: {
        [tableName()]: {
          Keys: Array.from({ length: maxStockShards }, (_, shard) => keys.stockShard(productId, shard)),
          ConsistentRead: true,
        },
      },
    }),
  );
  const shards = (Responses?.[tableName()] ?? [])
    .map((shard) => ({
      shard: shard.shard as number,
      available: shard.available as number,
      sold: shard.sold as number,
      active: shard.active as boolean,
    }))
    .sort((a, b) => a.shard - b.shard);
  const item = {
    available: Item.available as number,
    sold: (Item.sold as number | undefined) ?? 0,
    ...(Item.stockShards === undefined ? {} : { stockShards: Item.stockShards as number }),
  };
  return {
    item,
    shards,
    available: item.available + shards.reduce((sum, shard) => sum + shard.available, 0),
    sold: item.sold + shards.reduce((sum, shard) => sum + shard.sold, 0),
  };
}

const availableByShard = (view: StockView) => view.shards.map((shard) => shard.available);

async function holdOf(orderId: string, productId: string) {
  const { Item } = await db().send(
    new GetCommand({ TableName: tableName(), Key: keys.hold(orderId, productId), ConsistentRead: true }),
  );
  return Item as { quantity: number; fromShards?: { shard: number; quantity: number }[] } | undefined;
}

async function movementsOf(productId: string) {
  const items = await queryPartitionPrefix(db(), tableName(), keys.product(productId).PK, keys.stockMovementPrefix);
  return items.map((item) => item.delta as number);
}

async function place(productId: string, quantity: number, paymentToken = 'pm_card_visa', token = alice) {
  const placed = await system.call('POST', '/orders', {
    token,
    body: orderRequest({ items: [{ productId, quantity }], paymentToken }),
  });
  expect(placed.status).toBe(202);
  const order = await system.waitForTerminal(placed.body.orderId as string, token, 60_000);
  return { orderId: order.orderId as string, status: order.status as string, failureReason: order.failureReason };
}

async function cancel(orderId: string, token = alice) {
  const cancelled = await system.call('POST', `/orders/${orderId}/cancel`, { token });
  expect(cancelled.status).toBe(200);
  expect(await system.runtime.drain(30_000)).toBe(true);
}

async function patch(productId: string, body: Record<string, unknown>) {
  const answer = await system.call('PATCH', `/products/${productId}`, { token: admin, body });
  expect(answer.status).toBe(200);
  return answer.body;
}

/** The reconciliation as the job runs it, and strictly (nothing runs any more, so nothing is excused). */
async function expectReconciled() {
  expect(await system.runtime.drain(30_000)).toBe(true);
  const report = await reconcileLocal(system.runtime);
  const strict = await reconcileLocal(system.runtime, {
    policy: { sagaTimeLimitSeconds: 0, cancellationTimeLimitSeconds: 0, graceSeconds: 0 },
  });
  expect(report.violations).toEqual([]);
  expect(strict.violations).toEqual([]);
}

/** Adds each hold's shard shares to a per-shard tally. */
function tallyShares(holds: readonly ({ fromShards?: { shard: number; quantity: number }[] } | undefined)[]) {
  const tally = new Array<number>(flashShards).fill(0);
  for (const hold of holds) for (const share of hold?.fromShards ?? []) tally[share.shard]! += share.quantity;
  return tally;
}

describe('a flash sale on a product with 4 stock shards', () => {
  let confirmed: { orderId: string; customer: number; quantity: number }[] = [];
  let tokens: string[] = [];

  it(`sells exactly its ${flashStock} units to ${orderCount} concurrent orders, no shard below zero`, async () => {
    const before = await stockOf(flashSale);
    expect(before.item).toEqual({ available: 0, sold: 0, stockShards: flashShards });
    expect(availableByShard(before)).toEqual([13, 13, 12, 12]);

    const random = seededRandom(seed);
    const owners = spreadOverCustomers(random, orderCount, customers, orderCount / customers);
    tokens = await Promise.all(
      Array.from({ length: customers }, (_, customer) => system.tokenFor(`flash-${seed}-c${customer}`)),
    );
    // Mostly single units; every fifth order wants 2-3, so that shards running low need takes from several.
    const requests = random.shuffle(
      owners.map((customer, index) => ({ index, customer, quantity: index % 5 === 0 ? random.between(2, 3) : 1 })),
    );

    // Samples every shard while the orders race for them: none may ever be seen below zero.
    const shardWatch = watchLowest(Infinity, async () => {
      const view = await stockOf(flashSale);
      return Math.min(view.item.available, ...availableByShard(view));
    });
    try {
      const placed = await placeConcurrently(system, requests, {
        productId: flashSale,
        tokens,
        idempotencyKey: (index) => `flash-${seed}-${index}`,
      });
      expect(placed.filter((answer) => answer.status !== 202)).toEqual([]);
      const orderIds = placed.map((answer) => answer.orderId);
      await waitUntilSettled(db(), tableName(), orderIds, 240_000);
      expect(await system.runtime.drain(60_000)).toBe(true);
      const orders = await waitUntilSettled(db(), tableName(), orderIds, 1000);
      const { lowest, samples } = await shardWatch.stop();

      confirmed = placed.filter((answer) => orders.get(answer.orderId)?.status === 'CONFIRMED');
      const unitsConfirmed = confirmed.reduce((sum, order) => sum + order.quantity, 0);
      const holds = await Promise.all(confirmed.map((order) => holdOf(order.orderId, flashSale)));
      const after = await stockOf(flashSale);
      const fromSeveralShards = holds.filter((hold) => (hold?.fromShards?.length ?? 0) > 1).length;
      console.log(
        `sharded flash sale (seed ${seed}): ${orderCount} orders for ` +
          `${requests.reduce((sum, request) => sum + request.quantity, 0)} units of ${flashStock} on ${flashShards} ` +
          `shards; outcomes ${JSON.stringify(outcomes(orders.values()))}; ${unitsConfirmed} units held by ` +
          `${confirmed.length} orders, ${fromSeveralShards} of them from several shards; lowest shard seen ${lowest} ` +
          `in ${samples} samples`,
      );

      // Exactly the stock was sold, every other order was refused for stock, and nothing is left on any shard.
      expect(unitsConfirmed).toBe(flashStock);
      expect(Object.keys(outcomes(orders.values())).sort()).toEqual(['CONFIRMED', 'FAILED:OUT_OF_STOCK']);
      expect(after.available).toBe(0);
      expect(after.item.available).toBe(0);
      expect(after.shards.map((shard) => shard.shard)).toEqual([0, 1, 2, 3]);
      expect(lowest).toBeGreaterThanOrEqual(0);
      // Every hold says where its units came from, and the shards agree: each gave exactly what the holds name.
      for (const [index, hold] of holds.entries()) {
        expect(hold?.quantity).toBe(confirmed[index]!.quantity);
        expect(hold?.fromShards?.reduce((sum, share) => sum + share.quantity, 0)).toBe(confirmed[index]!.quantity);
      }
      expect(tallyShares(holds)).toEqual(availableByShard(before));
      await expectReconciled();
    } finally {
      await shardWatch.stop();
    }
  }, 330_000);

  it('gives the units of cancelled orders back to the shards they came from', async () => {
    expect(confirmed.length).toBeGreaterThan(5);
    const cancelled = confirmed.slice(0, 5);
    const holds = await Promise.all(cancelled.map((order) => holdOf(order.orderId, flashSale)));
    const before = availableByShard(await stockOf(flashSale));
    for (const order of cancelled) await cancel(order.orderId, tokens[order.customer]!);

    const expected = before.map((available, shard) => available + tallyShares(holds)[shard]!);
    expect(availableByShard(await stockOf(flashSale))).toEqual(expected);
    expect((await stockOf(flashSale)).available).toBe(cancelled.reduce((sum, order) => sum + order.quantity, 0));
    await expectReconciled();
    confirmed = confirmed.slice(5);
  }, 120_000);

  it('takes a line from several shards once no single shard holds it', async () => {
    // Empty the shelf again, then give one unit back to each of several shards: single-unit orders, one per shard.
    const left = await stockOf(flashSale);
    if (left.available > 0) expect((await place(flashSale, left.available)).status).toBe('CONFIRMED');
    const oneFromEachShard = new Map<number, { orderId: string; customer: number }>();
    for (const order of confirmed.filter((candidate) => candidate.quantity === 1)) {
      const shard = (await holdOf(order.orderId, flashSale))?.fromShards?.[0]?.shard;
      if (shard !== undefined && !oneFromEachShard.has(shard)) oneFromEachShard.set(shard, order);
    }
    expect(oneFromEachShard.size).toBeGreaterThanOrEqual(2);
    for (const order of oneFromEachShard.values()) await cancel(order.orderId, tokens[order.customer]!);
    const shards = [...oneFromEachShard.keys()].sort();
    expect(availableByShard(await stockOf(flashSale))).toEqual(
      Array.from({ length: flashShards }, (_, shard) => (shards.includes(shard) ? 1 : 0)),
    );

    const spread = await place(flashSale, shards.length);
    expect(spread.status).toBe('CONFIRMED');
    const hold = await holdOf(spread.orderId, flashSale);
    expect([...(hold?.fromShards ?? [])].sort((a, b) => a.shard - b.shard)).toEqual(
      shards.map((shard) => ({ shard, quantity: 1 })),
    );
    expect(availableByShard(await stockOf(flashSale))).toEqual([0, 0, 0, 0]);
    await expectReconciled();
  }, 120_000);
});

describe('taking from several shards, failing, fulfilling', () => {
  const productId = 'prod_sharded_small';

  it('takes a line no single shard holds from several, and settles it on those shards', async () => {
    expect(availableByShard(await stockOf(productId))).toEqual([2, 2, 1, 1]);
    const big = await place(productId, 4);
    expect(big.status).toBe('CONFIRMED');
    // No shard holds 4 units: the fullest give them.
    expect((await holdOf(big.orderId, productId))?.fromShards).toEqual([
      { shard: 0, quantity: 2 },
      { shard: 1, quantity: 2 },
    ]);
    expect(availableByShard(await stockOf(productId))).toEqual([0, 0, 1, 1]);

    // A declined payment releases its unit back to exactly the shard it came from.
    const declined = await place(productId, 1, 'pm_card_chargeDeclined');
    expect(declined).toMatchObject({ status: 'FAILED', failureReason: 'PAYMENT_DECLINED' });
    expect(await system.runtime.drain(30_000)).toBe(true);
    expect(availableByShard(await stockOf(productId))).toEqual([0, 0, 1, 1]);

    const fulfilled = await system.call('POST', `/admin/orders/${big.orderId}/fulfill`, { token: admin });
    expect(fulfilled.status).toBe(200);
    const settled = await stockOf(productId);
    expect(settled.shards.map((shard) => shard.sold)).toEqual([2, 2, 0, 0]);
    expect(settled.sold).toBe(4);
    expect(await holdOf(big.orderId, productId)).toBeUndefined();

    // What clients see is the sum over the shards, without the layout.
    const shown = await system.call('GET', `/products/${productId}`);
    expect(shown.body).toMatchObject({ productId, available: 2 });
    expect(shown.body).not.toHaveProperty('stockShards');
    await expectReconciled();
  }, 120_000);

  it('takes the last units from two shards, returns them there on cancel, refuses more than is left', async () => {
    const pair = await place(productId, 2);
    expect(pair.status).toBe('CONFIRMED');
    expect(availableByShard(await stockOf(productId))).toEqual([0, 0, 0, 0]);
    await cancel(pair.orderId);
    expect(availableByShard(await stockOf(productId))).toEqual([0, 0, 1, 1]);

    const tooMany = await place(productId, 3);
    expect(tooMany).toMatchObject({ status: 'FAILED', failureReason: 'OUT_OF_STOCK' });
    expect(availableByShard(await stockOf(productId))).toEqual([0, 0, 1, 1]);
    await expectReconciled();
  }, 120_000);
});

describe('changing the shard count', () => {
  const productId = 'prod_reshard';

  it('keeps the total through every layout, with holds from older layouts coming back into the current one', async () => {
    const early = await place(productId, 2);
    expect(early.status).toBe('CONFIRMED');
    expect((await holdOf(early.orderId, productId))?.fromShards).toBeUndefined();

    expect(await patch(productId, { stockShards: 4 })).toMatchObject({ available: 28, stockShards: 4 });
    let view = await stockOf(productId);
    expect(view.item).toMatchObject({ available: 0, stockShards: 4 });
    expect(availableByShard(view)).toEqual([7, 7, 7, 7]);

    const late = await place(productId, 3);
    expect(late.status).toBe('CONFIRMED');
    expect((await holdOf(late.orderId, productId))?.fromShards).toHaveLength(1);
    // Held from the product item before it was sharded: sold there.
    expect((await system.call('POST', `/admin/orders/${early.orderId}/fulfill`, { token: admin })).status).toBe(200);
    expect((await stockOf(productId)).sold).toBe(2);
    await expectReconciled();

    expect(await patch(productId, { stockShards: 2 })).toMatchObject({ available: 25, stockShards: 2 });
    view = await stockOf(productId);
    expect(view.shards.map((shard) => shard.shard)).toEqual([0, 1]);
    expect(view).toMatchObject({ available: 25, sold: 2 });
    // The late order's shard may be gone now: its units come back into the current layout either way.
    await cancel(late.orderId);
    view = await stockOf(productId);
    expect(view.shards.map((shard) => shard.shard)).toEqual([0, 1]);
    expect(view.available).toBe(28);
    await expectReconciled();

    expect(await patch(productId, { stockShards: 1 })).toMatchObject({ available: 28, stockShards: 1 });
    view = await stockOf(productId);
    expect(view.shards).toEqual([]);
    expect(view.item).toEqual({ available: 28, sold: 2 });

    expect(await patch(productId, { stockShards: 3, name: 'Resharded' })).toMatchObject({
      name: 'Resharded',
      available: 28,
      stockShards: 3,
    });
    expect(availableByShard(await stockOf(productId))).toEqual([10, 9, 9]);
    // A new layout moves stock, it neither adds nor removes any: no stock movement.
    expect(await movementsOf(productId)).toEqual([30]);
    await expectReconciled();
  }, 180_000);

  it('copies a change of `active` to every shard', async () => {
    await patch(productId, { active: false });
    expect((await stockOf(productId)).shards.map((shard) => shard.active)).toEqual([false, false, false]);
    const refused = await system.call('POST', '/orders', {
      token: alice,
      body: orderRequest({ items: [{ productId, quantity: 1 }], paymentToken: 'pm_card_visa' }),
    });
    expect(refused.status).toBe(422);
    await patch(productId, { active: true });
    expect((await stockOf(productId)).shards.map((shard) => shard.active)).toEqual([true, true, true]);
    expect((await place(productId, 1)).status).toBe('CONFIRMED');
    await expectReconciled();
  }, 120_000);
});

describe('admin stock adjustments on a sharded product', () => {
  const productId = 'prod_adjust_sharded';
  const adjust = (delta: number) =>
    system.call('POST', `/products/${productId}/stock`, { token: admin, body: { delta, reason: `adjust ${delta}` } });

  it('spreads a restock evenly, takes a correction without any shard going below zero, records each once', async () => {
    expect(availableByShard(await stockOf(productId))).toEqual([2, 2, 2, 2]);
    const restocked = await adjust(10);
    expect(restocked.status).toBe(200);
    expect(restocked.body).toMatchObject({ available: 18, stockShards: 4 });
    const spread = availableByShard(await stockOf(productId));
    expect(spread.reduce((sum, units) => sum + units, 0)).toBe(18);
    expect(Math.max(...spread) - Math.min(...spread)).toBeLessThanOrEqual(1);

    const corrected = await adjust(-15);
    expect(corrected.status).toBe(200);
    expect(corrected.body).toMatchObject({ available: 3 });
    const left = availableByShard(await stockOf(productId));
    expect(left.reduce((sum, units) => sum + units, 0)).toBe(3);
    expect(Math.min(...left)).toBeGreaterThanOrEqual(0);

    const refused = await adjust(-4);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'INSUFFICIENT_STOCK' });
    expect(availableByShard(await stockOf(productId))).toEqual(left);
    expect((await movementsOf(productId)).sort((a, b) => a - b)).toEqual([-15, 8, 10]);
    await expectReconciled();
  });
});

describe('the stockShards setting', () => {
  const create = (body: Record<string, unknown>) =>
    system.call('POST', '/products', {
      token: admin,
      body: { name: 'Shard setting', price: { amount: 500, currency: 'EUR' }, initialStock: 7, ...body },
    });

  it('is refused outside 1-10 and as a non-integer', async () => {
    for (const stockShards of [0, maxStockShards + 1, 2.5, '4']) {
      const refused = await create({ stockShards });
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    const patched = await system.call('PATCH', `/products/${flashSale}`, { token: admin, body: { stockShards: -1 } });
    expect(patched.status).toBe(400);
  });

  it('defaults to 1 and is shown to admins only', async () => {
    const plain = await create({ productId: 'prod_shard_default' });
    expect(plain.status).toBe(201);
    expect(plain.body).toMatchObject({ available: 7, stockShards: 1 });
    expect((await stockOf('prod_shard_default')).shards).toEqual([]);

    const split = await create({ productId: 'prod_shard_three', stockShards: 3 });
    expect(split.status).toBe(201);
    expect(split.body).toMatchObject({ available: 7, stockShards: 3 });
    expect(availableByShard(await stockOf('prod_shard_three'))).toEqual([3, 2, 2]);
    const listed = await system.call<{ products: Record<string, unknown>[] }>('GET', '/products?limit=100');
    expect(listed.body.products.find((entry) => entry.productId === 'prod_shard_three')).toEqual(
      expect.objectContaining({ available: 7 }),
    );
    expect(listed.body.products.some((entry) => 'stockShards' in entry)).toBe(false);
    await expectReconciled();
  });
});
