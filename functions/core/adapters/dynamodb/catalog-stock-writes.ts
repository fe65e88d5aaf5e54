import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { InsufficientStockError } from '../../domain/errors';
import type { ProductChanges } from '../../domain/ports';
import { planRestock, splitEvenly, takeFromFullest } from '../../domain/stock-shards';
import { keys } from '../../data/table-design';
import { catalogIndexKeys } from './item-mapping';
import {
  layoutCondition,
  stockShardItem,
  takeableStock,
  totalAvailable,
  totalSold,
  type StockState,
} from './stock-state';

/**
 * The writes behind catalog changes that touch stock: what a change of catalog fields, of the shard layout or of the
 * stock level makes of the stock as read, each write conditional on what was read so that a concurrent order
 * cancels the transaction instead of being overwritten.
 */

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

const catalogFields = ['name', 'description', 'price', 'active'] as const;

export function catalogChange(productId: string, changes: ProductChanges, at: string) {
  const assignments = ['version = version + :one', 'updatedAt = :at'];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = { ':one': 1, ':at': at };
  for (const field of catalogFields) {
    const value = changes[field];
    if (value === undefined) continue;
    assignments.push(`#${field} = :${field}`);
    names[`#${field}`] = field;
    values[`:${field}`] = value;
  }
  if (changes.active !== undefined) {
    const index = catalogIndexKeys({ productId, active: changes.active });
    assignments.push('GSI1PK = :gsi1pk', 'GSI1SK = :gsi1sk');
    values[':gsi1pk'] = index.GSI1PK;
    values[':gsi1sk'] = index.GSI1SK;
  }
  return { assignments, names, values };
}

/**
 * The catalog change plus what it means for the stock items. A new shard count moves all available stock to the
 * new layout (split evenly; back onto the product item for 1) and the shards' sold units onto the product item, so
 * a removed shard takes nothing with it; every item is written conditional on the counters read. Otherwise a change
 * of `active` is copied to every shard.
 */
export function layoutWrites(
  tableName: string,
  state: StockState,
  changes: ProductChanges,
  at: string,
): TransactItem[] {
  const { productId } = state;
  const { assignments, names, values } = catalogChange(productId, changes, at);
  const layout = layoutCondition(state.stockShards);
  const conditions = ['attribute_exists(PK)', layout.expression];
  Object.assign(values, layout.values);
  const target = changes.stockShards ?? state.stockShards;
  const active = changes.active ?? state.active;
  const removals: string[] = [];
  const shardWrites: TransactItem[] = [];
  if (target !== state.stockShards) {
    const available = totalAvailable(state);
    assignments.push('available = :available', 'sold = :sold');
    values[':available'] = target > 1 ? 0 : available;
    values[':sold'] = totalSold(state);
    if (target > 1) {
      assignments.push('stockShards = :stockShards');
      values[':stockShards'] = target;
    } else {
      removals.push('stockShards');
    }
    conditions.push('available = :seenAvailable');
    values[':seenAvailable'] = state.available;
    if (state.sold === undefined) {
      conditions.push('attribute_not_exists(sold)');
    } else {
      conditions.push('sold = :seenSold');
      values[':seenSold'] = state.sold;
    }
    const seen = new Map(state.shards.map((shard) => [shard.shard, shard]));
    const asSeen = (shard: number) => {
      const counters = seen.get(shard);
      return counters
        ? {
            ConditionExpression: 'available = :seenAvailable AND sold = :seenSold',
            ExpressionAttributeValues: { ':seenAvailable': counters.available, ':seenSold': counters.sold },
          }
        : { ConditionExpression: 'attribute_not_exists(PK)' };
    };
    (target > 1 ? splitEvenly(available, target) : []).forEach((shardAvailable, shard) =>
      shardWrites.push({
        Put: {
          TableName: tableName,
          Item: stockShardItem(productId, shard, shardAvailable, active),
          ...asSeen(shard),
        },
      }),
    );
    for (const shard of seen.keys()) {
      // Unsharded again (target 1): every shard goes, shard 0 included.
      if (target > 1 && shard < target) continue;
      shardWrites.push({
        Delete: { TableName: tableName, Key: keys.stockShard(productId, shard), ...asSeen(shard) },
      });
    }
  } else if (changes.active !== undefined) {
    for (const { shard } of state.shards) {
      shardWrites.push({
        Update: {
          TableName: tableName,
          Key: keys.stockShard(productId, shard),
          UpdateExpression: 'SET active = :active',
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeValues: { ':active': active },
        },
      });
    }
  }
  const productWrite: TransactItem = {
    Update: {
      TableName: tableName,
      Key: keys.product(productId),
      UpdateExpression: `SET ${assignments.join(', ')}${removals.length > 0 ? ` REMOVE ${removals.join(', ')}` : ''}`,
      ConditionExpression: conditions.join(' AND '),
      ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
      ExpressionAttributeValues: values,
    },
  };
  return [productWrite, ...shardWrites];
}

export function adjustmentWrites(tableName: string, state: StockState, delta: number): TransactItem[] {
  const { productId } = state;
  const takeable = takeableStock(state);
  if (delta < 0 && takeable < -delta) {
    throw new InsufficientStockError(`only ${takeable} units are on the shelf; cannot remove ${-delta}`);
  }
  if (state.stockShards === 1) {
    const layout = layoutCondition(1);
    return [
      {
        Update: {
          TableName: tableName,
          Key: keys.product(productId),
          UpdateExpression: 'SET available = available + :delta',
          ConditionExpression: `attribute_exists(PK) AND available >= :needed AND ${layout.expression}`,
          ExpressionAttributeValues: { ':delta': delta, ':needed': Math.max(0, -delta), ...layout.values },
        },
      },
    ];
  }
  if (delta > 0) {
    return planRestock(state.shards, delta).map((take) => ({
      Update: {
        TableName: tableName,
        Key: keys.stockShard(productId, take.shard),
        UpdateExpression: 'SET available = available + :quantity',
        // Still part of the layout: shards exist exactly while the shard count includes them.
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeValues: { ':quantity': take.quantity },
      },
    }));
  }
  // The shards hold at least -delta units (checked above), so the fullest of them can give them.
  return (takeFromFullest(state.shards, -delta) ?? []).map((take) => ({
    Update: {
      TableName: tableName,
      Key: keys.stockShard(productId, take.shard),
      UpdateExpression: 'SET available = available - :quantity',
      ConditionExpression: 'available >= :quantity',
      ExpressionAttributeValues: { ':quantity': take.quantity },
    },
  }));
}
