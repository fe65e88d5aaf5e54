import { multiply, type Money } from '../../domain/money';
import { inFlightStatuses, type Order, type OrderLine, type OrderStatus, type RiskRecord } from '../../domain/order';
import type { CompensationTiming } from '../../domain/ports';
import type { Product } from '../../domain/product';
import { keys } from '../../data/table-design';

type Item = Record<string, unknown>;

/** Orders are spread over a few status partitions so that a popular status never makes a hot key. */
export function statusShard(orderId: string): number {
  let hash = 0;
  for (const char of orderId) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash % keys.statusShardCount;
}

/**
 * The status index partition an order of `status` is in. The statuses a saga passes through within a second
 * (PENDING, RESERVED, AUTHORIZED) share one: an index entry whose key changes is deleted and written again, so
 * one partition per in-flight status rewrote the entry at every step of every order. Listing one of them reads
 * the shared partition and keeps the orders in that status (the items are read behind the index anyway).
 */
export function statusIndexPartition(status: OrderStatus, shard: number): string {
  return keys.statusPartition(inFlightStatuses.includes(status) ? keys.inFlightIndexStatus : status, shard);
}

export function orderIndexKeys(order: Pick<Order, 'orderId' | 'customerId' | 'status' | 'createdAt'>) {
  return {
    GSI1PK: keys.customerPartition(order.customerId),
    GSI1SK: `${order.createdAt}#${order.orderId}`,
    GSI2PK: statusIndexPartition(order.status, statusShard(order.orderId)),
    GSI2SK: `${order.createdAt}#${order.orderId}`,
  };
}

export function pendingCompensationItem(orderId: string, timing: CompensationTiming): Item {
  return {
    ...keys.pendingCompensation(statusShard(orderId), orderId),
    entity: 'pendingCompensation',
    orderId,
    checkAfter: timing.checkAfter,
    settledAfter: timing.settledAfter,
  };
}

/**
 * The order item. Every write of an order pays for its whole size, a unit per KB, and the saga writes it four times
 * after placement: so it carries nothing twice. The owner is in the customer index's key (GSI1PK) only, a line's total
 * is computed from its unit price and quantity when read, and the risk decision's top features are stored as
 * [feature, value, contribution] triples (riskToItem). Items written before any of these are read as they are.
 */
export function orderToItem(order: Order): Item {
  const { customerId: _inIndexKey, risk, items, ...stored } = order;
  return {
    ...keys.order(order.orderId),
    entity: 'order',
    ...orderIndexKeys(order),
    ...stored,
    items: items.map(({ lineTotal: _computed, ...line }) => line),
    ...(risk ? { risk: riskToItem(risk) } : {}),
  };
}

type RiskFeature = NonNullable<RiskRecord['topFeatures']>[number];
type StoredFeature = readonly [feature: string, value: number, contribution: number];

/** The risk decision as stored: the top features as triples, not maps that repeat their three names each. */
export function riskToItem(risk: RiskRecord): Item {
  const { topFeatures, ...rest } = risk;
  return {
    ...rest,
    ...(topFeatures
      ? {
          topFeatures: topFeatures.map(({ feature, value, contribution }): StoredFeature => [
            feature,
            value,
            contribution,
          ]),
        }
      : {}),
  };
}

function riskFromItem(stored: Item): RiskRecord {
  const { topFeatures, ...rest } = stored as Item & { topFeatures?: readonly (StoredFeature | RiskFeature)[] };
  return {
    ...(rest as Omit<RiskRecord, 'topFeatures'>),
    ...(topFeatures
      ? {
          topFeatures: topFeatures.map((entry) =>
            Array.isArray(entry)
              ? { feature: entry[0], value: entry[1], contribution: entry[2] }
              : (entry as RiskFeature),
          ),
        }
      : {}),
  };
}

export function itemToOrder(item: Item): Order {
  return {
    orderId: item.orderId as string,
    customerId: (item.customerId as string | undefined) ?? keys.customerOfPartition(item.GSI1PK as string),
    status: item.status as Order['status'],
    items: (item.items as (Omit<OrderLine, 'lineTotal'> & { lineTotal?: Money })[]).map((line) => ({
      ...line,
      lineTotal: line.lineTotal ?? multiply(line.unitPrice, line.quantity),
    })),
    total: item.total as Order['total'],
    createdAt: item.createdAt as string,
    updatedAt: item.updatedAt as string,
    version: item.version as number,
    ...(item.failureReason ? { failureReason: item.failureReason as Order['failureReason'] } : {}),
    ...(item.shippingAddress ? { shippingAddress: item.shippingAddress as Order['shippingAddress'] & object } : {}),
    ...(item.contactEmail ? { contactEmail: item.contactEmail as string } : {}),
    ...(item.paymentAuthorizationId ? { paymentAuthorizationId: item.paymentAuthorizationId as string } : {}),
    ...(item.paymentMethod ? { paymentMethod: item.paymentMethod as string } : {}),
    ...(item.correlationId ? { correlationId: item.correlationId as string } : {}),
    ...(item.failure ? { failure: item.failure as Order['failure'] & object } : {}),
    ...(item.attention ? { attention: item.attention as Order['attention'] & object } : {}),
    ...(item.risk ? { risk: riskFromItem(item.risk as Item) } : {}),
    ...(item.paymentAction ? { paymentAction: item.paymentAction as Order['paymentAction'] & object } : {}),
    ...(item.inheritedEpoch !== undefined ? { inheritedEpoch: Number(item.inheritedEpoch) } : {}),
    ...(item.heldDecision ? { heldDecision: item.heldDecision as Order['heldDecision'] & object } : {}),
    ...(item.reviewDeadline ? { reviewDeadline: item.reviewDeadline as string } : {}),
    ...(item.refunds ? { refunds: item.refunds as Order['refunds'] & object } : {}),
    ...(item.refundedAmount !== undefined ? { refundedAmount: item.refundedAmount as number } : {}),
    ...(item.providerRefunds ? { providerRefunds: item.providerRefunds as Order['providerRefunds'] & object } : {}),
    ...(item.disputes ? { disputes: item.disputes as Order['disputes'] & object } : {}),
  };
}

export function productToItem(product: Product): Item {
  return {
    ...keys.product(product.productId),
    entity: 'product',
    ...catalogIndexKeys(product),
    ...product,
  };
}

export function itemToProduct(item: Item): Product {
  return {
    productId: item.productId as string,
    name: item.name as string,
    description: item.description as string,
    price: item.price as Product['price'],
    active: item.active as boolean,
    available: item.available as number,
    sold: (item.sold as number | undefined) ?? 0,
    version: item.version as number,
    // The product item's own counters: for a sharded product the catalog store adds its shards' (stock-state.ts).
    ...(typeof item.stockShards === 'number' && item.stockShards > 1 ? { stockShards: item.stockShards } : {}),
  };
}

/** Only active products sit in the public catalog partition; deactivating one moves it out of the listing. */
export function catalogIndexKeys(product: Pick<Product, 'productId' | 'active'>) {
  return {
    GSI1PK: product.active ? keys.catalogPartition : `${keys.catalogPartition}#INACTIVE`,
    GSI1SK: product.productId,
  };
}
