import { GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { newUlid } from '../../ulids';
import { OrderStateConflictError } from '../../domain/errors';
import { checkStartKey, decodeCursor, encodeCursor, invalidCursor, startKeyFrom } from './cursors';
import { itemsBehindIndexEntries } from './batch-operations';
import {
  canTransition,
  failableStatuses,
  type Actor,
  type FailureReason,
  type HeldDecision,
  type Order,
  type OrderStatus,
  type Refund,
  type RiskRecord,
} from '../../domain/order';
import type { EarlierOrder, OrderHistoryEntry, OrderStore, TransitionChanges } from '../../domain/ports';
import { keys } from '../../data/table-design';
import { itemToOrder, orderToItem, riskToItem, statusIndexPartition } from './item-mapping';
import { failedConditions, transitionWrites } from './order-transition';
import { outboxAttributes } from './outbox-attributes';
import { orderEvent, type DomainEvent } from '../../domain/events';
import { queryPages, queryPartitionPrefix } from './pagination';

export class DynamoDbOrderStore implements OrderStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(order: Order): Promise<boolean> {
    const written = this.client.send(
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
                ...keys.orderHistory(order.orderId, newUlid()),
                entity: 'orderHistory',
                status: order.status,
                at: order.createdAt,
                reason: 'order placed',
                ...outboxAttributes(orderEvent('order.placed', order, order.createdAt)),
              },
            },
          },
        ],
      }),
    );
    return written.then(
      () => true,
      (error: unknown) => {
        // The order's Put is the first action: its condition failed, so an order with this id is already stored.
        if (failedConditions(error)?.includes(0)) return false;
        throw error;
      },
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

  async recordRefund(
    order: Order,
    refund: Refund,
    to: OrderStatus,
    event: (refunded: Order) => DomainEvent,
  ): Promise<Order> {
    if (order.refunds?.some((recorded) => recorded.refundId === refund.refundId)) return order;
    if (!canTransition(order.status, to)) {
      throw new OrderStateConflictError(`order ${order.orderId} is ${order.status}, cannot become ${to}`);
    }
    const refunds = [...(order.refunds ?? []), refund];
    const refundedAmount = (order.refundedAmount ?? 0) + refund.amount;
    // The status write carries the refund list and total: one write, conditional on the status and version as read.
    const { writes, next } = transitionWrites(
      this.tableName,
      order,
      to,
      { reason: refund.reason, actor: refund.actor, event: (next) => event({ ...next, refunds, refundedAmount }) },
      this.now().toISOString(),
      { refunds, refundedAmount },
    );
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: writes }));
      return { ...next, refunds, refundedAmount };
    } catch (error) {
      if (!failedConditions(error)?.includes(0)) throw error;
      // Someone changed the order first: a concurrent replay of this very refund recorded it, or another refund won.
      const current = await this.get(order.orderId);
      if (current?.refunds?.some((recorded) => recorded.refundId === refund.refundId)) return current;
      throw new OrderStateConflictError(`order ${order.orderId} changed while its refund was being recorded`, {
        cause: error,
      });
    }
  }

  async markFailing(orderId: string, reason: FailureReason): Promise<Order | undefined> {
    const values: Record<string, unknown> = { ':failure': { reason, at: this.now().toISOString() }, ':one': 1 };
    failableStatuses.forEach((status, index) => (values[`:inFlight${index}`] = status));
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.order(orderId),
          UpdateExpression: 'SET failure = :failure ADD version :one',
          ConditionExpression: `attribute_not_exists(failure) AND #status IN (${failableStatuses.map((_, index) => `:inFlight${index}`).join(', ')})`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ? itemToOrder(Attributes) : undefined;
    } catch (error) {
      // Already decided, or no longer in flight (confirmed, cancelled, failed): the order stays as it is.
      if ((error as Error)?.name !== 'ConditionalCheckFailedException') throw error;
      return this.get(orderId);
    }
  }

  async decideHeld(order: Order, decision: HeldDecision): Promise<Order | undefined> {
    // An abandon is also the failure decision, in the same write: from then on no forward step can move the order.
    const failure = decision.decision === 'abandon' ? { reason: decision.reason, at: decision.at } : undefined;
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.order(order.orderId),
          UpdateExpression: `SET heldDecision = :decision${failure ? ', failure = if_not_exists(failure, :failure)' : ''} ADD version :one`,
          ConditionExpression: '#status = :held AND attribute_not_exists(heldDecision)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':decision': decision,
            ':held': order.status,
            ':one': 1,
            ...(failure ? { ':failure': failure } : {}),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ? itemToOrder(Attributes) : undefined;
    } catch (error) {
      // Decided by someone else first (the webhook and the confirm route racing), or no longer held.
      if ((error as Error)?.name === 'ConditionalCheckFailedException') return undefined;
      throw error;
    }
  }

  async countRecentOrders(order: Order, since: string): Promise<number> {
    let count = 0;
    const pages = queryPages(this.client, {
      TableName: this.tableName,
      IndexName: 'GSI1',
      KeyConditionExpression: 'GSI1PK = :customer AND GSI1SK BETWEEN :since AND :self',
      ExpressionAttributeValues: {
        ':customer': keys.customerPartition(order.customerId),
        ':since': since,
        ':self': `${order.createdAt}#${order.orderId}`,
      },
      Select: 'COUNT',
    });
    for await (const page of pages) count += page.Count ?? 0;
    // The range ends at the order itself, inclusive: the count without it is what the rules look at.
    return Math.max(0, count - 1);
  }

  async earlierOrders(order: Order, limit: number): Promise<EarlierOrder[]> {
    // One Query on the customer index, which projects what this returns (table-design.ts): no item is read.
    // '~' sorts after every id character: orders placed in the same millisecond are in, the order itself is not.
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'GSI1',
        KeyConditionExpression: 'GSI1PK = :customer AND GSI1SK <= :placed',
        ExpressionAttributeValues: {
          ':customer': keys.customerPartition(order.customerId),
          ':placed': `${order.createdAt}~`,
        },
        ScanIndexForward: false,
        Limit: limit + 1,
      }),
    );
    return Items.filter((item) => item.orderId !== order.orderId)
      .slice(0, limit)
      .map((item) => ({
        orderId: item.orderId as string,
        createdAt: item.createdAt as string,
        total: item.total as Order['total'],
        ...(item.paymentMethod ? { paymentMethod: item.paymentMethod as string } : {}),
        ...(item.shippingAddress ? { shippingAddress: item.shippingAddress as Order['shippingAddress'] & object } : {}),
      }));
  }

  async recordRisk(orderId: string, risk: RiskRecord): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.order(orderId),
          // The version moves so that ETags (and any writer holding the order as read before) see the change.
          UpdateExpression: 'SET risk = :risk, version = version + :one',
          ConditionExpression: 'attribute_not_exists(risk) AND #status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':risk': riskToItem(risk), ':one': 1, ':pending': 'PENDING' },
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error)?.name !== 'ConditionalCheckFailedException') throw error;
      return false;
    }
  }

  async flagForAttention(orderId: string, reason: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.order(orderId),
        UpdateExpression: 'SET attention = if_not_exists(attention, :attention)',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeValues: { ':attention': { reason, at: this.now().toISOString() } },
      }),
    );
  }

  /**
   * The orders behind a page of index entries, read from the table (the indexes project keys only). The index is
   * eventually consistent and the item is read after it: an order that has left the status the page asked for since
   * is left out rather than shown under a status it no longer has.
   */
  private async ordersBehind(entries: readonly Record<string, unknown>[], status?: OrderStatus): Promise<Order[]> {
    const items = await itemsBehindIndexEntries(this.client, this.tableName, entries);
    return items.map(itemToOrder).filter((order) => status === undefined || order.status === status);
  }

  async history(orderId: string): Promise<OrderHistoryEntry[]> {
    const { PK } = keys.order(orderId);
    const items = await queryPartitionPrefix(this.client, this.tableName, PK, keys.orderHistoryPrefix);
    return items.map((item) => ({
      status: item.status as OrderStatus,
      at: item.at as string,
      ...(item.reason ? { reason: item.reason as string } : {}),
      ...(item.actor ? { actor: item.actor as Actor } : {}),
    }));
  }

  /**
   * A customer's orders, newest first, optionally placed within [from, to] (a key condition: the sort key starts
   * with the creation time). A status filter is applied after the key condition, so a page is filled by reading on
   * until `limit` matches are found or 5 reads were made (the cursor then resumes where reading stopped).
   */
  async listForCustomer(customerId: string, options: ListOptions & { from?: string; to?: string }): Promise<OrderPage> {
    const orders: Order[] = [];
    const ranged = options.from !== undefined || options.to !== undefined;
    // As for listByStatus: '~' sorts after every id character, so `to` is inclusive.
    const range = { low: options.from ?? '0', high: `${options.to ?? '9999'}~` };
    let startKey: Record<string, unknown> | undefined = options.cursor
      ? startKeyFrom(options.cursor, {
          attributes: ['PK', 'SK', 'GSI1PK', 'GSI1SK'],
          partition: { attribute: 'GSI1PK', value: keys.customerPartition(customerId) },
          ...(ranged ? { sortRange: { attribute: 'GSI1SK', ...range } } : {}),
        })
      : undefined;
    // The index holds keys only, so a status filter applies to the items read behind each page; a page never
    // reads more entries than it still has room for, so every entry read is either on it or filtered out.
    for (let reads = 0; reads < 5 && orders.length < options.limit; reads++) {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: 'GSI1',
          KeyConditionExpression: `GSI1PK = :customer${ranged ? ' AND GSI1SK BETWEEN :low AND :high' : ''}`,
          ExpressionAttributeValues: {
            ':customer': keys.customerPartition(customerId),
            ...(ranged ? { ':low': range.low, ':high': range.high } : {}),
          },
          ScanIndexForward: false,
          Limit: options.limit - orders.length,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      orders.push(...(await this.ordersBehind(page.Items ?? [], options.status)));
      startKey = page.LastEvaluatedKey;
      if (!startKey) break;
    }
    return { orders, ...(startKey ? { nextCursor: encodeCursor(startKey) } : {}) };
  }

  /**
   * Orders in one status, newest first, optionally within [from, to] (ISO timestamps). Orders of a status are spread
   * over write shards; each page queries every shard and merges them, and the cursor remembers each shard's position.
   */
  async listByStatus(
    status: OrderStatus,
    options: ListOptions & { from?: string; to?: string; oldestFirst?: boolean },
  ): Promise<OrderPage> {
    const ascending = options.oldestFirst === true;
    const shards = Array.from({ length: keys.statusShardCount }, (_, shard) => shard);
    const range = {
      low: options.from ?? '0',
      // The sort key is `<createdAt>#<orderId>`: '~' sorts after every id character, so `to` is inclusive.
      high: `${options.to ?? '9999'}~`,
    };
    const positions = options.cursor ? decodeShardCursor(options.cursor, status, range) : {};
    const pages = await Promise.all(
      shards.map(async (shard) => {
        const position = positions[shard];
        if (position === null) return { shard, items: [], lastKey: undefined };
        const { Items = [], LastEvaluatedKey } = await this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: 'GSI2',
            KeyConditionExpression: 'GSI2PK = :partition AND GSI2SK BETWEEN :low AND :high',
            ExpressionAttributeValues: {
              ':partition': statusIndexPartition(status, shard),
              ':low': range.low,
              ':high': range.high,
            },
            ScanIndexForward: ascending,
            Limit: options.limit,
            ...(position ? { ExclusiveStartKey: position } : {}),
          }),
        );
        return { shard, items: Items, lastKey: LastEvaluatedKey };
      }),
    );
    const merged = pages
      .flatMap((page) => page.items.map((item) => ({ shard: page.shard, item })))
      .sort((a, b) => (ascending ? 1 : -1) * String(a.item.GSI2SK).localeCompare(String(b.item.GSI2SK)))
      .slice(0, options.limit);
    const next: ShardPositions = {};
    for (const page of pages) {
      const taken = merged.filter((entry) => entry.shard === page.shard);
      if (taken.length === page.items.length) {
        // Everything read from this shard is on the page: resume where DynamoDB stopped, or never again.
        next[page.shard] = page.lastKey ?? null;
      } else {
        next[page.shard] = taken.length > 0 ? indexKey(taken.at(-1)!.item) : positions[page.shard];
      }
    }
    const more = shards.some((shard) => next[shard] !== null);
    return {
      orders: await this.ordersBehind(
        merged.map((entry) => entry.item),
        status,
      ),
      ...(more ? { nextCursor: encodeShardCursor(next) } : {}),
    };
  }
}

type ShardPositions = Record<number, Record<string, unknown> | null | undefined>;

export interface ListOptions {
  readonly limit: number;
  readonly cursor?: string;
  readonly status?: OrderStatus;
}

export interface OrderPage {
  readonly orders: Order[];
  readonly nextCursor?: string;
}

function indexKey(item: Record<string, unknown>) {
  return { PK: item.PK, SK: item.SK, GSI2PK: item.GSI2PK, GSI2SK: item.GSI2SK };
}

/** Per shard: the last key read (resume after it), null (shard exhausted) or absent (not read yet). */
function encodeShardCursor(positions: ShardPositions): string {
  return encodeCursor({ shards: JSON.stringify(positions) });
}

function decodeShardCursor(
  cursor: string,
  status: OrderStatus,
  range: { readonly low: string; readonly high: string },
): ShardPositions {
  const { shards } = decodeCursor(cursor) as { shards?: unknown };
  let positions: unknown;
  try {
    positions = typeof shards === 'string' ? JSON.parse(shards) : undefined;
  } catch {
    // refused below
  }
  if (!positions || typeof positions !== 'object' || Array.isArray(positions)) throw invalidCursor();
  // Each shard resumes after a key of its own partition (and of the queried range), is exhausted, or is unread.
  const checked: ShardPositions = {};
  for (const [name, position] of Object.entries(positions)) {
    const shard = Number(name);
    if (!Number.isInteger(shard) || shard < 0 || shard >= keys.statusShardCount || String(shard) !== name) {
      throw invalidCursor();
    }
    checked[shard] =
      position === null
        ? null
        : checkStartKey(position, {
            attributes: ['PK', 'SK', 'GSI2PK', 'GSI2SK'],
            partition: { attribute: 'GSI2PK', value: statusIndexPartition(status, shard) },
            sortRange: { attribute: 'GSI2SK', ...range },
          });
  }
  return checked;
}
