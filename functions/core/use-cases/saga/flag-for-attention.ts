import type { AttentionQueue, OrderStore } from '../../domain/ports';

/**
 * The last resort when a compensation keeps failing: the order is flagged and queued for an operator, so it is never
 * silently left half way. Flagging is idempotent; a duplicate queue message is harmless (redrive is idempotent too).
 */
export async function flagForAttention(
  deps: { orders: OrderStore; queue: AttentionQueue },
  orderId: string,
  failure: { reason: string; failedStep?: string; error?: unknown },
) {
  await deps.orders.flagForAttention(orderId, failure.reason);
  await deps.queue.send({ orderId, ...failure });
  return { flagged: true };
}
