import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { keys } from '../../data/table-design';
import type { EmailClaim, EmailKey, EmailLedger } from '../../domain/ports';

/**
 * How long a claim stays another delivery's before it may be taken over: longer than the consumer's function
 * timeout (30 s), so a delivery still running is never overtaken, short enough for EventBridge's retries to find it
 * free again.
 */
export const emailClaimLeaseSeconds = 120;
/**
 * How long an email is remembered: past EventBridge's redelivery window (24 h) and the dead-letter queue's retention
 * (14 days), from which an operator may redrive the event.
 */
export const emailRecordDays = 30;

/**
 * The customer-email ledger in the orders table: one `EMAIL#<orderId>` / `EMAIL#<eventType>` item per email, written
 * with a condition (absent, or an expired claim never marked sent), so two deliveries cannot both claim it.
 */
export class DynamoDbEmailLedger implements EmailLedger {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async claim(key: EmailKey, now: Date): Promise<EmailClaim> {
    const at = Math.floor(now.getTime() / 1000);
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.customerEmail(key.orderId, key.eventType),
            entity: 'customerEmail',
            orderId: key.orderId,
            eventType: key.eventType,
            state: 'sending',
            claimedAt: at,
            expiresAt: at + emailRecordDays * 24 * 60 * 60,
          },
          ConditionExpression: 'attribute_not_exists(PK) OR (#state = :sending AND claimedAt < :staleBefore)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':sending': 'sending', ':staleBefore': at - emailClaimLeaseSeconds },
        }),
      );
      return 'claimed';
    } catch (error) {
      if ((error as Error)?.name !== 'ConditionalCheckFailedException') throw error;
    }
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.customerEmail(key.orderId, key.eventType),
        ConsistentRead: true,
      }),
    );
    return Item?.state === 'sent' ? 'sent' : 'in-progress';
  }

  async release(key: EmailKey, claimedAt: Date): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keys.customerEmail(key.orderId, key.eventType),
          ConditionExpression: '#state = :sending AND claimedAt = :claimedAt',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':sending': 'sending', ':claimedAt': Math.floor(claimedAt.getTime() / 1000) },
        }),
      );
    } catch (error) {
      if ((error as Error)?.name !== 'ConditionalCheckFailedException') throw error;
    }
  }

  async markSent(key: EmailKey, messageId: string, now: Date): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.customerEmail(key.orderId, key.eventType),
        UpdateExpression: 'SET #state = :sent, sentAt = :at, messageId = :messageId',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':sent': 'sent', ':at': now.toISOString(), ':messageId': messageId },
      }),
    );
  }
}
