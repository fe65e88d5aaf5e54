import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DomainEvent } from '../../domain/events';
import { outboxAttributes } from './outbox-attributes';
import { keys } from '../../data/table-design';
import type { ForecastStore, ProductForecast } from '../../domain/ports';
import { encodeCursor, startKeyFrom } from './cursors';
import { itemsBehindIndexEntries } from './batch-operations';

const reorderPageKey = {
  attributes: ['PK', 'SK', 'GSI1PK', 'GSI1SK'],
  partition: { attribute: 'GSI1PK', value: keys.reorderPartition },
};

/**
 * A product's latest forecast is one item (docs/access-patterns.md, "Demand forecasts"), replaced whole by each
 * run. Only a forecast whose product is at or below its reorder point carries the GSI1 keys of the REORDER
 * partition: the index is sparse, so listing the products to reorder reads those items and no others.
 */
export class DynamoDbForecastStore implements ForecastStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async save(forecast: ProductForecast, event?: DomainEvent): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.forecast(forecast.productId),
          entity: 'forecast',
          ...(forecast.inventory.belowReorderPoint
            ? { GSI1PK: keys.reorderPartition, GSI1SK: forecast.productId }
            : {}),
          forecast,
          // Today's suggestion: the relay publishes it when its id is new (one per product and day), so a second run
          // on the same day rewrites the item without announcing it again.
          ...outboxAttributes(event),
        },
      }),
    );
  }

  async get(productId: string): Promise<ProductForecast | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.forecast(productId) }),
    );
    return Item?.forecast as ProductForecast | undefined;
  }

  async listBelowReorderPoint(
    limit: number,
    cursor?: string,
  ): Promise<{ forecasts: ProductForecast[]; nextCursor?: string }> {
    const { Items = [], LastEvaluatedKey } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'GSI1',
        KeyConditionExpression: 'GSI1PK = :reorder',
        ExpressionAttributeValues: { ':reorder': keys.reorderPartition },
        Limit: limit,
        ...(cursor ? { ExclusiveStartKey: startKeyFrom(cursor, reorderPageKey) } : {}),
      }),
    );
    return {
      forecasts: (await itemsBehindIndexEntries(this.client, this.tableName, Items)).map(
        (item) => item.forecast as ProductForecast,
      ),
      ...(LastEvaluatedKey ? { nextCursor: encodeCursor(LastEvaluatedKey) } : {}),
    };
  }
}
