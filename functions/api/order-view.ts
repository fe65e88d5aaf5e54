import type * as z from 'zod/mini';
import type { Order } from '../core/domain/order';
import type { OrderHistoryEntry } from '../core/domain/ports';
import type {
  adminHistoryEntry,
  adminOrderResponse,
  orderHistoryResponse,
  orderResponse,
  ownOrderResponse,
  reviewExplanation,
  reviewResponse,
  riskExplanation,
} from '../core/schemas/api-schemas';

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
    ...(order.shippingAddress ? { shippingAddress: order.shippingAddress } : {}),
    ...(order.contactEmail ? { contactEmail: order.contactEmail } : {}),
  };
}

/**
 * The owner's view of one order (GET /orders/{orderId}): while it waits for the customer's authentication, what the
 * client needs to finish it. Only here: not in lists, not to admins, not in events or logs.
 */
export function ownOrderView(order: Order): z.output<typeof ownOrderResponse> {
  const action = order.paymentAction;
  return {
    ...orderView(order),
    ...(order.status === 'ACTION_REQUIRED' && action?.clientSecret
      ? {
          paymentAction: {
            type: 'authenticate_payment' as const,
            provider: 'stripe' as const,
            paymentIntentId: action.paymentIntentId,
            clientSecret: action.clientSecret,
            ...(action.nextActionType ? { nextActionType: action.nextActionType } : {}),
            expiresAt: action.expiresAt,
          },
        }
      : {}),
  };
}

/**
 * An order in a list: the single order's view without the shipping address and contact email. Lists stay small, and
 * personal data is shown only to whoever asks for the one order.
 */
export function orderSummaryView(order: Order): z.output<typeof orderResponse> {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { shippingAddress, contactEmail, ...summary } = orderView(order);
  return summary;
}

/** Admins also see whose order it is. */
export function adminOrderView(order: Order): z.output<typeof adminOrderResponse> {
  return {
    ...orderView(order),
    customerId: order.customerId,
    ...(order.refundedAmount !== undefined ? { refundedAmount: order.refundedAmount } : {}),
    ...(order.refunds
      ? {
          refunds: order.refunds.map(({ refundId, amount, reason, at, actor, restocked }) => ({
            refundId,
            amount,
            reason,
            at,
            actor: { kind: actor.kind, id: actor.id },
            ...(restocked ? { restocked: restocked.map(({ productId, quantity }) => ({ productId, quantity })) } : {}),
          })),
        }
      : {}),
    ...(order.providerRefunds ? { providerRefunds: [...order.providerRefunds] } : {}),
    ...(order.disputes ? { disputes: [...order.disputes] } : {}),
  };
}

/**
 * What the owner sees of a history entry. Who changed it stays inside; a change support made shows as such, not with
 * the reason support recorded, which is written for colleagues and the audit trail.
 */
export function ownerHistoryView(entry: OrderHistoryEntry): z.output<typeof orderHistoryResponse>['history'][number] {
  const { status, at, reason, actor } = entry;
  if (actor?.kind === 'admin') return { status, at, reason: `${status.toLowerCase().replace('_', ' ')} by support` };
  return { status, at, ...(reason ? { reason } : {}) };
}

/** Admins see every entry whole: who made the change (kind and principal id) and the reason given. */
export function adminHistoryView(entry: OrderHistoryEntry): z.output<typeof adminHistoryEntry> {
  const { status, at, reason, actor } = entry;
  return { status, at, ...(reason ? { reason } : {}), ...(actor ? { actor: { kind: actor.kind, id: actor.id } } : {}) };
}

/** An order in an admin's list: whose it is, without the personal data (see `orderSummaryView`). */
export function adminOrderSummaryView(order: Order): z.output<typeof adminOrderResponse> {
  return { ...orderSummaryView(order), customerId: order.customerId };
}

/** CheckRisk's decision, for support only (absent until the step ran, or while the risk check was switched off). */
export function riskView(order: Order): { risk?: z.output<typeof riskExplanation> } {
  if (!order.risk) return {};
  const { decision, source, modelVersion, score, topFeatures, reasons, at } = order.risk;
  return {
    risk: {
      decision,
      source,
      ...(modelVersion === undefined ? {} : { modelVersion }),
      ...(score === undefined ? {} : { score }),
      ...(topFeatures ? { topFeatures: topFeatures.map((part) => ({ ...part })) } : {}),
      ...(reasons ? { reasons: [...reasons] } : {}),
      at,
    },
  };
}

/**
 * An order's risk review, for support only: its deadline while it waits, and the decision taken on it (who, when, the
 * note, the model's decision it was taken on). Absent for orders never held for review.
 */
export function reviewDetailsView(order: Order): { review?: z.output<typeof reviewExplanation> } {
  const decided = order.heldDecision?.review ? order.heldDecision : undefined;
  if (!order.reviewDeadline && !decided) return {};
  const record = decided?.review;
  return {
    review: {
      ...(order.reviewDeadline ? { deadline: order.reviewDeadline } : {}),
      ...(decided && record
        ? {
            decision: {
              decision: decided.decision === 'continue' ? ('approve' as const) : ('reject' as const),
              by: decided.by,
              at: decided.at,
              ...(record.note === undefined ? {} : { note: record.note }),
              ...(record.modelVersion === undefined ? {} : { modelVersion: record.modelVersion }),
              ...(record.score === undefined ? {} : { score: record.score }),
              ...(record.topFeatures ? { topFeatures: record.topFeatures.map((part) => ({ ...part })) } : {}),
            },
          }
        : {}),
    },
  };
}

/** An order in the review queue, or as a review decision left it: the admin's summary with its risk and review. */
export function reviewView(order: Order): z.output<typeof reviewResponse> {
  return { ...adminOrderSummaryView(order), ...riskView(order), review: reviewDetailsView(order).review ?? {} };
}
