import { GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { OrderStateConflictError } from '../../domain/errors';
import { canTransition, type Order, type OrderStatus } from '../../domain/order';
import type { OrderHistoryEntry, OrderStore, TransitionChanges } from '../../domain/ports';
import { keys } from '../../data/table-design';
import { itemToOrder, orderToItem } from './item-mapping';
import { failedConditions, transitionWrites } from './order-transition';

export class DynamoDbOrderStore implements OrderStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(order: Order): Promise<void> {
    await this.client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: this.tableName,
              Item: orderToItem(order),
              ConditionExpression: 'attribute_not_exists(PK)',
            },
          },
          {
            Put: {
              TableName: this.tableName,
              Item: {
                ...keys.orderHistory(order.orderId, ulid()),
                entity: 'orderHistory',
                status: order.status,
                at: order.createdAt,
                reason: 'order placed',
              },
            },
          },
        ],
      }),
    );
  }

  async get(orderId: string): Promise<Order | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.order(orderId), ConsistentRead: true }),
    );
    return Item ? itemToOrder(Item) : undefined;
  }

  async transition(order: Order, to: OrderStatus, changes: TransitionChanges = {}): Promise<Order> {
    if (order.status === to) return order;
    if (!canTransition(order.status, to)) {
      throw new OrderStateConflictError(`order ${order.orderId} is ${order.status}, cannot become ${to}`);
    }
    const { writes, next } = transitionWrites(this.tableName, order, to, changes, this.now().toISOString());
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: writes }));
      return next;
    } catch (error) {
      if (!failedConditions(error)?.includes(0)) throw error;
      // Someone moved the order first. If it is already where we wanted it, this call is a replay: succeed.
      const current = await this.get(order.orderId);
      if (current?.status === to) return current;
      throw new OrderStateConflictError(
        `order ${order.orderId} is ${current?.status ?? 'missing'}, cannot become ${to}`,
        {
          cause: error,
        },
      );
    }
  }

  async history(orderId: string): Promise<OrderHistoryEntry[]> {
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: { ':pk': keys.order(orderId).PK, ':prefix': keys.orderHistoryPrefix },
        ConsistentRead: true,
      }),
    );
    return Items.map((item) => ({
      status: item.status as OrderStatus,
      at: item.at as string,
      ...(item.reason ? { reason: item.reason as string } : {}),
    }));
  }
}
