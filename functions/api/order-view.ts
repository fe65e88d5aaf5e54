import type * as z from 'zod/mini';
import type { Order } from '../core/domain/order';
import type { adminOrderResponse, orderResponse } from '../core/schemas/api-schemas';

/** What clients see of an order: internal fields (owner, version, provider ids) stay inside. */
export function orderView(order: Order): z.output<typeof orderResponse> {
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
export function adminOrderView(order: Order): z.output<typeof adminOrderResponse> {
  return { ...orderView(order), customerId: order.customerId };
}
