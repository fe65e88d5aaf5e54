import { BatchGetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ValidationError } from '../../domain/errors';
import type { CatalogStore } from '../../domain/ports';
import type { Product } from '../../domain/product';
import { keys } from '../../data/table-design';
import { itemToProduct, productToItem } from './item-mapping';

export class DynamoDbCatalogStore implements CatalogStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

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

  async list(limit: number, cursor?: string): Promise<{ products: Product[]; nextCursor?: string }> {
    const { Items = [], LastEvaluatedKey } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'GSI1',
        KeyConditionExpression: 'GSI1PK = :catalog',
        ExpressionAttributeValues: { ':catalog': keys.catalogPartition },
        Limit: limit,
        ...(cursor ? { ExclusiveStartKey: decodeCursor(cursor) } : {}),
      }),
    );
    return {
      products: Items.map(itemToProduct),
      ...(LastEvaluatedKey ? { nextCursor: encodeCursor(LastEvaluatedKey) } : {}),
    };
  }

  /** Adds a product unless it exists (seeding must not reset stock that orders already moved). */
  async addIfAbsent(product: Product): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: productToItem(product),
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
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
  throw new ValidationError('invalid cursor', [{ path: 'cursor', message: 'not a cursor this API issued' }]);
}
