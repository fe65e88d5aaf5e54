import { inFlightStatuses, type FailureReason, type Order, type OrderStatus } from '../../domain/order';
import type { CompensationSchedule, OrderStore, PaymentProvider, WorkflowStarter } from '../../domain/ports';
import { newCorrelationId } from '../../observability/correlation-id';
import { continuationName, decideHeldOrder, type HeldOrderDeps } from '../orders/held-orders';
import { reviewRecord } from '../orders/review-orders';

export { inFlightStatuses };

export interface RecoveryDependencies {
  /** Orders in a status created before `before`, oldest first, at most `limit`. */
  readonly findOrders: (status: OrderStatus, before: string, limit: number) => Promise<Order[]>;
  /** Records the decision to fail an order (see `OrderStore.markFailing`). */
  readonly markFailing: (orderId: string, reason: FailureReason) => Promise<Order | undefined>;
  /** Leaves an order to an operator (see `OrderStore.flagForAttention`). */
  readonly flagForAttention: (orderId: string, reason: string) => Promise<void>;
  readonly workflow: WorkflowStarter;
  /** Runs an order's compensations only (the cancellation workflow). */
  readonly compensationWorkflow: WorkflowStarter;
  readonly compensations: CompensationSchedule;
  /**
   * Held orders: those waiting for their customer's authentication (ACTION_REQUIRED) past their deadline are decided
   * (the payment read from the provider first), those waiting for a risk review (REVIEW) past theirs are rejected;
   * those whose continuation died get it started again.
   */
  readonly held?: HeldOrderDeps & {
    readonly payments: Pick<PaymentProvider, 'paymentState'>;
    /** The authentication deadline: no order created more recently can have passed it. */
    readonly authenticationDeadlineSeconds: number;
    /** The review deadline: likewise for orders in REVIEW. */
    readonly reviewDeadlineSeconds: number;
  };
  readonly now?: () => Date;
}

/**
 * The recovery job's dependencies on the order store. `findOrders` follows the status index's pages until `limit`
 * orders are found: one page alone would cap a resume at its size.
 */
export function recoveryDependencies(
  adapters: Omit<RecoveryDependencies, 'findOrders' | 'markFailing' | 'flagForAttention'> & {
    readonly orders: Pick<OrderStore, 'listByStatus' | 'markFailing' | 'flagForAttention'>;
  },
  pageSize: number,
): RecoveryDependencies {
  const { orders, ...rest } = adapters;
  return {
    ...rest,
    findOrders: async (status, before, limit) => {
      const found: Order[] = [];
      let cursor: string | undefined;
      do {
        const page = await orders.listByStatus(status, {
          to: before,
          limit: Math.max(1, Math.min(pageSize, limit - found.length)),
          ...(cursor ? { cursor } : {}),
        });
        found.push(...page.orders);
        cursor = page.nextCursor;
      } while (cursor && found.length < limit);
      return found.slice(0, limit);
    },
    markFailing: (orderId, reason) => orders.markFailing(orderId, reason),
    flagForAttention: (orderId, reason) => orders.flagForAttention(orderId, reason),
  };
}

export interface RecoveryOptions {
  /** In-flight orders older than this lost their execution (the saga's time limit plus a margin). */
  readonly olderThanSeconds: number;
  /** In-flight orders older than this have held their stock too long: they are failed, not resumed. */
  readonly holdSeconds: number;
  readonly limit?: number;
  /** No execution survived (the offline runtime just started): every pending compensation that can settle is due. */
  readonly afterRestart?: boolean;
  /**
   * This run's correlation id, for the workflows it starts that have none of their own: compensation reruns, and
   * sagas of orders placed before orders kept one. A resumed saga otherwise carries the order's own. Fresh if absent.
   */
  readonly correlationId?: string;
  /**
   * Set when this region was promoted (docs/regions.md): no execution here has touched an order last written before
   * `changedAt`, so one in flight is resumed at once, without waiting for the saga's time limit, if the promotion
   * found it (`inheritedEpoch`). One it did not find arrived later, from the old active region's backlog: if it holds
   * stock, that stock may be missing from this region's counters (last writer wins), so it is left to an operator
   * (FAILOVER_LEFTOVER) and reconciliation reports what it costs, instead of being confirmed blindly.
   */
  readonly promotion?: { readonly epoch: number; readonly changedAt: string };
}

/** The attention reason of an order the old active region left behind, found only after a failover. */
export const failoverLeftover = 'FAILOVER_LEFTOVER';

/**
 * Finishes work whose executor died: a crashed local runtime, or an execution lost to an outage.
 * - Orders in flight for longer than any execution can live get their saga started again. Every step is idempotent
 *   and skips work already done, so the restarted saga completes the order either way (confirms it, or, when its
 *   failure was already decided, compensates and fails it). Orders whose holds have expired are failed first
 *   (RESERVATION_EXPIRED): the decision is conditional, so a saga confirming at the same moment wins or loses
 *   cleanly. Orders flagged for attention are left to the operator.
 * - Orders whose compensations are still pending past their deadline (a cancellation workflow that died, a failed
 *   payment whose late answers have now settled) get the compensations run again; the entry is pushed back first so
 *   a compensation that keeps failing is retried at the recovery cadence, not on every run.
 */
export async function recoverOrders(deps: RecoveryDependencies, options: RecoveryOptions) {
  const now = (deps.now ?? (() => new Date()))();
  const limit = options.limit ?? 100;
  const before = new Date(now.getTime() - options.olderThanSeconds * 1000).toISOString();
  const promotion = options.promotion;
  const queryBefore = promotion && promotion.changedAt > before ? promotion.changedAt : before;
  const holdsExpiredBefore = new Date(now.getTime() - options.holdSeconds * 1000).toISOString();
  // Every state of both workflows passes `correlationId` on, and a missing input path fails the execution: always set.
  const runCorrelationId = options.correlationId ?? newCorrelationId();
  const candidates: Order[] = [];
  const skipped: string[] = [];
  const leftovers: string[] = [];
  const seen = new Set<string>();
  // Every status is read before any saga starts, and each order is taken once: an order can move on between the
  // queries (a saga started here, or a live one), and would otherwise be found again and get a second saga.
  for (const status of inFlightStatuses) {
    if (candidates.length >= limit) break;
    for (const order of await deps.findOrders(status, queryBefore, limit - candidates.length)) {
      if (seen.has(order.orderId)) continue;
      seen.add(order.orderId);
      const writtenBeforePromotion = promotion !== undefined && order.updatedAt < promotion.changedAt;
      // Young, and written here since the promotion: a live execution of this region owns it.
      if (order.createdAt >= before && !writtenBeforePromotion) continue;
      if (writtenBeforePromotion && order.inheritedEpoch !== promotion.epoch && status !== 'PENDING') {
        if (!order.attention) {
          await deps.flagForAttention(order.orderId, failoverLeftover);
          leftovers.push(order.orderId);
        }
        continue;
      }
      // A held order that was just continued is in flight again, and its continuation workflow owns it.
      if (order.heldDecision && order.heldDecision.at > before) continue;
      // A saga reads the payment method from the order: one without it could never be authorized.
      if (order.attention || !order.paymentMethod) skipped.push(order.orderId);
      else if (candidates.length < limit) candidates.push(order);
    }
  }
  const restarted: string[] = [];
  const expired: string[] = [];
  for (const order of candidates) {
    if (order.createdAt < holdsExpiredBefore && !order.failure) {
      await deps.markFailing(order.orderId, 'RESERVATION_EXPIRED');
      expired.push(order.orderId);
    }
    // A new execution name per attempt: Standard workflows refuse to reuse a name, Express ignores it.
    await deps.workflow.start(`${order.orderId}-recovery-${now.getTime()}`, {
      orderId: order.orderId,
      correlationId: order.correlationId ?? runCorrelationId,
    });
    restarted.push(order.orderId);
  }

  const compensated: string[] = [];
  const retryAt = new Date(now.getTime() + options.olderThanSeconds * 1000).toISOString();
  for (const pending of await deps.compensations.due(limit, { afterRestart: options.afterRestart ?? false })) {
    await deps.compensations.schedule(pending.orderId, { checkAfter: retryAt, settledAfter: pending.settledAfter });
    await deps.compensationWorkflow.start(`${pending.orderId}-compensation-${now.getTime()}`, {
      orderId: pending.orderId,
      correlationId: runCorrelationId,
    });
    compensated.push(pending.orderId);
  }
  const held = deps.held ? await recoverHeldOrders(deps, deps.held, now, before, limit, runCorrelationId) : undefined;
  const reviews = deps.held ? await recoverReviews(deps, deps.held, now, before, limit, runCorrelationId) : undefined;
  return {
    restarted,
    expired,
    compensated,
    skipped,
    leftovers,
    authenticationExpired: held?.expired ?? [],
    reviewsExpired: reviews?.expired ?? [],
    continued: [...(held?.continued ?? []), ...(reviews?.continued ?? [])],
  };
}

type HeldRecovery = NonNullable<RecoveryDependencies['held']>;

/**
 * The orders held in `status` that may be due: created before the earlier of "decided longer ago than any workflow
 * lives" and "past the deadline", not flagged for an operator. Those decided long ago get their continuation started
 * again (it died with its executor; every step is idempotent) and are not returned; the undecided are.
 */
async function dueHeldOrders(
  deps: RecoveryDependencies,
  held: HeldRecovery,
  status: OrderStatus,
  deadlineSeconds: number,
  now: Date,
  decidedBefore: string,
  limit: number,
  correlationId: string,
) {
  const createdBefore = new Date(
    Math.max(new Date(decidedBefore).getTime(), now.getTime() - deadlineSeconds * 1000),
  ).toISOString();
  const undecided: Order[] = [];
  const continued: string[] = [];
  for (const order of await deps.findOrders(status, createdBefore, limit)) {
    if (order.attention) continue;
    if (!order.heldDecision) {
      undecided.push(order);
      continue;
    }
    if (order.heldDecision.at > decidedBefore) continue;
    await held.continuations.start(`${continuationName(order.orderId)}-recovery-${now.getTime()}`, {
      orderId: order.orderId,
      correlationId: order.correlationId ?? correlationId,
    });
    continued.push(order.orderId);
  }
  return { undecided, continued };
}

/**
 * REVIEW orders past their review deadline and undecided are rejected (RISK_REJECTED), as an admin's rejection
 * would: the continuation voids the payment and releases the stock. The decision records the model's decision it
 * was taken on and that the deadline, not a person, decided.
 */
async function recoverReviews(
  deps: RecoveryDependencies,
  held: HeldRecovery,
  now: Date,
  decidedBefore: string,
  limit: number,
  correlationId: string,
) {
  const due = await dueHeldOrders(
    deps,
    held,
    'REVIEW',
    held.reviewDeadlineSeconds,
    now,
    decidedBefore,
    limit,
    correlationId,
  );
  const expired: string[] = [];
  for (const order of due.undecided) {
    if (!order.reviewDeadline || order.reviewDeadline > now.toISOString()) continue;
    const { started } = await decideHeldOrder(
      held,
      order,
      { decision: 'abandon', reason: 'RISK_REJECTED', review: reviewRecord(order, 'review deadline passed') },
      'recover-orders',
      order.correlationId ?? correlationId,
    );
    if (started) expired.push(order.orderId);
  }
  return { expired, continued: due.continued };
}

/**
 * ACTION_REQUIRED orders. Past its deadline and undecided: the payment is read from the provider first (the
 * customer may have finished and the webhook been lost): authorized, the order continues; declined, it is abandoned
 * with PAYMENT_DECLINED; still waiting (or cancelled), with PAYMENT_AUTHENTICATION_EXPIRED, and the continuation
 * cancels the PaymentIntent and gives the stock back. Decided longer ago than any workflow lives: the continuation
 * died with its executor and is started again (every step is idempotent). Orders created within both periods cannot
 * be due, so the status index is read only up to the earlier of the two.
 */
async function recoverHeldOrders(
  deps: RecoveryDependencies,
  held: HeldRecovery,
  now: Date,
  decidedBefore: string,
  limit: number,
  correlationId: string,
) {
  const due = await dueHeldOrders(
    deps,
    held,
    'ACTION_REQUIRED',
    held.authenticationDeadlineSeconds,
    now,
    decidedBefore,
    limit,
    correlationId,
  );
  const expired: string[] = [];
  const continued = [...due.continued];
  for (const order of due.undecided) {
    const orderCorrelationId = order.correlationId ?? correlationId;
    if (!order.paymentAction || order.paymentAction.expiresAt > now.toISOString()) continue;
    const state = await held.payments.paymentState(order.paymentAction.paymentIntentId, orderCorrelationId);
    const decision =
      state === 'authorized' || state === 'captured'
        ? ({ decision: 'continue' } as const)
        : ({
            decision: 'abandon',
            reason: state === 'declined' ? 'PAYMENT_DECLINED' : 'PAYMENT_AUTHENTICATION_EXPIRED',
          } as const);
    const { started } = await decideHeldOrder(held, order, decision, 'recover-orders', orderCorrelationId);
    if (started) (decision.decision === 'continue' ? continued : expired).push(order.orderId);
  }
  return { expired, continued };
}
