import { BatchGetCommand, GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { InsufficientStockError, NotFoundError, ProductExistsError, ValidationError } from '../../domain/errors';
import type { Money } from '../../domain/money';
import type { CatalogStore, StockMovement } from '../../domain/ports';
import type { Product } from '../../domain/product';
import { keys } from '../../data/table-design';
import { catalogIndexKeys, itemToProduct, productToItem } from './item-mapping';
import { failedConditions } from './order-transition';

export interface ProductChanges {
  readonly name?: string;
  readonly description?: string;
  readonly price?: Money;
  readonly active?: boolean;
}

export class DynamoDbCatalogStore implements CatalogStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async get(productId: string): Promise<Product | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.product(productId), ConsistentRead: true }),
    );
    return Item ? itemToProduct(Item) : undefined;
  }

  async getMany(productIds: readonly string[]): Promise<Map<string, Product>> {
    const products = new Map<string, Product>();
    let pending: Record<string, unknown>[] = [...new Set(productIds)].map((id) => keys.product(id));
    // BatchGet may return part of the keys as unprocessed under load: ask again for exactly those.
    for (let attempt = 0; pending.length > 0 && attempt < 5; attempt++) {
      const { Responses, UnprocessedKeys } = await this.client.send(
        new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } } }),
      );
      for (const item of Responses?.[this.tableName] ?? []) products.set(item.productId as string, itemToProduct(item));
      pending = (UnprocessedKeys?.[this.tableName]?.Keys as Record<string, unknown>[] | undefined) ?? [];
    }
    if (pending.length > 0) throw new Error('catalog read left keys unprocessed after retries');
    return products;
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
      products: Items.map(itemToProduct),
      ...(LastEvaluatedKey ? { nextCursor: encodeCursor(LastEvaluatedKey) } : {}),
    };
  }

  /** Creates a product and records its initial stock as the first stock movement. */
  async create(product: Product, actor: string): Promise<void> {
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: productToItem(product),
                ConditionExpression: 'attribute_not_exists(PK)',
              },
            },
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

  async update(productId: string, changes: ProductChanges): Promise<Product> {
    const assignments = ['version = version + :one', 'updatedAt = :at'];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':one': 1, ':at': this.now().toISOString() };
    for (const [field, value] of Object.entries(changes)) {
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
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.product(productId),
          UpdateExpression: `SET ${assignments.join(', ')}`,
          ConditionExpression: 'attribute_exists(PK)',
          ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return itemToProduct(Attributes!);
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException')
        throw new NotFoundError(`product ${productId} not found`);
      throw error;
    }
  }

  /** Restocks (positive delta) or corrects (negative) the shelf, never below zero, and records the movement. */
  async adjustStock(productId: string, delta: number, reason: string, actor: string): Promise<Product> {
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: keys.product(productId),
                UpdateExpression: 'SET available = available + :delta',
                ConditionExpression: 'attribute_exists(PK) AND available >= :needed',
                ExpressionAttributeValues: { ':delta': delta, ':needed': Math.max(0, -delta) },
              },
            },
            { Put: { TableName: this.tableName, Item: this.movementItem(productId, delta, reason, actor) } },
          ],
        }),
      );
    } catch (error) {
      if (!failedConditions(error)?.includes(0)) throw error;
      const current = await this.get(productId);
      if (!current) throw new NotFoundError(`product ${productId} not found`);
      throw new InsufficientStockError(`only ${current.available} units are on the shelf; cannot remove ${-delta}`);
    }
    return (await this.get(productId))!;
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
