import type { Order } from '../core/domain/order';

/** What clients see of an order: internal fields (owner, version, provider ids) stay inside. */
export function orderView(order: Order) {
  return {
    orderId: order.orderId,
    status: order.status,
    items: order.items.map(({ productId, name, quantity, unitPrice, lineTotal }) => ({
      productId,
      name,
      quantity,
      unitPrice,
      lineTotal,
    })),
    total: order.total,
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
    ...(order.failureReason ? { failureReason: order.failureReason } : {}),
  };
}

/** Admins also see whose order it is. */
export function adminOrderView(order: Order) {
  return { ...orderView(order), customerId: order.customerId };
}
