import { groupBy } from './shared';
import type { Violation, StoreSnapshot } from './snapshot';

/**
 * (1) Every unit ever stocked is on the shelf, held for an order, or sold; none of those is negative. A sharded
 * product's shelf and sales are the sums over its product item and its shards, and no shard may be negative.
 */
export function checkStock(snapshot: StoreSnapshot): Violation[] {
  const violations: Violation[] = [];
  const stocked = new Map<string, number>();
  for (const movement of snapshot.movements) {
    stocked.set(movement.productId, (stocked.get(movement.productId) ?? 0) + movement.delta);
  }
  const held = new Map<string, number>();
  for (const hold of snapshot.holds) held.set(hold.productId, (held.get(hold.productId) ?? 0) + hold.quantity);
  const products = new Set(snapshot.products.map((product) => product.productId));
  const shardsByProduct = groupBy(snapshot.shards ?? [], (shard) => shard.productId);

  for (const product of snapshot.products) {
    const id = product.productId;
    const violation = (rule: string, detail: string, shard?: number) =>
      violations.push({
        invariant: 'stock-balance',
        rule,
        ids: shard === undefined ? [id] : [id, `shard-${shard}`],
        detail,
      });
    const shards = shardsByProduct.get(id) ?? [];
    const counts = [product, ...shards].every(
      (counters) => Number.isInteger(counters.available) && Number.isInteger(counters.sold),
    );
    if (!counts) {
      violation('not-a-count', `available and sold of the product and its shards must be integers`);
      continue;
    }
    if (product.available < 0) violation('negative-available', `available is ${product.available}`);
    if (product.sold < 0) violation('negative-sold', `sold is ${product.sold}`);
    const shardCount = product.stockShards ?? 1;
    for (const shard of shards) {
      if (shard.available < 0) {
        violation('negative-shard-available', `shard ${shard.shard} has available ${shard.available}`, shard.shard);
      }
      if (shard.sold < 0) violation('negative-sold', `shard ${shard.shard} has sold ${shard.sold}`, shard.shard);
      if (shard.shard >= shardCount || shardCount === 1) {
        violation(
          'shard-outside-layout',
          `shard ${shard.shard} exists (available ${shard.available}) but the product has ${shardCount} shard(s)`,
          shard.shard,
        );
      }
    }
    if (shardCount > 1 && product.available !== 0) {
      violation(
        'stock-outside-shards',
        `the product item holds ${product.available} available unit(s) though its stock is split over ` +
          `${shardCount} shards: reservations cannot take them`,
      );
    }
    const available = product.available + shards.reduce((sum, shard) => sum + shard.available, 0);
    const sold = product.sold + shards.reduce((sum, shard) => sum + shard.sold, 0);
    const total = stocked.get(id) ?? 0;
    const holding = held.get(id) ?? 0;
    const accounted = available + holding + sold;
    if (total !== accounted) {
      const difference = accounted - total;
      violation(
        'unbalanced',
        `stock movements add up to ${total} but available ${available} + held ${holding} + sold ` +
          `${sold} = ${accounted} (${Math.abs(difference)} unit(s) ${difference > 0 ? 'too many' : 'missing'})` +
          (shards.length > 0 ? ` over the product item and ${shards.length} shard(s)` : ''),
      );
    }
  }
  for (const [productId, shards] of shardsByProduct) {
    if (!products.has(productId)) {
      violations.push({
        invariant: 'stock-balance',
        rule: 'shard-without-product',
        ids: [productId],
        detail: `${shards.length} stock shard(s) holding ${shards.reduce((sum, shard) => sum + shard.available, 0)} unit(s) exist for a product that does not`,
      });
    }
  }
  for (const [productId, total] of stocked) {
    if (!products.has(productId)) {
      violations.push({
        invariant: 'stock-balance',
        rule: 'movements-without-product',
        ids: [productId],
        detail: `stock movements adding up to ${total} exist for a product that does not`,
      });
    }
  }
  for (const hold of snapshot.holds) {
    if (!products.has(hold.productId)) {
      violations.push({
        invariant: 'stock-balance',
        rule: 'hold-for-unknown-product',
        ids: [hold.productId, hold.orderId],
        detail: `order ${hold.orderId} holds ${hold.quantity} unit(s) of a product that does not exist`,
      });
    }
  }
  return violations;
}

/**
 * Units promised to orders (held, or sold) beyond the units ever stocked, per product: stock sold twice. Within one
 * region the conditional reservation makes it impossible; after a regional failover it is what replication lag cost
 * (docs/regions.md): the old region's last reservations arrive with their holds, while the counters they updated lost
 * to the new region's writes (last writer wins). Products with none are left out.
 */
export function oversoldUnits(snapshot: StoreSnapshot): { productId: string; units: number }[] {
  const stocked = new Map<string, number>();
  for (const movement of snapshot.movements) {
    stocked.set(movement.productId, (stocked.get(movement.productId) ?? 0) + movement.delta);
  }
  const promised = new Map<string, number>();
  const add = (productId: string, units: number) => promised.set(productId, (promised.get(productId) ?? 0) + units);
  for (const hold of snapshot.holds) add(hold.productId, hold.quantity);
  for (const product of snapshot.products) add(product.productId, Number(product.sold) || 0);
  for (const shard of snapshot.shards ?? []) add(shard.productId, Number(shard.sold) || 0);
  return [...promised]
    .map(([productId, units]) => ({ productId, units: units - (stocked.get(productId) ?? 0) }))
    .filter((entry) => entry.units > 0)
    .sort((a, b) => a.productId.localeCompare(b.productId));
}
