import { GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { newUlid } from '../../ulids';
import type { WebhookLedger, WebhookRecord } from '../../domain/ports';
import { keys } from '../../data/table-design';
import { failedConditions } from './order-transition';
import { outboxAttributes } from './outbox-attributes';

const webhookKey = (eventId: string) => ({ PK: `WEBHOOK#${eventId}`, SK: 'WEBHOOK' });

/**
 * Provider webhook events, each recorded at most once: the `WEBHOOK#<eventId>` item is written conditionally in the
 * same transaction as the order's history entry and fact, so a replayed (or concurrently redelivered) event changes
 * nothing. The item expires (table TTL) after the provider's retry window.
 */
export class DynamoDbWebhookLedger implements WebhookLedger {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async seen(eventId: string): Promise<boolean> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: webhookKey(eventId), ConsistentRead: true }),
    );
    return Item !== undefined;
  }

  async record(entry: WebhookRecord): Promise<boolean> {
    const at = this.now().toISOString();
    const { order } = entry;
    const writes: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']> = [
      {
        Put: {
          TableName: this.tableName,
          Item: {
            ...webhookKey(entry.eventId),
            entity: 'webhookEvent',
            at,
            expiresAt: entry.expiresAt,
            ...(entry.orderId ? { orderId: entry.orderId } : {}),
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
    ];
    if (order) {
      writes.push({
        Put: {
          TableName: this.tableName,
          Item: {
            ...keys.orderHistory(order.orderId, newUlid()),
            entity: 'orderHistory',
            status: order.status,
            at,
            reason: order.reason,
            ...outboxAttributes(order.event),
          },
        },
      });
      if (order.fact) {
        writes.push({
          Update: {
            TableName: this.tableName,
            Key: keys.order(order.orderId),
            UpdateExpression: 'SET #field = list_append(if_not_exists(#field, :empty), :fact)',
            ConditionExpression: 'attribute_exists(PK)',
            ExpressionAttributeNames: { '#field': order.fact.field },
            ExpressionAttributeValues: { ':empty': [], ':fact': [order.fact.value] },
          },
        });
      }
    }
    try {
      if (writes.length === 1) {
        // The event changes no order (the saga owns the outcome): one conditional Put, at half a transaction's
        // write units and without the transaction's region-fence check (docs/regions.md, single writes).
        await this.client.send(new PutCommand(writes[0]!.Put!));
      } else {
        await this.client.send(new TransactWriteCommand({ TransactItems: writes }));
      }
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      if (failedConditions(error)?.includes(0)) return false;
      throw error;
    }
  }
}
