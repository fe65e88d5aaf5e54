import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { orderIndexKeys } from '../adapters/dynamodb/item-mapping';
import { scanSegments, type Item } from '../adapters/dynamodb/pagination';
import { keys } from '../data/table-design';
import type { Migration, MigrationContext } from './migration';

const orderPartitionPrefix = keys.order('').PK;
const orderSortKey = keys.order('').SK;
const indexAttributes = ['GSI1PK', 'GSI1SK', 'GSI2PK', 'GSI2SK'] as const;
/** A status change between the read and the write fails the write's condition: read again, a few times at most. */
const maxAttemptsPerOrder = 5;

/**
 * Orders written before the customer index (GSI1) and the status index (GSI2) existed carry no index keys, and an
 * item without both keys of an index is not in it: such an order is missing from GET /orders, from
 * GET /admin/orders and from the recover-orders job, which finds stuck orders through GSI2. Transitions only
 * refresh GSI2PK, so an old order never joins GSI2 by itself (GSI2SK stays missing).
 *
 * Visits every order item (parallel Scan, filtered to orders missing a key) and sets the missing keys from the
 * order's own attributes, the way `orderIndexKeys` lays them out for new orders. Each write is conditional on the
 * status it read, so a saga moving the order at the same time is never overwritten with a stale status partition;
 * keys already present are left as they are (`if_not_exists`). Re-running it finds nothing left to do.
 */
export const backfillOrderIndexKeys: Migration = {
  id: '0001-backfill-order-index-keys',
  description:
    'Backfill GSI1 (customer) and GSI2 (status) keys on orders written without them, so customer and admin ' +
    'order listings and the recover-orders job see every order',
  async up(context) {
    const counts = { touched: 0, skipped: 0 };
    await backfillOrders(context, counts);
    if (counts.skipped > 0) context.log('orders left without index keys: attributes missing', { ...counts });
    return { itemsTouched: counts.touched };
  },
};

async function backfillOrders(context: MigrationContext, counts: { touched: number; skipped: number }): Promise<void> {
  await scanSegments(
    context.documentClient,
    {
      TableName: context.tableName,
      ConsistentRead: true,
      FilterExpression:
        `begins_with(PK, :orderPrefix) AND SK = :orderSk AND ` +
        `(${indexAttributes.map((name) => `attribute_not_exists(${name})`).join(' OR ')})`,
      ExpressionAttributeValues: { ':orderPrefix': orderPartitionPrefix, ':orderSk': orderSortKey },
    },
    context.scanSegments,
    async (item) => {
      const outcome = await backfillOrder(context, item);
      if (outcome === 'touched') counts.touched++;
      if (outcome === 'skipped') counts.skipped++;
    },
  );
}

async function backfillOrder(context: MigrationContext, scanned: Item): Promise<'touched' | 'skipped' | 'done'> {
  let item: Item | undefined = scanned;
  for (let attempt = 1; attempt <= maxAttemptsPerOrder && item; attempt++) {
    if (indexAttributes.every((name) => item![name] !== undefined)) return 'done';
    const orderId: string = String(item.PK).slice(orderPartitionPrefix.length);
    const { customerId, status, createdAt } = item;
    if (typeof customerId !== 'string' || typeof status !== 'string' || typeof createdAt !== 'string') {
      context.log('order lacks the attributes its index keys are made of', { orderId });
      return 'skipped';
    }
    const index = orderIndexKeys({ orderId, customerId, status: status as never, createdAt });
    try {
      await context.documentClient.send(
        new UpdateCommand({
          TableName: context.tableName,
          Key: keys.order(orderId),
          UpdateExpression: `SET ${indexAttributes.map((name) => `${name} = if_not_exists(${name}, :${name})`).join(', ')}`,
          ConditionExpression: 'attribute_exists(PK) AND #status = :status',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':status': status,
            ...Object.fromEntries(indexAttributes.map((name) => [`:${name}`, index[name]])),
          },
        }),
      );
      return 'touched';
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      // The order moved on (or was deleted) since it was read: read it again and lay out its keys from that.
      const reread = await context.documentClient.send(
        new GetCommand({ TableName: context.tableName, Key: keys.order(orderId), ConsistentRead: true }),
      );
      item = reread.Item;
    }
  }
  if (!item) return 'done';
  throw new Error(`order ${String(scanned.PK)} kept changing while its index keys were backfilled`);
}
