import { GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { handleWhen } from 'cockatiel';
import { newUlid } from '../../ulids';
import { NotFoundError, ProductExistsError, StockBusyError } from '../../domain/errors';
import type { CatalogStore, ProductChanges, StockMovement } from '../../domain/ports';
import type { Product } from '../../domain/product';
import { splitEvenly } from '../../domain/stock-shards';
import { keys } from '../../data/table-design';
import { backoffRetry } from '../backoff-retry';
import { batchGetAll, itemsBehindIndexEntries } from './batch-operations';
import { adjustmentWrites, catalogChange, layoutWrites, type TransactItem } from './catalog-stock-writes';
import { encodeCursor, startKeyFrom, type StartKeyShape } from './cursors';
import { itemToProduct, productToItem } from './item-mapping';
import { failedConditions } from './order-transition';
import { queryPartitionPrefix } from './pagination';
import { readStockStates, stockShardItem, withShardStock, type StockState } from './stock-state';

/** The catalog listing's start key: a product item's table and GSI1 keys, in the catalog partition. */
const catalogPageKey: StartKeyShape = {
  attributes: ['PK', 'SK', 'GSI1PK', 'GSI1SK'],
  partition: { attribute: 'GSI1PK', value: keys.catalogPartition },
};
/**
 * Changes conditional on the stock as read are tried 8 times against concurrent orders before the request gives up
 * with a 409 (STOCK_BUSY): a product in the middle of a flash sale changes between most reads and writes. Only a
 * cancelled transaction is tried again, after [0, min(500, 40 * 2^(n-1))) ms, with the stock read afresh.
 */
const stockChangeRetry = backoffRetry(
  { attempts: 8, initialDelayMs: 40, maxDelayMs: 500 },
  handleWhen((error) => failedConditions(error) !== undefined),
);

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
      products: await withShardStock(
        this.client,
        this.tableName,
        (await itemsBehindIndexEntries(this.client, this.tableName, Items)).map(itemToProduct),
        false,
      ),
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
      await this.writeOnStock(productId, (state) =>
        layoutWrites(this.tableName, state, changes, this.now().toISOString()),
      );
      return (await this.get(productId))!;
    }
    const change = catalogChange(productId, changes, this.now().toISOString());
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
      ...adjustmentWrites(this.tableName, state, delta),
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
    try {
      await stockChangeRetry.execute(async () => {
        const state = (await readStockStates(this.client, this.tableName, [productId])).get(productId);
        if (!state) throw new NotFoundError(`product ${productId} not found`);
        await this.client.send(new TransactWriteCommand({ TransactItems: plan(state) }));
      });
    } catch (error) {
      if (failedConditions(error) === undefined) throw error;
      throw new StockBusyError(`the stock of product ${productId} kept changing; nothing was changed, try again`, {
        cause: error,
      });
    }
  }

  async movements(productId: string): Promise<StockMovement[]> {
    const { PK } = keys.product(productId);
    const items = await queryPartitionPrefix(this.client, this.tableName, PK, keys.stockMovementPrefix);
    return items.map((item) => ({
      delta: item.delta as number,
      reason: item.reason as string,
      actor: item.actor as string,
      at: item.at as string,
    }));
  }

  private movementItem(productId: string, delta: number, reason: string, actor: string) {
    return {
      ...keys.stockMovement(productId, newUlid()),
      entity: 'stockMovement',
      productId,
      delta,
      reason,
      actor,
      at: this.now().toISOString(),
    };
  }
}
