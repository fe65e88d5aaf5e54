import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient, TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { OrderStateConflictError, OutOfStockError } from '../../domain/errors';
import { stockReservedStatuses, type Order, type OrderLine } from '../../domain/order';
import type { InventoryStore, OrderStore } from '../../domain/ports';
import { emptiestShard, planTake, startingShard, type ShardTake } from '../../domain/stock-shards';
import { keys } from '../../data/table-design';
import { failedConditions, transitionWrites } from './order-transition';
import { queryPartitionPrefix } from './pagination';
import { holdShares, holdSharesAttribute, layoutCondition, readStockStates, type StockState } from './stock-state';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
type Item = Record<string, unknown>;

/** What an action of a transaction is about, so that a cancellation reason can be traced back to its product. */
type ActionRole =
  { readonly kind: 'order' } | { readonly kind: 'hold' | 'product' | 'shard'; readonly productId: string };

/** A line's stock source: its shard shares, or (none) the product item. */
interface LinePlan {
  readonly line: OrderLine;
  readonly shards?: readonly ShardTake[];
}

const alreadyReserved = new Set<string>(stockReservedStatuses);
/** DynamoDB's limit of actions in one transaction. */
const maxTransactionActions = 100;
/**
 * Attempts within one step when a stock condition fails although the stock read just before sufficed (concurrent
 * orders took it first, or the shard count changed): after that the cancellation goes to the saga, which retries the
 * step with backoff.
 */
const stockAttempts = 4;

/**
 * Stock lives on the product item (`available`), or on its shard items for a product with `stockShards` > 1
 * (stock-state.ts), and in hold items (one per order and product, recording the shards it took from). Every change
 * is a conditional transaction, so stock can never go negative and no read-then-write race exists: what is read only
 * chooses where to write, the conditions decide.
 */
export class DynamoDbInventoryStore implements InventoryStore {
  /**
   * The shard count last seen per sharded product, so that reservations go straight to the shards. A stale entry
   * costs one cancelled attempt: writes to a shard that no longer exists, or to the product item of a product that
   * is sharded now, fail their conditions, and the store reads the layout again.
   */
  private readonly shardCounts = new Map<string, number>();

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly orders: OrderStore,
    private readonly holdMinutes: number,
    private readonly now: () => Date = () => new Date(),
    private readonly random: () => number = Math.random,
  ) {}

  /**
   * Reserves every line in one transaction with the order's move to RESERVED. An unsharded product's line takes its
   * units from the product item; a sharded product's from one random shard first. When a stock condition fails, the
   * products involved are read and planned from their counters: the first shard (from a random one) that holds the
   * whole line, else several shards together; a product that does not hold the line at all is out of stock.
   */
  async reserve(order: Order): Promise<Order> {
    const at = this.now();
    const holdExpiresAt = Math.floor(at.getTime() / 1000) + this.holdMinutes * 60;
    const transition = transitionWrites(
      this.tableName,
      order,
      'RESERVED',
      { reason: 'stock reserved' },
      at.toISOString(),
    );
    const read = new Map<string, StockState | undefined>();
    let cancelled: unknown;
    for (let attempt = 1; attempt <= stockAttempts; attempt++) {
      const plans = order.items.map((line) => this.planLine(line, read));
      const short = order.items.filter((_, index) => !plans[index]).map((line) => line.productId);
      if (short.length > 0) throw new OutOfStockError(`not enough stock for ${short.join(', ')}`, { cause: cancelled });
      const roles: ActionRole[] = transition.writes.map(() => ({ kind: 'order' }));
      const stockWrites = plans.flatMap((plan) => {
        const writes = this.reservationWrites(plan!, order.orderId, at.toISOString(), holdExpiresAt);
        roles.push(...writes.map(({ role }) => role));
        return writes.map(({ write }) => write);
      });
      if (roles.length > maxTransactionActions) {
        const spread = plans.filter((plan) => (plan!.shards?.length ?? 1) > 1).map((plan) => plan!.line.productId);
        throw new OutOfStockError(
          `the stock left of ${spread.join(', ')} is spread over too many shards to reserve this order in one ` +
            'transaction',
        );
      }
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
          throw new OrderStateConflictError(
            `order ${order.orderId} is ${current?.status ?? 'missing'}, cannot reserve`,
            { cause: error },
          );
        }
        const products = productsWith(failed, roles, ['product', 'shard']);
        if (products.length === 0) throw error;
        cancelled = error;
        const states = await readStockStates(this.client, this.tableName, products);
        for (const productId of products) {
          const state = states.get(productId);
          read.set(productId, state);
          this.rememberLayout(productId, state?.stockShards ?? 1);
        }
      }
    }
    // Every read showed enough stock, but concurrent orders took it first each time: the saga retries the step.
    throw cancelled;
  }

  /**
   * Returns held stock to where it came from, one transaction per line: each is all-or-nothing, and a line whose hold
   * is gone was released (or committed) before. Units whose shard was removed since go to the current layout.
   */
  async release(order: Order): Promise<number> {
    const holds = await this.holdsOf(order.orderId);
    let released = 0;
    for (const line of order.items) {
      const hold = holds.get(line.productId);
      if (hold?.quantity !== line.quantity) continue;
      if (await this.returnHold(order.orderId, line, holdShares(hold))) released += line.quantity;
    }
    return released;
  }

  /**
   * Fulfilment: every hold becomes sold stock (on the shards it came from) and the order moves CONFIRMED → FULFILLED
   * in one transaction, so a cancellation racing it either wins entirely (nothing is sold) or loses entirely.
   */
  async commit(order: Order, correlationId?: string): Promise<Order> {
    if (order.status === 'FULFILLED') return order;
    const at = this.now().toISOString();
    const transition = transitionWrites(
      this.tableName,
      order,
      'FULFILLED',
      { reason: 'payment captured, stock committed', ...(correlationId ? { correlationId } : {}) },
      at,
    );
    const holds = await this.holdsOf(order.orderId);
    // Products whose hold names a shard that was removed since: their sold units are counted on the product item.
    const soldOnProductItem = new Set<string>();
    let cancelled: unknown;
    for (let attempt = 1; attempt <= stockAttempts; attempt++) {
      const roles: ActionRole[] = transition.writes.map(() => ({ kind: 'order' }));
      const holdWrites = order.items.flatMap((line) => {
        const hold = holds.get(line.productId);
        const shares = hold && !soldOnProductItem.has(line.productId) ? holdShares(hold) : undefined;
        const { productId } = line;
        roles.push({ kind: 'hold', productId });
        roles.push(
          ...(shares
            ? shares.map((): ActionRole => ({ kind: 'shard', productId }))
            : [{ kind: 'product', productId } as const]),
        );
        return [this.holdDelete(order.orderId, line), ...this.soldWrites(line, shares)];
      });
      try {
        await this.client.send(new TransactWriteCommand({ TransactItems: [...transition.writes, ...holdWrites] }));
        return transition.next;
      } catch (error) {
        const failed = failedConditions(error);
        if (!failed?.length) throw error;
        if (failed.every((index) => roles[index]?.kind === 'shard')) {
          for (const productId of productsWith(failed, roles, ['shard'])) soldOnProductItem.add(productId);
          cancelled = error;
          continue;
        }
        const current = await this.orders.get(order.orderId);
        if (current?.status === 'FULFILLED') return current;
        throw new OrderStateConflictError(`order ${order.orderId} is ${current?.status ?? 'missing'}, cannot fulfil`, {
          cause: error,
        });
      }
    }
    throw cancelled;
  }

  private planLine(line: OrderLine, read: ReadonlyMap<string, StockState | undefined>): LinePlan | undefined {
    if (read.has(line.productId)) {
      const state = read.get(line.productId);
      if (!state?.active) return undefined;
      if (state.stockShards === 1) return state.available >= line.quantity ? { line } : undefined;
      if (state.shards.length === 0) return undefined;
      const shards = planTake(state.shards, line.quantity, startingShard(state.shards.length, this.random));
      return shards ? { line, shards } : undefined;
    }
    // Nothing read yet: the layout last seen, and for a sharded product the whole line from one random shard.
    const shardCount = this.shardCounts.get(line.productId) ?? 1;
    if (shardCount === 1) return { line };
    return { line, shards: [{ shard: startingShard(shardCount, this.random), quantity: line.quantity }] };
  }

  private reservationWrites(
    plan: LinePlan,
    orderId: string,
    createdAt: string,
    holdExpiresAt: number,
  ): { write: TransactItem; role: ActionRole }[] {
    const { line, shards } = plan;
    const { productId, quantity } = line;
    const layout = layoutCondition(1);
    const stock: { write: TransactItem; role: ActionRole }[] = shards
      ? shards.map((take) => ({
          role: { kind: 'shard', productId },
          write: {
            Update: {
              TableName: this.tableName,
              Key: keys.stockShard(productId, take.shard),
              UpdateExpression: 'SET available = available - :quantity',
              // A shard carries a copy of `active`; a missing shard (the count changed) fails this as well.
              ConditionExpression: 'active = :true AND available >= :quantity',
              ExpressionAttributeValues: { ':quantity': take.quantity, ':true': true },
            },
          },
        }))
      : [
          {
            role: { kind: 'product', productId },
            write: {
              Update: {
                TableName: this.tableName,
                Key: keys.product(productId),
                UpdateExpression: 'SET available = available - :quantity',
                ConditionExpression: `active = :true AND available >= :quantity AND ${layout.expression}`,
                ExpressionAttributeValues: { ':quantity': quantity, ':true': true, ...layout.values },
              },
            },
          },
        ];
    const hold: TransactItem = {
      Put: {
        TableName: this.tableName,
        Item: {
          ...keys.hold(orderId, productId),
          entity: 'hold',
          orderId,
          productId,
          quantity,
          createdAt,
          holdExpiresAt,
          ...(shards ? { [holdSharesAttribute]: shards } : {}),
        },
        ConditionExpression: 'attribute_not_exists(PK)',
      },
    };
    return [...stock, { write: hold, role: { kind: 'hold', productId } }];
  }

  /** Deletes the hold and gives its units back; false when the hold was settled by someone else meanwhile. */
  private async returnHold(orderId: string, line: OrderLine, shares: readonly ShardTake[] | undefined) {
    let targets = shares;
    let cancelled: unknown;
    for (let attempt = 1; attempt <= stockAttempts; attempt++) {
      try {
        await this.client.send(
          new TransactWriteCommand({
            TransactItems: [this.holdDelete(orderId, line), ...this.returnWrites(line, targets)],
          }),
        );
        return true;
      } catch (error) {
        const failed = failedConditions(error);
        if (!failed?.length) throw error;
        if (failed.includes(0)) return false;
        // Where the units came from is no longer part of the product's layout: its shard count changed since.
        cancelled = error;
        const state = (await readStockStates(this.client, this.tableName, [line.productId])).get(line.productId);
        if (!state) throw error;
        targets = relocate(line.quantity, targets, state);
      }
    }
    throw cancelled;
  }

  private holdDelete(orderId: string, line: OrderLine): TransactItem {
    return {
      Delete: {
        TableName: this.tableName,
        Key: keys.hold(orderId, line.productId),
        ConditionExpression: 'attribute_exists(PK) AND quantity = :quantity',
        ExpressionAttributeValues: { ':quantity': line.quantity },
      },
    };
  }

  /** Units back on the shelf: on the shards named (each must still exist), or on the product item while unsharded. */
  private returnWrites(line: OrderLine, shares: readonly ShardTake[] | undefined): TransactItem[] {
    if (!shares) {
      const layout = layoutCondition(1);
      return [
        {
          Update: {
            TableName: this.tableName,
            Key: keys.product(line.productId),
            UpdateExpression: 'SET available = available + :quantity',
            ConditionExpression: `attribute_exists(PK) AND ${layout.expression}`,
            ExpressionAttributeValues: { ':quantity': line.quantity, ...layout.values },
          },
        },
      ];
    }
    return shares.map((share) => ({
      Update: {
        TableName: this.tableName,
        Key: keys.stockShard(line.productId, share.shard),
        UpdateExpression: 'SET available = available + :quantity',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeValues: { ':quantity': share.quantity },
      },
    }));
  }

  /** Units sold: on the shards they were held from, or on the product item (which may count sold units any time). */
  private soldWrites(line: OrderLine, shares: readonly ShardTake[] | undefined): TransactItem[] {
    const targets: { key: Item; quantity: number }[] = shares
      ? shares.map((share) => ({ key: keys.stockShard(line.productId, share.shard), quantity: share.quantity }))
      : [{ key: keys.product(line.productId), quantity: line.quantity }];
    return targets.map(({ key, quantity }) => ({
      Update: {
        TableName: this.tableName,
        Key: key,
        UpdateExpression: 'ADD sold :quantity',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeValues: { ':quantity': quantity },
      },
    }));
  }

  /** The order's hold items by product (strongly consistent): what is still held, and from where. */
  private async holdsOf(orderId: string): Promise<Map<string, Item>> {
    const holds = new Map<string, Item>();
    const items = await queryPartitionPrefix(this.client, this.tableName, keys.order(orderId).PK, keys.holdPrefix);
    for (const item of items) holds.set(item.productId as string, item);
    return holds;
  }

  private rememberLayout(productId: string, shardCount: number): void {
    if (shardCount > 1) this.shardCounts.set(productId, shardCount);
    else this.shardCounts.delete(productId);
  }
}

function productsWith(failed: readonly number[], roles: readonly ActionRole[], kinds: ActionRole['kind'][]): string[] {
  const products = new Set<string>();
  for (const index of failed) {
    const role = roles[index];
    if (role && role.kind !== 'order' && kinds.includes(role.kind)) products.add(role.productId);
  }
  return [...products];
}

/**
 * Where returned units go when their source left the layout: shares whose shard still exists stay; the others go
 * to the emptiest shard, or to the product item once the product is unsharded again.
 */
function relocate(
  quantity: number,
  shares: readonly ShardTake[] | undefined,
  state: StockState,
): ShardTake[] | undefined {
  if (state.stockShards === 1) return undefined;
  const live = new Set(state.shards.map((shard) => shard.shard));
  const target = emptiestShard(state.shards);
  const merged = new Map<number, number>();
  for (const share of shares ?? [{ shard: -1, quantity }]) {
    const shard = live.has(share.shard) ? share.shard : target;
    merged.set(shard, (merged.get(shard) ?? 0) + share.quantity);
  }
  return [...merged].map(([shard, units]) => ({ shard, quantity: units }));
}
