import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../data/table-design';
import type { Product } from '../../domain/product';
import type { ShardTake } from '../../domain/stock-shards';
import { batchGetAll } from './batch-operations';

type Item = Record<string, unknown>;

/**
 * The stock layout in the table (docs/access-patterns.md): an unsharded product keeps `available` and `sold` on its
 * product item. A product with `stockShards` = n > 1 keeps its available stock on n shard items
 * (`keys.stockShard(id, 0..n-1)`, each with `available`, `sold` and a copy of `active`), and `available` on the
 * product item stays 0. Shard k exists exactly while the layout has more than k shards: changing the count creates
 * and deletes shards in the transaction that moves the stock, so a write conditional on a shard's existence is a
 * write into the current layout.
 */

export interface ShardCounters {
  readonly shard: number;
  readonly available: number;
  readonly sold: number;
}

/** A product's stock as read: the product item's own counters and its shards'. */
export interface StockState {
  readonly productId: string;
  readonly active: boolean;
  readonly stockShards: number;
  /** The product item's `available`: all of the stock when unsharded, 0 when sharded. */
  readonly available: number;
  /** The product item's `sold` as stored: absent until the first sale. */
  readonly sold: number | undefined;
  /** The shard items that exist, by shard number (none when unsharded). */
  readonly shards: readonly ShardCounters[];
}

/** The attribute of a hold that records which shards its units came from (absent: from the product item). */
export const holdSharesAttribute = 'fromShards';

export function shardCountOf(item: Item): number {
  const count = item.stockShards;
  return typeof count === 'number' && Number.isInteger(count) && count > 1 ? count : 1;
}

/** The product's available stock: what reads show and what the reconciliation balances. */
export function totalAvailable(state: StockState): number {
  return state.available + state.shards.reduce((sum, shard) => sum + shard.available, 0);
}

export function totalSold(state: StockState): number {
  return (state.sold ?? 0) + state.shards.reduce((sum, shard) => sum + shard.sold, 0);
}

/** The units a reservation or a correction can take: a sharded product's reservations write only its shards. */
export function takeableStock(state: StockState): number {
  return state.stockShards > 1 ? state.shards.reduce((sum, shard) => sum + shard.available, 0) : state.available;
}

/**
 * A condition (with its one placeholder) that the product item's layout is still `stockShards`: writes of stock to
 * the product item are only valid while it is unsharded, writes that read the layout only while it is unchanged.
 */
export function layoutCondition(stockShards: number): { expression: string; values: Record<string, number> } {
  return {
    expression:
      stockShards > 1
        ? 'stockShards = :layoutShards'
        : '(attribute_not_exists(stockShards) OR stockShards = :layoutShards)',
    values: { ':layoutShards': stockShards },
  };
}

export function stockShardItem(productId: string, shard: number, available: number, active: boolean): Item {
  return { ...keys.stockShard(productId, shard), entity: 'stockShard', productId, shard, available, sold: 0, active };
}

const productPartitionPrefix = keys.product('').PK;
const shardMarker = '#SHARD#';

/** The product and shard number of a stock shard item's key, or undefined for any other key. */
export function parseStockShardKey(pk: string, sk: string): { productId: string; shard: number } | undefined {
  if (sk !== keys.stockShardSortKey || !pk.startsWith(productPartitionPrefix)) return undefined;
  const rest = pk.slice(productPartitionPrefix.length);
  const marker = rest.lastIndexOf(shardMarker);
  if (marker <= 0) return undefined;
  const shard = Number(rest.slice(marker + shardMarker.length));
  return Number.isInteger(shard) && shard >= 0 ? { productId: rest.slice(0, marker), shard } : undefined;
}

/** Where a hold's units came from: its shard shares, or undefined for the product item. */
export function holdShares(hold: Item): ShardTake[] | undefined {
  const shares = hold[holdSharesAttribute];
  if (!Array.isArray(shares) || shares.length === 0) return undefined;
  return (shares as Item[]).map((share) => ({ shard: Number(share.shard), quantity: Number(share.quantity) }));
}

/** The stock state of each product that exists (product item, then its shards), strongly consistent by default. */
export async function readStockStates(
  client: DynamoDBDocumentClient,
  tableName: string,
  productIds: readonly string[],
  consistent = true,
): Promise<Map<string, StockState>> {
  const products = await batchGetAll(
    client,
    tableName,
    [...new Set(productIds)].map((id) => keys.product(id)),
    consistent,
  );
  const shards = await readShards(client, tableName, products, consistent);
  return new Map(
    products.map((item) => {
      const productId = item.productId as string;
      const state: StockState = {
        productId,
        active: item.active === true,
        stockShards: shardCountOf(item),
        available: Number(item.available ?? 0),
        sold: item.sold === undefined ? undefined : Number(item.sold),
        shards: shards.get(productId) ?? [],
      };
      return [productId, state];
    }),
  );
}

/**
 * Products as clients see them: for sharded ones, `available` and `sold` become the totals over the product item
 * and its shards (one BatchGetItem for all of them). Unsharded products are returned as they are, without a read.
 */
export async function withShardStock(
  client: DynamoDBDocumentClient,
  tableName: string,
  products: readonly Product[],
  consistent: boolean,
): Promise<Product[]> {
  const sharded = products.filter((product) => (product.stockShards ?? 1) > 1);
  if (sharded.length === 0) return [...products];
  const shards = await readShards(
    client,
    tableName,
    sharded.map((product) => ({ productId: product.productId, stockShards: product.stockShards })),
    consistent,
  );
  return products.map((product) => {
    const own = shards.get(product.productId);
    if (!own) return product;
    return {
      ...product,
      available: product.available + own.reduce((sum, shard) => sum + shard.available, 0),
      sold: product.sold + own.reduce((sum, shard) => sum + shard.sold, 0),
    };
  });
}

async function readShards(
  client: DynamoDBDocumentClient,
  tableName: string,
  products: readonly Item[],
  consistent: boolean,
): Promise<Map<string, ShardCounters[]>> {
  const shardKeys = products.flatMap((product) =>
    Array.from({ length: shardCountOf(product) > 1 ? shardCountOf(product) : 0 }, (_, shard) =>
      keys.stockShard(product.productId as string, shard),
    ),
  );
  const byProduct = new Map<string, ShardCounters[]>();
  if (shardKeys.length === 0) return byProduct;
  for (const item of await batchGetAll(client, tableName, shardKeys, consistent)) {
    const productId = item.productId as string;
    const counters = { shard: Number(item.shard), available: Number(item.available), sold: Number(item.sold ?? 0) };
    byProduct.set(productId, [...(byProduct.get(productId) ?? []), counters]);
  }
  for (const shards of byProduct.values()) shards.sort((a, b) => a.shard - b.shard);
  return byProduct;
}
