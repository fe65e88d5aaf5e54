import { OrderStateConflictError } from '../../domain/errors';
import type { Order, ReviewRecord } from '../../domain/order';
import type { OrderPage, OrderStore } from '../../domain/ports';
import { loadAnyOrder } from './get-order';
import { decideHeldOrder, type HeldOrderDeps } from './held-orders';

/**
 * The risk review queue (docs/models.md, "Review queue"): orders the fraud model scored for review wait in REVIEW,
 * authorized with their stock held, until an admin approves (the continuation confirms them) or rejects them (it
 * voids the payment, releases the stock and fails them with RISK_REJECTED), or until the recovery job rejects them
 * at their deadline. Every decision is a held order's decision (held-orders.ts): one conditional write, one
 * continuation.
 */
export type ReviewVerdict = 'approve' | 'reject';

/** The queue, oldest first (the status index read forwards): the order closest to its deadline comes first. */
export function listReviews(
  orders: Pick<OrderStore, 'listByStatus'>,
  query: { readonly limit?: number | undefined; readonly cursor?: string | undefined },
): Promise<OrderPage> {
  const { limit = 50, cursor } = query;
  return orders.listByStatus('REVIEW', { limit, oldestFirst: true, ...(cursor ? { cursor } : {}) });
}

/**
 * What a review decision keeps besides who and when: the note, and a copy of the model's decision it was taken on
 * (version, score, the features that weighed most), so the decision explains itself to support.
 */
export function reviewRecord(order: Order, note: string | undefined): ReviewRecord {
  const risk = order.risk;
  return {
    ...(note === undefined ? {} : { note }),
    ...(risk?.modelVersion === undefined ? {} : { modelVersion: risk.modelVersion }),
    ...(risk?.score === undefined ? {} : { score: risk.score }),
    ...(risk?.topFeatures ? { topFeatures: risk.topFeatures.map((feature) => ({ ...feature })) } : {}),
  };
}

/** The verdict a recorded decision stands for (a rejection at the deadline is a rejection). */
export function verdictOf(order: Order): ReviewVerdict | undefined {
  if (!order.heldDecision) return undefined;
  return order.heldDecision.decision === 'continue' ? 'approve' : 'reject';
}

/**
 * An admin's decision on an order in REVIEW. Idempotent: the same verdict again (a retried request, or two admins
 * agreeing) answers the order as the first decision left it. A different verdict on a decided order, or any verdict on
 * an order that is not waiting for review, is a conflict (409) and changes nothing.
 */
export async function decideReview(
  deps: HeldOrderDeps,
  orderId: string,
  verdict: ReviewVerdict,
  decision: { readonly by: string; readonly note?: string | undefined; readonly correlationId: string },
): Promise<Order> {
  const order = await loadAnyOrder(deps.orders, orderId);
  if (order.status === 'REVIEW' && !order.heldDecision) {
    const held =
      verdict === 'approve'
        ? ({ decision: 'continue' } as const)
        : ({ decision: 'abandon', reason: 'RISK_REJECTED' } as const);
    const { order: decided } = await decideHeldOrder(
      deps,
      order,
      { ...held, review: reviewRecord(order, decision.note) },
      decision.by,
      decision.correlationId,
    );
    // Lost a race to another decider: answered like any later request, from what the winner recorded.
    return sameVerdictOrConflict(decided, verdict);
  }
  return sameVerdictOrConflict(order, verdict);
}

function sameVerdictOrConflict(order: Order, verdict: ReviewVerdict): Order {
  // Only a decision taken on review counts: an order that never waited for review has nothing to repeat.
  if (order.heldDecision?.review && verdictOf(order) === verdict) return order;
  if (order.heldDecision?.review) {
    throw new OrderStateConflictError(`order ${order.orderId} was already ${verdictOf(order)}d on review`);
  }
  throw new OrderStateConflictError(`order ${order.orderId} is ${order.status}, not waiting for a risk review`);
}
