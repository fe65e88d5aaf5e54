/**
 * Sharded stock for hot products. A product's available stock may be split over several shard items, each with its own
 * `available` counter, so that concurrent reservations write different items instead of queueing on one (a DynamoDB
 * item takes about 1,000 write units per second, and transactions on the same item cancel each other). Every take
 * stays conditional per shard (`available >= quantity`), so no shard, and hence no product, is ever oversold.
 *
 * This module only decides which shards to touch; the adapters write the decisions conditionally and plan again
 * from fresh reads when a condition fails. docs/access-patterns.md describes the layout.
 */

/** 1 is the unsharded layout: the stock lives on the product item itself. */
export const minStockShards = 1;
/** Each shard costs an action in the transactions that touch all of them (creating, redistributing, restocking). */
export const maxStockShards = 10;

export interface ShardStock {
  readonly shard: number;
  readonly available: number;
}

export interface ShardTake {
  readonly shard: number;
  readonly quantity: number;
}

/** Where a reservation starts looking: a random shard, so that concurrent reservations spread over all of them. */
export function startingShard(shardCount: number, random: () => number = Math.random): number {
  if (!Number.isInteger(shardCount) || shardCount < 1) throw new RangeError(`invalid shard count ${shardCount}`);
  return Math.min(shardCount - 1, Math.floor(random() * shardCount));
}

/**
 * Takes `quantity` units for one order line: from the first shard, walking from position `start` (wrapping), that
 * holds all of them, so an order line usually writes one shard. When no single shard does but the shards together
 * do, the units come from the fullest shards first (the fewest writes). Undefined when the shards hold too little.
 */
export function planTake(shards: readonly ShardStock[], quantity: number, start: number): ShardTake[] | undefined {
  assertQuantity(quantity);
  for (let step = 0; step < shards.length; step++) {
    const candidate = shards[(start + step) % shards.length]!;
    if (candidate.available >= quantity) return [{ shard: candidate.shard, quantity }];
  }
  return takeFromFullest(shards, quantity);
}

/**
 * Takes `quantity` units from the fullest shards first, never more than a shard holds (it keeps the shards level and
 * the writes few). Undefined when the shards hold fewer units than that.
 */
export function takeFromFullest(shards: readonly ShardStock[], quantity: number): ShardTake[] | undefined {
  assertQuantity(quantity);
  const total = shards.reduce((sum, shard) => sum + Math.max(0, shard.available), 0);
  if (total < quantity) return undefined;
  const fullestFirst = shards
    .filter((shard) => shard.available > 0)
    .sort((a, b) => b.available - a.available || a.shard - b.shard);
  const takes: ShardTake[] = [];
  let remaining = quantity;
  for (const shard of fullestFirst) {
    const taken = Math.min(shard.available, remaining);
    takes.push({ shard: shard.shard, quantity: taken });
    remaining -= taken;
    if (remaining === 0) break;
  }
  return takes;
}

/**
 * A restock spread evenly over the shards: each gets the same share, and the units left over go one each to the
 * emptiest shards, so the shards end up as level as the delta allows. Shards that get nothing are left out.
 */
export function planRestock(shards: readonly ShardStock[], delta: number): ShardTake[] {
  assertQuantity(delta);
  if (shards.length === 0) throw new RangeError('a restock needs at least one shard');
  const share = Math.floor(delta / shards.length);
  const emptiestFirst = [...shards].sort((a, b) => a.available - b.available || a.shard - b.shard);
  const extra = new Set(emptiestFirst.slice(0, delta % shards.length).map((shard) => shard.shard));
  return shards
    .map((shard) => ({ shard: shard.shard, quantity: share + (extra.has(shard.shard) ? 1 : 0) }))
    .filter((take) => take.quantity > 0);
}

/** `total` units over `shardCount` shards as evenly as possible: the first `total % shardCount` get one more. */
export function splitEvenly(total: number, shardCount: number): number[] {
  if (!Number.isInteger(total) || total < 0) throw new RangeError(`invalid total ${total}`);
  if (!Number.isInteger(shardCount) || shardCount < 1) throw new RangeError(`invalid shard count ${shardCount}`);
  const share = Math.floor(total / shardCount);
  return Array.from({ length: shardCount }, (_, shard) => share + (shard < total % shardCount ? 1 : 0));
}

/** Where units go back when the shard they came from no longer exists (the shard count changed): the emptiest. */
export function emptiestShard(shards: readonly ShardStock[]): number {
  if (shards.length === 0) throw new RangeError('no shard to return stock to');
  return shards.reduce((emptiest, shard) => (shard.available < emptiest.available ? shard : emptiest)).shard;
}

function assertQuantity(quantity: number): void {
  if (!Number.isInteger(quantity) || quantity < 1) throw new RangeError(`invalid quantity ${quantity}`);
}
