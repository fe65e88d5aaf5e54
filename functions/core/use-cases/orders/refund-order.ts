import { createHash } from 'node:crypto';
import { NotFoundError } from '../../domain/errors';
import { orderEvent } from '../../domain/events';
import { planRefund, type Actor, type Order, type RequestedLine } from '../../domain/order';
import type { CatalogStore, OrderStore, PaymentProvider } from '../../domain/ports';

export interface RefundCommand {
  /** Minor units of the order's currency. */
  readonly amount: number;
  readonly reason: string;
  readonly actor: Actor;
  /** Only when the goods came back: these units go back on the shelf. */
  readonly restock?: readonly RequestedLine[];
  /** The request's Idempotency-Key, if it had one. */
  readonly requestKey?: string;
}

/**
 * The provider's idempotency key of a refund: the order and the request's Idempotency-Key (hashed: Stripe takes at
 * most 255 characters), or without one the refund's number on the order. A retry after a lost answer (or a crash
 * before the order was written) therefore finds the refund the first attempt made instead of refunding again.
 */
export function refundIdempotencyKey(order: Order, requestKey: string | undefined): string {
  const discriminator = requestKey
    ? `key-${createHash('sha256').update(requestKey).digest('hex').slice(0, 32)}`
    : `n-${(order.refunds?.length ?? 0) + 1}`;
  return `${order.orderId}:refund:${discriminator}`;
}

/**
 * Refunds money of a fulfilled order, through the payment provider, and records it on the order (PARTIALLY_REFUNDED,
 * or REFUNDED once nothing is left), with the admin and the reason in its history. Stock goes back on the shelf only
 * for the `restock` lines (the goods came back), as recorded stock movements.
 *
 * Order of the steps: checks (nothing changes on a 4xx), the provider's refund (idempotent by key), the order's
 * conditional write with its event (idempotent by the provider's refund id), then the restock. A crash between the
 * order write and the restock leaves the units off the shelf (the refund is recorded with them): an operator puts
 * them back with a stock adjustment; the opposite order could put units on the shelf twice.
 */
export async function refundOrder(
  deps: {
    orders: OrderStore;
    catalog: Pick<CatalogStore, 'adjustStock'>;
    payments: PaymentProvider;
  },
  orderId: string,
  command: RefundCommand,
  correlationId?: string,
): Promise<Order> {
  const order = await deps.orders.get(orderId);
  if (!order) throw new NotFoundError(`order ${orderId} not found`);
  const plan = planRefund(order, command.amount, command.restock);
  if (!order.paymentAuthorizationId) throw new NotFoundError(`order ${orderId} has no payment to refund`);
  const { refundId } = await deps.payments.refund({
    reference: orderId,
    authorizationId: order.paymentAuthorizationId,
    amount: { amount: command.amount, currency: order.total.currency },
    idempotencyKey: refundIdempotencyKey(order, command.requestKey),
    correlationId,
  });
  // The provider replayed a refund this order already records (a retry whose first attempt completed): done.
  if (order.refunds?.some((recorded) => recorded.refundId === refundId)) return order;
  const at = new Date().toISOString();
  const restocked = (command.restock ?? []).filter((line) => line.quantity > 0);
  const refunded = await deps.orders.recordRefund(
    order,
    {
      refundId,
      amount: command.amount,
      reason: command.reason,
      at,
      actor: command.actor,
      ...(restocked.length > 0 ? { restocked } : {}),
    },
    plan.to,
    (recorded) => {
      const event = orderEvent('order.refunded', recorded, at, correlationId);
      return {
        ...event,
        // One event per refund: the envelope's id is deterministic per refund, so a replay publishes the same one.
        id: `${event.id}:${refundId}`,
        data: {
          ...event.data,
          refund: {
            refundId,
            amount: command.amount,
            refundedAmount: recorded.refundedAmount ?? plan.refundedAmount,
            restocked: restocked.length > 0,
            reason: command.reason,
            actor: command.actor,
          },
        },
      };
    },
  );
  for (const line of restocked) {
    await deps.catalog.adjustStock(
      line.productId,
      line.quantity,
      `returned with refund ${refundId} of order ${orderId}: ${command.reason}`,
      command.actor.id,
    );
  }
  return refunded;
}
