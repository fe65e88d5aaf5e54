import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { statusIndexPartition } from '../adapters/dynamodb/item-mapping';
import { queryAll } from '../adapters/dynamodb/pagination';
import { keys } from '../data/table-design';
import { inFlightStatuses, type OrderStatus } from '../domain/order';
import type { Migration, MigrationContext } from './migration';

const orderPartitionPrefix = keys.order('').PK;

/**
 * The in-flight statuses (PENDING, RESERVED, AUTHORIZED) used to have one status-index partition each, so every saga
 * step moved the order's index entry; they now share `STATUS#IN_FLIGHT#<shard>` (item-mapping.ts,
 * `statusIndexPartition`). An order that was in flight when the new code was deployed still sits in its old
 * partition, where the recover-orders job and the admin listing no longer look, until its next transition.
 *
 * Reads each old partition of the status index (a Query per status and shard, no Scan) and moves each entry's
 * GSI2PK to the shared partition. Each write is conditional on the order still having the status and the key it
 * was found with: an order that moved on meanwhile already carries its new key, and is left alone. Re-running it
 * finds the old partitions empty.
 */
export const shareInFlightStatusPartition: Migration = {
  id: '0002-share-in-flight-status-partition',
  description:
    'Move orders in PENDING, RESERVED or AUTHORIZED from their per-status GSI2 partitions to the shared in-flight ' +
    'partition, so recover-orders and the admin listing find the orders in flight during the upgrade',
  async up(context) {
    let itemsTouched = 0;
    for (const status of inFlightStatuses) {
      for (let shard = 0; shard < keys.statusShardCount; shard++) {
        itemsTouched += await moveOldPartition(context, status, shard);
      }
    }
    return { itemsTouched };
  },
};

async function moveOldPartition(context: MigrationContext, status: OrderStatus, shard: number): Promise<number> {
  const oldPartition = keys.statusPartition(status, shard);
  const entries = await queryAll(context.documentClient, {
    TableName: context.tableName,
    IndexName: 'GSI2',
    KeyConditionExpression: 'GSI2PK = :old',
    ExpressionAttributeValues: { ':old': oldPartition },
  });
  let moved = 0;
  for (const entry of entries) {
    const orderId = String(entry.PK).slice(orderPartitionPrefix.length);
    try {
      await context.documentClient.send(
        new UpdateCommand({
          TableName: context.tableName,
          Key: keys.order(orderId),
          UpdateExpression: 'SET GSI2PK = :new',
          ConditionExpression: '#status = :status AND GSI2PK = :old',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':status': status,
            ':old': oldPartition,
            ':new': statusIndexPartition(status, shard),
          },
        }),
      );
      moved++;
    } catch (error) {
      // The order moved on since the index was read: its transition gave it its new key.
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    }
  }
  return moved;
}
