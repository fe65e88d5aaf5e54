import type { Order, OrderStatus } from '../domain/order';
import type { WorkflowStarter } from '../domain/ports';

/** The statuses an order passes through while its saga runs. */
export const inFlightStatuses: readonly OrderStatus[] = ['PENDING', 'RESERVED', 'AUTHORIZED'];

export interface RecoveryDependencies {
  /** Orders in a status created before `before`, oldest first, at most `limit`. */
  readonly findOrders: (status: OrderStatus, before: string, limit: number) => Promise<Order[]>;
  readonly workflow: WorkflowStarter;
  readonly now?: () => Date;
}

/**
 * Finds orders whose saga must have ended (older than the saga's time limit) yet are not terminal — the executor
 * died with them: a crashed local runtime, or an execution lost to an outage — and starts their saga again. Every
 * step is idempotent and skips work already done, so the restarted saga completes the order either way (confirms
 * it, or fails and compensates it). Orders flagged for attention are left to the operator.
 */
export async function recoverOrders(deps: RecoveryDependencies, olderThanSeconds: number, limit = 100) {
  const now = (deps.now ?? (() => new Date()))();
  const before = new Date(now.getTime() - olderThanSeconds * 1000).toISOString();
  const candidates: Order[] = [];
  const skipped: string[] = [];
  const seen = new Set<string>();
  // Every status is read before any saga starts, and each order is taken once: an order can move on between the
  // queries (a saga started here, or a live one), and would otherwise be found again and get a second saga.
  for (const status of inFlightStatuses) {
    if (candidates.length >= limit) break;
    for (const order of await deps.findOrders(status, before, limit - candidates.length)) {
      if (seen.has(order.orderId)) continue;
      seen.add(order.orderId);
      if (order.attention || !order.paymentMethod) skipped.push(order.orderId);
      else if (candidates.length < limit) candidates.push(order);
    }
  }
  const restarted: string[] = [];
  for (const order of candidates) {
    // A new execution name per attempt: Standard workflows refuse to reuse a name, Express ignores it.
    await deps.workflow.start(`${order.orderId}-recovery-${now.getTime()}`, {
      orderId: order.orderId,
      paymentToken: order.paymentMethod!,
    });
    restarted.push(order.orderId);
  }
  return { restarted, skipped };
}
