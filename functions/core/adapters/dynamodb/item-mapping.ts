import { inFlightStatuses, type Order, type OrderStatus } from '../../domain/order';
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

export function orderToItem(order: Order): Item {
  return { ...keys.order(order.orderId), entity: 'order', ...orderIndexKeys(order), ...order };
}

export function itemToOrder(item: Item): Order {
  return {
    orderId: item.orderId as string,
    customerId: item.customerId as string,
    status: item.status as Order['status'],
    items: item.items as Order['items'],
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
    ...(item.risk ? { risk: item.risk as Order['risk'] & object } : {}),
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
