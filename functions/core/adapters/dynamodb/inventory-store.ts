import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { OrderStateConflictError, OutOfStockError } from '../../domain/errors';
import type { Order } from '../../domain/order';
import type { InventoryStore, OrderStore } from '../../domain/ports';
import { keys } from '../../data/table-design';
import { failedConditions, transitionWrites } from './order-transition';

const alreadyReserved = new Set(['RESERVED', 'AUTHORIZED', 'CONFIRMED', 'FULFILLED']);

/**
 * Stock lives on the product item (`available`) and in hold items (one per order and product). Every change is a
 * conditional transaction, so stock can never go negative and no read-then-write race exists.
 */
export class DynamoDbInventoryStore implements InventoryStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly orders: OrderStore,
    private readonly holdMinutes: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async reserve(order: Order): Promise<Order> {
    const at = this.now();
    const holdExpiresAt = Math.floor(at.getTime() / 1000) + this.holdMinutes * 60;
    const stockWrites = order.items.flatMap((line) => [
      {
        Update: {
          TableName: this.tableName,
          Key: keys.product(line.productId),
          UpdateExpression: 'SET available = available - :quantity',
          ConditionExpression: 'active = :true AND available >= :quantity',
          ExpressionAttributeValues: { ':quantity': line.quantity, ':true': true },
        },
      },
      {
        Put: {
          TableName: this.tableName,
          Item: {
            ...keys.hold(order.orderId, line.productId),
            entity: 'hold',
            orderId: order.orderId,
            productId: line.productId,
            quantity: line.quantity,
            createdAt: at.toISOString(),
            holdExpiresAt,
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
    ]);
    const transition = transitionWrites(
      this.tableName,
      order,
      'RESERVED',
      { reason: 'stock reserved' },
      at.toISOString(),
    );
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: [...transition.writes, ...stockWrites] }));
      return transition.next;
    } catch (error) {
      const failed = failedConditions(error);
      if (!failed || failed.length === 0) throw error;
      if (failed.includes(0)) {
        // The order is no longer as read: either this is a replay of a reservation that succeeded, or it moved on.
        const current = await this.orders.get(order.orderId);
        if (current && alreadyReserved.has(current.status)) return current;
        throw new OrderStateConflictError(`order ${order.orderId} is ${current?.status ?? 'missing'}, cannot reserve`, {
          cause: error,
        });
      }
      const shortLines = failed
        .filter((index) => index >= transition.writes.length && (index - transition.writes.length) % 2 === 0)
        .map((index) => order.items[(index - transition.writes.length) / 2]!.productId);
      if (shortLines.length === 0) throw error;
      throw new OutOfStockError(`not enough stock for ${shortLines.join(', ')}`, { cause: error });
    }
  }

  async release(order: Order): Promise<number> {
    let released = 0;
    // One transaction per line: each is all-or-nothing, and a line whose hold is gone was released before.
    for (const line of order.items) {
      try {
        await this.client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Delete: {
                  TableName: this.tableName,
                  Key: keys.hold(order.orderId, line.productId),
                  ConditionExpression: 'attribute_exists(PK) AND quantity = :quantity',
                  ExpressionAttributeValues: { ':quantity': line.quantity },
                },
              },
              {
                Update: {
                  TableName: this.tableName,
                  Key: keys.product(line.productId),
                  UpdateExpression: 'SET available = available + :quantity',
                  ConditionExpression: 'attribute_exists(PK)',
                  ExpressionAttributeValues: { ':quantity': line.quantity },
                },
              },
            ],
          }),
        );
        released += line.quantity;
      } catch (error) {
        if (!failedConditions(error)?.includes(0)) throw error;
      }
    }
    return released;
  }

  /**
   * Fulfilment: every hold becomes sold stock and the order moves CONFIRMED → FULFILLED in one transaction, so a
   * cancellation racing it either wins entirely (nothing is sold) or loses entirely (the order is fulfilled).
   */
  async commit(order: Order): Promise<Order> {
    if (order.status === 'FULFILLED') return order;
    const at = this.now().toISOString();
    const transition = transitionWrites(
      this.tableName,
      order,
      'FULFILLED',
      { reason: 'payment captured, stock committed' },
      at,
    );
    const holdWrites = order.items.flatMap((line) => [
      {
        Delete: {
          TableName: this.tableName,
          Key: keys.hold(order.orderId, line.productId),
          ConditionExpression: 'attribute_exists(PK) AND quantity = :quantity',
          ExpressionAttributeValues: { ':quantity': line.quantity },
        },
      },
      {
        Update: {
          TableName: this.tableName,
          Key: keys.product(line.productId),
          UpdateExpression: 'ADD sold :quantity',
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeValues: { ':quantity': line.quantity },
        },
      },
    ]);
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: [...transition.writes, ...holdWrites] }));
      return transition.next;
    } catch (error) {
      if (!failedConditions(error)?.length) throw error;
      const current = await this.orders.get(order.orderId);
      if (current?.status === 'FULFILLED') return current;
      throw new OrderStateConflictError(`order ${order.orderId} is ${current?.status ?? 'missing'}, cannot fulfil`, {
        cause: error,
      });
    }
  }
}
