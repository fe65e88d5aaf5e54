import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../data/table-design';
import type { CompensationSchedule, CompensationTiming, PendingCompensation } from '../../domain/ports';
import { pendingCompensationItem, statusShard } from './item-mapping';
import { queryPages } from './pagination';

/**
 * The pending compensations, one small item per order in a few sharded partitions. The set stays small (entries live
 * for minutes), so a due-list query reads every shard with a filter rather than keeping an index for it.
 */
export class DynamoDbCompensationSchedule implements CompensationSchedule {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async schedule(orderId: string, timing: CompensationTiming): Promise<void> {
    await this.client.send(
      new PutCommand({ TableName: this.tableName, Item: pendingCompensationItem(orderId, timing) }),
    );
  }

  async complete(orderId: string): Promise<boolean> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keys.pendingCompensation(statusShard(orderId), orderId),
          ConditionExpression: 'attribute_not_exists(PK) OR settledAfter <= :now',
          ExpressionAttributeValues: { ':now': this.now().toISOString() },
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error)?.name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  async due(limit: number, options: { readonly afterRestart?: boolean } = {}): Promise<PendingCompensation[]> {
    const now = this.now().toISOString();
    const found: PendingCompensation[] = [];
    for (let shard = 0; shard < keys.statusShardCount && found.length < limit; shard++) {
      const pages = queryPages(this.client, {
        TableName: this.tableName,
        KeyConditionExpression: 'PK = :partition',
        FilterExpression: options.afterRestart ? 'checkAfter <= :now OR settledAfter <= :now' : 'checkAfter <= :now',
        ExpressionAttributeValues: { ':partition': keys.pendingCompensationPartition(shard), ':now': now },
        ConsistentRead: true,
      });
      for await (const page of pages) {
        for (const item of page.Items ?? []) {
          found.push({
            orderId: String(item.orderId),
            checkAfter: String(item.checkAfter),
            settledAfter: String(item.settledAfter),
          });
        }
        if (found.length >= limit) break;
      }
    }
    return found.slice(0, limit);
  }
}
