import { GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient, TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import {
  InsufficientStockError,
  NotFoundError,
  ProductExistsError,
  StockBusyError,
  ValidationError,
} from '../../domain/errors';
import type { CatalogStore, ProductChanges, StockMovement } from '../../domain/ports';
import type { Product } from '../../domain/product';
import { planRestock, splitEvenly, takeFromFullest } from '../../domain/stock-shards';
import { keys } from '../../data/table-design';
import { catalogIndexKeys, itemToProduct, productToItem } from './item-mapping';
import { failedConditions } from './order-transition';
import {
  batchGetAll,
  layoutCondition,
  readStockStates,
  stockShardItem,
  takeableStock,
  totalAvailable,
  totalSold,
  withShardStock,
  type StockState,
} from './stock-state';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

const catalogFields = ['name', 'description', 'price', 'active'] as const;
/**
 * Changes conditional on the stock as read are tried this many times against concurrent orders before the request
 * gives up with a 409 (STOCK_BUSY): a product in the middle of a flash sale changes between most reads and writes.
 */
const stockChangeAttempts = 8;

export class DynamoDbCatalogStore implements CatalogStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The product with its stock summed over its shards (strongly consistent). */
  async get(productId: string): Promise<Product | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.product(productId), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    const [product] = await withShardStock(this.client, this.tableName, [itemToProduct(Item)], true);
    return product;
  }

  /**
   * Catalog data for pricing, from the product items alone: a sharded product's stock is not read here (see the
   * port), so pricing a flash-sale order never reads the shards that its reservation writes.
   */
  async getMany(productIds: readonly string[]): Promise<Map<string, Product>> {
    const items = await batchGetAll(
      this.client,
      this.tableName,
      [...new Set(productIds)].map((id) => keys.product(id)),
      true,
    );
    return new Map(items.map((item) => [item.productId as string, itemToProduct(item)]));
  }

  /** The active catalog, by product id. */
  async list(limit: number, cursor?: string): Promise<{ products: Product[]; nextCursor?: string }> {
    const { Items = [], LastEvaluatedKey } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'GSI1',
        KeyConditionExpression: 'GSI1PK = :catalog',
        ExpressionAttributeValues: { ':catalog': keys.catalogPartition },
        Limit: limit,
        ...(cursor ? { ExclusiveStartKey: startKeyFrom(cursor, catalogPageKey) } : {}),
      }),
    );
    return {
      // The listing is cached and eventually consistent anyway: the shards are read the same way.
      products: await withShardStock(this.client, this.tableName, Items.map(itemToProduct), false),
      ...(LastEvaluatedKey ? { nextCursor: encodeCursor(LastEvaluatedKey) } : {}),
    };
  }

  /**
   * Creates a product and records its initial stock as the first stock movement. With `stockShards` > 1 the stock is
   * split evenly over that many shard items, written in the same transaction.
   */
  async create(product: Product, actor: string): Promise<void> {
    const { stockShards = 1, ...catalogProduct } = product;
    const sharded = stockShards > 1;
    const shardWrites = (sharded ? splitEvenly(product.available, stockShards) : []).map((available, shard) => ({
      Put: { TableName: this.tableName, Item: stockShardItem(product.productId, shard, available, product.active) },
    }));
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: { ...productToItem(catalogProduct), ...(sharded ? { available: 0, stockShards } : {}) },
                ConditionExpression: 'attribute_not_exists(PK)',
              },
            },
            ...shardWrites,
            {
              Put: {
                TableName: this.tableName,
                Item: this.movementItem(product.productId, product.available, 'initial stock', actor),
              },
            },
          ],
        }),
      );
    } catch (error) {
      if (failedConditions(error)?.includes(0)) throw new ProductExistsError(`product ${product.productId} exists`);
      throw error;
    }
  }

  /** Adds a product unless it exists (seeding must not reset stock that orders already moved). */
  async addIfAbsent(product: Product): Promise<boolean> {
    try {
      await this.create(product, 'seed');
      return true;
    } catch (error) {
      if (error instanceof ProductExistsError) return false;
      throw error;
    }
  }

  /**
   * Changes catalog fields. Changing `active` or `stockShards` involves the shard items too (each carries a copy of
   * `active` for the reservation's condition; a new shard count moves the stock): such changes read the stock and
   * write the product item and its shards in one transaction, conditional on what was read.
   */
  async update(productId: string, changes: ProductChanges): Promise<Product> {
    if (changes.active !== undefined || changes.stockShards !== undefined) {
      await this.writeOnStock(productId, (state) => this.layoutWrites(state, changes));
      return (await this.get(productId))!;
    }
    const change = this.catalogChange(productId, changes);
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.product(productId),
          UpdateExpression: `SET ${change.assignments.join(', ')}`,
          ConditionExpression: 'attribute_exists(PK)',
          ...(Object.keys(change.names).length > 0 ? { ExpressionAttributeNames: change.names } : {}),
          ExpressionAttributeValues: change.values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      const [product] = await withShardStock(this.client, this.tableName, [itemToProduct(Attributes!)], true);
      return product!;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException')
        throw new NotFoundError(`product ${productId} not found`);
      throw error;
    }
  }

  /**
   * Restocks (positive delta) or corrects (negative) the shelf, never below zero, and records the movement once. A
   * sharded product's restock is spread evenly over its shards; a correction takes from the fullest shards, each
   * write conditional on that shard holding the units, all in one transaction.
   */
  async adjustStock(productId: string, delta: number, reason: string, actor: string): Promise<Product> {
    await this.writeOnStock(productId, (state) => [
      ...this.adjustmentWrites(state, delta),
      { Put: { TableName: this.tableName, Item: this.movementItem(productId, delta, reason, actor) } },
    ]);
    return (await this.get(productId))!;
  }

  /**
   * Reads the product's stock and writes what `plan` makes of it in one transaction. When the transaction is
   * cancelled (a condition on what was read failed, or a concurrent order's transaction conflicted), it reads again
   * and plans again, a bounded number of times.
   */
  private async writeOnStock(productId: string, plan: (state: StockState) => TransactItem[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const state = (await readStockStates(this.client, this.tableName, [productId])).get(productId);
      if (!state) throw new NotFoundError(`product ${productId} not found`);
      try {
        await this.client.send(new TransactWriteCommand({ TransactItems: plan(state) }));
        return;
      } catch (error) {
        if (failedConditions(error) === undefined) throw error;
        if (attempt >= stockChangeAttempts) {
          throw new StockBusyError(`the stock of product ${productId} kept changing; nothing was changed, try again`, {
            cause: error,
          });
        }
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(500, 20 * 2 ** attempt)));
      }
    }
  }

  private catalogChange(productId: string, changes: ProductChanges) {
    const assignments = ['version = version + :one', 'updatedAt = :at'];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':one': 1, ':at': this.now().toISOString() };
    for (const field of catalogFields) {
      const value = changes[field];
      if (value === undefined) continue;
      assignments.push(`#${field} = :${field}`);
      names[`#${field}`] = field;
      values[`:${field}`] = value;
    }
    if (changes.active !== undefined) {
      const index = catalogIndexKeys({ productId, active: changes.active });
      assignments.push('GSI1PK = :gsi1pk', 'GSI1SK = :gsi1sk');
      values[':gsi1pk'] = index.GSI1PK;
      values[':gsi1sk'] = index.GSI1SK;
    }
    return { assignments, names, values };
  }

  /**
   * The catalog change plus what it means for the stock items. A new shard count moves all available stock to the
   * new layout (split evenly; back onto the product item for 1) and the shards' sold units onto the product item, so
   * a removed shard takes nothing with it; every item is written conditional on the counters read. Otherwise a change
   * of `active` is copied to every shard.
   */
  private layoutWrites(state: StockState, changes: ProductChanges): TransactItem[] {
    const { productId } = state;
    const { assignments, names, values } = this.catalogChange(productId, changes);
    const layout = layoutCondition(state.stockShards);
    const conditions = ['attribute_exists(PK)', layout.expression];
    Object.assign(values, layout.values);
    const target = changes.stockShards ?? state.stockShards;
    const active = changes.active ?? state.active;
    const removals: string[] = [];
    const shardWrites: TransactItem[] = [];
    if (target !== state.stockShards) {
      const available = totalAvailable(state);
      assignments.push('available = :available', 'sold = :sold');
      values[':available'] = target > 1 ? 0 : available;
      values[':sold'] = totalSold(state);
      if (target > 1) {
        assignments.push('stockShards = :stockShards');
        values[':stockShards'] = target;
      } else {
        removals.push('stockShards');
      }
      conditions.push('available = :seenAvailable');
      values[':seenAvailable'] = state.available;
      if (state.sold === undefined) {
        conditions.push('attribute_not_exists(sold)');
      } else {
        conditions.push('sold = :seenSold');
        values[':seenSold'] = state.sold;
      }
      const seen = new Map(state.shards.map((shard) => [shard.shard, shard]));
      const asSeen = (shard: number) => {
        const counters = seen.get(shard);
        return counters
          ? {
              ConditionExpression: 'available = :seenAvailable AND sold = :seenSold',
              ExpressionAttributeValues: { ':seenAvailable': counters.available, ':seenSold': counters.sold },
            }
          : { ConditionExpression: 'attribute_not_exists(PK)' };
      };
      (target > 1 ? splitEvenly(available, target) : []).forEach((shardAvailable, shard) =>
        shardWrites.push({
          Put: {
            TableName: this.tableName,
            Item: stockShardItem(productId, shard, shardAvailable, active),
            ...asSeen(shard),
          },
        }),
      );
      for (const shard of seen.keys()) {
        // Unsharded again (target 1): every shard goes, shard 0 included.
        if (target > 1 && shard < target) continue;
        shardWrites.push({
          Delete: { TableName: this.tableName, Key: keys.stockShard(productId, shard), ...asSeen(shard) },
        });
      }
    } else if (changes.active !== undefined) {
      for (const { shard } of state.shards) {
        shardWrites.push({
          Update: {
            TableName: this.tableName,
            Key: keys.stockShard(productId, shard),
            UpdateExpression: 'SET active = :active',
            ConditionExpression: 'attribute_exists(PK)',
            ExpressionAttributeValues: { ':active': active },
          },
        });
      }
    }
    const productWrite: TransactItem = {
      Update: {
        TableName: this.tableName,
        Key: keys.product(productId),
        UpdateExpression: `SET ${assignments.join(', ')}${removals.length > 0 ? ` REMOVE ${removals.join(', ')}` : ''}`,
        ConditionExpression: conditions.join(' AND '),
        ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
        ExpressionAttributeValues: values,
      },
    };
    return [productWrite, ...shardWrites];
  }

  private adjustmentWrites(state: StockState, delta: number): TransactItem[] {
    const { productId } = state;
    const takeable = takeableStock(state);
    if (delta < 0 && takeable < -delta) {
      throw new InsufficientStockError(`only ${takeable} units are on the shelf; cannot remove ${-delta}`);
    }
    if (state.stockShards === 1) {
      const layout = layoutCondition(1);
      return [
        {
          Update: {
            TableName: this.tableName,
            Key: keys.product(productId),
            UpdateExpression: 'SET available = available + :delta',
            ConditionExpression: `attribute_exists(PK) AND available >= :needed AND ${layout.expression}`,
            ExpressionAttributeValues: { ':delta': delta, ':needed': Math.max(0, -delta), ...layout.values },
          },
        },
      ];
    }
    if (delta > 0) {
      return planRestock(state.shards, delta).map((take) => ({
        Update: {
          TableName: this.tableName,
          Key: keys.stockShard(productId, take.shard),
          UpdateExpression: 'SET available = available + :quantity',
          // Still part of the layout: shards exist exactly while the shard count includes them.
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeValues: { ':quantity': take.quantity },
        },
      }));
    }
    // The shards hold at least -delta units (checked above), so the fullest of them can give them.
    return (takeFromFullest(state.shards, -delta) ?? []).map((take) => ({
      Update: {
        TableName: this.tableName,
        Key: keys.stockShard(productId, take.shard),
        UpdateExpression: 'SET available = available - :quantity',
        ConditionExpression: 'available >= :quantity',
        ExpressionAttributeValues: { ':quantity': take.quantity },
      },
    }));
  }

  async movements(productId: string): Promise<StockMovement[]> {
    const movements: StockMovement[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
          ExpressionAttributeValues: { ':pk': keys.product(productId).PK, ':prefix': keys.stockMovementPrefix },
          ConsistentRead: true,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        movements.push({
          delta: item.delta as number,
          reason: item.reason as string,
          actor: item.actor as string,
          at: item.at as string,
        });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return movements;
  }

  private movementItem(productId: string, delta: number, reason: string, actor: string) {
    return {
      ...keys.stockMovement(productId, ulid()),
      entity: 'stockMovement',
      productId,
      delta,
      reason,
      actor,
      at: this.now().toISOString(),
    };
  }
}

/** Cursors are opaque to clients: base64url of the last evaluated key, checked on the way back in. */
export function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string): Record<string, unknown> {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (key && typeof key === 'object' && !Array.isArray(key)) {
      const values = Object.values(key);
      if (values.length > 0 && values.length <= 4 && values.every((v) => typeof v === 'string')) {
        return key as Record<string, unknown>;
      }
    }
  } catch {
    // fall through to the validation error
  }
  throw invalidCursor();
}

/**
 * What a query's ExclusiveStartKey must look like: exactly the table's and the index's key attributes, all strings,
 * in the partition being queried and, when the key condition bounds the sort key, within those bounds. DynamoDB
 * refuses anything else with a ValidationException, which would otherwise surface as a 500 for a client's mistake.
 */
export interface StartKeyShape {
  readonly attributes: readonly string[];
  readonly partition: { readonly attribute: string; readonly value: string };
  readonly sortRange?: { readonly attribute: string; readonly low: string; readonly high: string };
}

const catalogPageKey: StartKeyShape = {
  attributes: ['PK', 'SK', 'GSI1PK', 'GSI1SK'],
  partition: { attribute: 'GSI1PK', value: keys.catalogPartition },
};

/** Decodes a client's cursor into a start key of the given shape, or refuses it with a 400. */
export function startKeyFrom(cursor: string, shape: StartKeyShape): Record<string, string> {
  return checkStartKey(decodeCursor(cursor), shape);
}

export function checkStartKey(key: unknown, shape: StartKeyShape): Record<string, string> {
  if (!key || typeof key !== 'object' || Array.isArray(key)) throw invalidCursor();
  const entries = Object.entries(key);
  const wellFormed =
    entries.length === shape.attributes.length &&
    entries.every(([name, value]) => shape.attributes.includes(name) && typeof value === 'string' && value !== '');
  if (!wellFormed) throw invalidCursor();
  const startKey = key as Record<string, string>;
  if (startKey[shape.partition.attribute] !== shape.partition.value) throw invalidCursor();
  const range = shape.sortRange;
  if (range) {
    const sortKey = startKey[range.attribute]!;
    if (sortKey < range.low || sortKey > range.high) throw invalidCursor();
  }
  return startKey;
}

function invalidCursor(): ValidationError {
  return new ValidationError('invalid cursor', [{ path: 'cursor', message: 'not a cursor this API issued' }]);
}
