import {
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { DomainEvent } from '../../domain/events';
import { outboxAttributes } from './outbox-attributes';
import { keys } from '../../data/table-design';
import {
  deliveryRetentionDays,
  type AttemptOutcome,
  type WebhookDelivery,
  type WebhookEndpoint,
  type WebhookStore,
} from '../../domain/webhooks';
import { encodeCursor, startKeyFrom } from './cursors';
import { queryAll, type Item } from './pagination';

const conditionFailed = (error: unknown) =>
  (error as Error).name === 'ConditionalCheckFailedException' ||
  (error as Error).name === 'TransactionCanceledException';

/**
 * Webhook endpoints and deliveries in the orders table (docs/access-patterns.md, "Webhooks"). Endpoints sit under
 * their owner, so every read on a request path and the fan-out are a GetItem or one Query of the owner's partition,
 * and another owner's endpoint is simply not found. The signing secrets are item attributes, encrypted at rest with
 * the table's customer managed key like every other attribute. Deliveries carry their event and expire by TTL.
 */
export class DynamoDbWebhookStore implements WebhookStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async createEndpoint(endpoint: WebhookEndpoint, cap: number): Promise<boolean> {
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              // The counter makes the cap hold under concurrent registrations, which a count-then-put would not.
              Update: {
                TableName: this.tableName,
                Key: keys.webhookEndpointCount(endpoint.ownerId),
                UpdateExpression: 'SET endpoints = if_not_exists(endpoints, :zero) + :one, entity = :entity',
                ConditionExpression: 'attribute_not_exists(endpoints) OR endpoints < :cap',
                ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':cap': cap, ':entity': 'webhookEndpointCount' },
              },
            },
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  ...keys.webhookEndpoint(endpoint.ownerId, endpoint.webhookId),
                  entity: 'webhookEndpoint',
                  ...endpoint,
                },
                ConditionExpression: 'attribute_not_exists(PK)',
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (conditionFailed(error)) return false;
      throw error;
    }
  }

  async getEndpoint(ownerId: string, webhookId: string): Promise<WebhookEndpoint | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.webhookEndpoint(ownerId, webhookId),
        ConsistentRead: true,
      }),
    );
    return Item ? toEndpoint(Item) : undefined;
  }

  async listEndpoints(ownerId: string): Promise<WebhookEndpoint[]> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: {
        ':pk': keys.webhookEndpointPartition(ownerId),
        ':prefix': keys.webhookEndpointPrefix,
      },
    });
    return items.map(toEndpoint);
  }

  async deleteEndpoint(ownerId: string, webhookId: string): Promise<boolean> {
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Delete: {
                TableName: this.tableName,
                Key: keys.webhookEndpoint(ownerId, webhookId),
                ConditionExpression: 'attribute_exists(PK)',
              },
            },
            {
              Update: {
                TableName: this.tableName,
                Key: keys.webhookEndpointCount(ownerId),
                UpdateExpression: 'SET endpoints = endpoints - :one',
                ConditionExpression: 'endpoints > :zero',
                ExpressionAttributeValues: { ':zero': 0, ':one': 1 },
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (conditionFailed(error)) return false;
      throw error;
    }
  }

  async rotateSecret(
    ownerId: string,
    webhookId: string,
    secret: string,
    previousExpiresAt: string,
    at: string,
  ): Promise<WebhookEndpoint | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.webhookEndpoint(ownerId, webhookId),
          UpdateExpression:
            'SET previousSecret = secret, previousSecretExpiresAt = :expires, secret = :secret, updatedAt = :at',
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeValues: { ':secret': secret, ':expires': previousExpiresAt, ':at': at },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ? toEndpoint(Attributes) : undefined;
    } catch (error) {
      if (conditionFailed(error)) return undefined;
      throw error;
    }
  }

  async noteFailure(ownerId: string, webhookId: string, at: string): Promise<string | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.webhookEndpoint(ownerId, webhookId),
          UpdateExpression: 'SET failingSince = if_not_exists(failingSince, :at)',
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeValues: { ':at': at },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes?.failingSince as string | undefined;
    } catch (error) {
      if (conditionFailed(error)) return undefined;
      throw error;
    }
  }

  async noteSuccess(ownerId: string, webhookId: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.webhookEndpoint(ownerId, webhookId),
          UpdateExpression: 'REMOVE failingSince',
          // Most successes follow successes: the condition spares the write (and the stream record) then.
          ConditionExpression: 'attribute_exists(failingSince)',
        }),
      );
    } catch (error) {
      if (!conditionFailed(error)) throw error;
    }
  }

  async disableEndpoint(ownerId: string, webhookId: string, at: string, event: DomainEvent): Promise<boolean> {
    const outbox = outboxAttributes(event);
    const names = Object.keys(outbox);
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.webhookEndpoint(ownerId, webhookId),
          // The owner hears of it through the outbox: the event rides on the endpoint's own write.
          UpdateExpression: `SET #status = :disabled, disabledAt = :at, updatedAt = :at${names
            .map((name, index) => `, #outbox${index} = :outbox${index}`)
            .join('')}`,
          ConditionExpression: '#status = :enabled',
          ExpressionAttributeNames: {
            '#status': 'status',
            ...Object.fromEntries(names.map((name, index) => [`#outbox${index}`, name])),
          },
          ExpressionAttributeValues: {
            ':disabled': 'disabled',
            ':enabled': 'enabled',
            ':at': at,
            ...Object.fromEntries(names.map((name, index) => [`:outbox${index}`, outbox[name]])),
          },
        }),
      );
      return true;
    } catch (error) {
      if (conditionFailed(error)) return false;
      throw error;
    }
  }

  async addDelivery(delivery: WebhookDelivery): Promise<{ delivery: WebhookDelivery; created: boolean }> {
    const key = keys.webhookDelivery(delivery.webhookId, delivery.deliveryId);
    const expiresAt = Math.floor(Date.parse(delivery.createdAt) / 1000) + deliveryRetentionDays * 24 * 60 * 60;
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...key, entity: 'webhookDelivery', ...delivery, expiresAt },
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
      return { delivery, created: true };
    } catch (error) {
      if (!conditionFailed(error)) throw error;
    }
    const existing = await this.getDelivery(delivery.webhookId, delivery.deliveryId);
    return { delivery: existing ?? delivery, created: false };
  }

  async getDelivery(webhookId: string, deliveryId: string): Promise<WebhookDelivery | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.webhookDelivery(webhookId, deliveryId),
        ConsistentRead: true,
      }),
    );
    return Item ? toDelivery(Item) : undefined;
  }

  async listDeliveries(
    webhookId: string,
    page: { limit: number; cursor?: string },
  ): Promise<{ deliveries: WebhookDelivery[]; nextCursor?: string }> {
    const partition = keys.webhookDeliveryPartition(webhookId);
    const { Items = [], LastEvaluatedKey } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: { ':pk': partition, ':prefix': keys.webhookDeliveryPrefix },
        ScanIndexForward: false,
        Limit: page.limit,
        ...(page.cursor
          ? {
              ExclusiveStartKey: startKeyFrom(page.cursor, {
                attributes: ['PK', 'SK'],
                partition: { attribute: 'PK', value: partition },
              }),
            }
          : {}),
      }),
    );
    return {
      deliveries: Items.map(toDelivery),
      ...(LastEvaluatedKey ? { nextCursor: encodeCursor(LastEvaluatedKey) } : {}),
    };
  }

  async deliveriesBetween(webhookId: string, low: string, high: string, limit: number): Promise<WebhookDelivery[]> {
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'PK = :pk AND SK BETWEEN :low AND :high',
        ExpressionAttributeValues: {
          ':pk': keys.webhookDeliveryPartition(webhookId),
          ':low': `${keys.webhookDeliveryPrefix}${low}`,
          ':high': `${keys.webhookDeliveryPrefix}${high}`,
        },
        Limit: limit,
      }),
    );
    return Items.map(toDelivery);
  }

  async claimAttempt(
    webhookId: string,
    deliveryId: string,
    attempt: number,
    at: string,
  ): Promise<WebhookDelivery | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.webhookDelivery(webhookId, deliveryId),
          UpdateExpression: 'SET attempts = :attempt, lastAttemptAt = :at, updatedAt = :at REMOVE nextAttemptAt',
          ConditionExpression: '#status = :pending AND attempts = :previous',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':pending': 'pending',
            ':previous': attempt - 1,
            ':attempt': attempt,
            ':at': at,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ? toDelivery(Attributes) : undefined;
    } catch (error) {
      if (conditionFailed(error)) return undefined;
      throw error;
    }
  }

  async recordAttempt(webhookId: string, deliveryId: string, attempt: number, outcome: AttemptOutcome): Promise<void> {
    const sets = ['#status = :status', 'lastResponseExcerpt = :excerpt', 'updatedAt = :at'];
    const removes: string[] = [];
    const values: Record<string, unknown> = {
      ':status': outcome.status,
      ':excerpt': outcome.excerpt,
      ':at': outcome.at,
      ':attempt': attempt,
      ':pending': 'pending',
    };
    if (outcome.responseCode === undefined) removes.push('lastResponseCode');
    else {
      sets.push('lastResponseCode = :code');
      values[':code'] = outcome.responseCode;
    }
    if (outcome.nextAttemptAt === undefined) removes.push('nextAttemptAt');
    else {
      sets.push('nextAttemptAt = :next');
      values[':next'] = outcome.nextAttemptAt;
    }
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.webhookDelivery(webhookId, deliveryId),
          UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
          // A manual retry may have started a new series meanwhile: its attempt's outcome is the one that counts.
          ConditionExpression: 'attempts = :attempt AND #status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      if (!conditionFailed(error)) throw error;
    }
  }

  async startSeries(webhookId: string, deliveryId: string, at: string): Promise<WebhookDelivery | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.webhookDelivery(webhookId, deliveryId),
          UpdateExpression: 'SET #status = :pending, seriesStart = attempts, nextAttemptAt = :at, updatedAt = :at',
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':pending': 'pending', ':at': at },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ? toDelivery(Attributes) : undefined;
    } catch (error) {
      if (conditionFailed(error)) return undefined;
      throw error;
    }
  }
}

function toEndpoint(item: Item): WebhookEndpoint {
  return {
    webhookId: String(item.webhookId),
    ownerId: String(item.ownerId),
    url: String(item.url),
    eventTypes: (item.eventTypes as WebhookEndpoint['eventTypes'] | undefined) ?? [],
    ...(typeof item.description === 'string' ? { description: item.description } : {}),
    status: item.status === 'disabled' ? 'disabled' : 'enabled',
    secret: String(item.secret),
    ...(typeof item.previousSecret === 'string' ? { previousSecret: item.previousSecret } : {}),
    ...(typeof item.previousSecretExpiresAt === 'string'
      ? { previousSecretExpiresAt: item.previousSecretExpiresAt }
      : {}),
    ...(typeof item.failingSince === 'string' ? { failingSince: item.failingSince } : {}),
    ...(typeof item.disabledAt === 'string' ? { disabledAt: item.disabledAt } : {}),
    createdAt: String(item.createdAt),
    updatedAt: String(item.updatedAt),
  };
}

function toDelivery(item: Item): WebhookDelivery {
  const optionalString = (name: string) => (typeof item[name] === 'string' ? { [name]: item[name] as string } : {});
  return {
    deliveryId: String(item.deliveryId),
    webhookId: String(item.webhookId),
    ownerId: String(item.ownerId),
    eventId: String(item.eventId),
    eventType: String(item.eventType),
    occurredAt: String(item.occurredAt),
    payload: String(item.payload),
    status: item.status === 'delivered' ? 'delivered' : item.status === 'failed' ? 'failed' : 'pending',
    attempts: Number(item.attempts ?? 0),
    seriesStart: Number(item.seriesStart ?? 0),
    ...(typeof item.lastResponseCode === 'number' ? { lastResponseCode: item.lastResponseCode } : {}),
    ...optionalString('lastAttemptAt'),
    ...optionalString('lastResponseExcerpt'),
    ...optionalString('nextAttemptAt'),
    createdAt: String(item.createdAt),
    updatedAt: String(item.updatedAt),
  };
}
