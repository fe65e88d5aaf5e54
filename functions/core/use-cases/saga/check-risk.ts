import { createHash } from 'node:crypto';
import { RiskRejectedError } from '../../domain/errors';
import type { Order, RiskRecord } from '../../domain/order';
import type { EarlierOrder, OrderStore } from '../../domain/ports';
import type { RiskLimits } from '../../domain/risk';
import { callerKindOf } from '../../domain/tenancy';
import { extractFeatures, summarizeHistory, type PastOrder, type RiskFeatures } from '../../risk/features';
import type { RiskModel } from '../../risk/model';
import { decideRisk, shippingAddressFingerprint, type RiskOutcome } from '../../risk/risk-decision';
import { loadSagaOrder, refuseIfFailing } from './saga-order';

/** How many of the customer's earlier orders the features look at (newest first): one query page. */
export const historyOrdersRead = 50;

export interface CheckRiskDeps {
  readonly orders: OrderStore;
  readonly limits: RiskLimits;
  /** The fraud model; undefined when none could be loaded (the static rules then decide). */
  readonly model?: RiskModel;
  /** Per-environment overrides of the model's thresholds. */
  readonly thresholds?: { readonly review?: number; readonly reject?: number };
  readonly now?: () => Date;
  readonly riskCheckEnabled?: boolean;
}

/**
 * Decides whether a PENDING order may go on: the fraud model over features of the order and the customer's history,
 * with the static limits as ceiling and as fallback (functions/core/risk/risk-decision.ts). The decision is recorded
 * on the order (model version, score, the features that weighed most) before a rejection fails it.
 *
 * Orders scored `review` go on with the decision recorded as `review`: AuthorizePayment then parks them in REVIEW,
 * authorized with their stock held, for an admin (docs/models.md, "Review queue").
 *
 * Replays are safe: features and the velocity count cover only orders placed before this one, so the answer does not
 * change when the step runs again, and the first decision recorded is kept.
 */
export async function checkRisk(deps: CheckRiskDeps, orderId: string) {
  const order = await loadSagaOrder(deps.orders, orderId);
  if (order.status !== 'PENDING') return { approved: true, skipped: order.status };
  // Nothing is held or authorized for a PENDING order (both need the version the failure decision bumped).
  refuseIfFailing(order);
  // The riskCheck feature flag is off: approve unevaluated, and say so in the step's output.
  if (deps.riskCheckEnabled === false) return { approved: true, evaluated: false };
  const since = new Date(new Date(order.createdAt).getTime() - 60 * 60 * 1000).toISOString();
  const callerKind = callerKindOf(order.customerId);
  const earlier = deps.model && callerKind === 'customer' ? await historyFor(deps.orders, order) : undefined;
  const recent =
    (earlier && countPlacedSince(earlier, order, since)) ?? (await deps.orders.countRecentOrders(order, since));
  const features = earlier ? orderFeatures(order, earlier) : undefined;
  const outcome = decideRisk({
    total: order.total,
    ordersInLastHour: recent,
    limits: deps.limits,
    callerKind,
    ...(deps.model ? { model: deps.model } : {}),
    ...(features ? { features } : {}),
    ...(deps.thresholds ? { thresholds: deps.thresholds } : {}),
  });
  const record = riskRecord(outcome, (deps.now ?? (() => new Date()))().toISOString());
  await deps.orders.recordRisk(orderId, record);
  if (outcome.decision === 'reject') throw new RiskRejectedError(rejectionReason(outcome));
  return {
    approved: true,
    riskDecision: outcome.decision,
    source: outcome.source,
    ...(record.score === undefined ? {} : { score: record.score }),
  };
}

/**
 * The customer's earlier orders the model's features read (one Query on the customer index, newest first, at most
 * `historyOrdersRead`). Undefined when the order lacks what the features need (placed before shipping addresses were
 * asked for, or without a payment method): the rules then decide.
 */
async function historyFor(orders: OrderStore, order: Order): Promise<readonly EarlierOrder[] | undefined> {
  if (!order.shippingAddress || !order.paymentMethod) return undefined;
  return orders.earlierOrders(order, historyOrdersRead);
}

/**
 * How many of the customer's orders were placed from `since` up to (not including) `order`, as countRecentOrders
 * counts them, read off the history page the features already read. Undefined when the page is full and its oldest
 * order is still within the hour: orders beyond the page may count too, so the count is read from the index.
 */
export function countPlacedSince(earlier: readonly EarlierOrder[], order: Order, since: string): number | undefined {
  const oldest = earlier.at(-1);
  if (earlier.length >= historyOrdersRead && oldest && oldest.createdAt >= since) return undefined;
  // The customer index sorts by `${createdAt}#${orderId}`: the orders before this one in that order.
  const self = `${order.createdAt}#${order.orderId}`;
  return earlier.filter((past) => past.createdAt >= since && `${past.createdAt}#${past.orderId}` < self).length;
}

/**
 * The model's features from the order and the customer's earlier orders. Each feature's source is listed in
 * docs/models.md ("Where CheckRisk takes each feature from").
 */
function orderFeatures(order: Order, earlier: readonly EarlierOrder[]): RiskFeatures | undefined {
  if (!order.shippingAddress || !order.paymentMethod) return undefined;
  const pastOrders: PastOrder[] = earlier.map((past) => ({
    placedAt: past.createdAt,
    amount: past.total.amount,
    paymentMethod: past.paymentMethod ? paymentMethodFingerprint(past.paymentMethod) : 'unknown',
    shippingAddress: past.shippingAddress ? shippingAddressFingerprint(past.shippingAddress) : 'unknown',
  }));
  // The table knows no account creation date: the customer's first order we can see stands for it, so a customer
  // without earlier orders counts as a new account (the cautious reading).
  const firstSeen = earlier.reduce((first, past) => (past.createdAt < first ? past.createdAt : first), order.createdAt);
  const country = order.shippingAddress.country;
  return extractFeatures(
    {
      placedAt: order.createdAt,
      amount: order.total.amount,
      paymentMethod: paymentMethodFingerprint(order.paymentMethod),
      shippingAddress: shippingAddressFingerprint(order.shippingAddress),
      // No billing country or IP country is known yet: both stand at the shipping country, so the two mismatch
      // features are 0 until an edge geo header and the card's country are recorded on the order.
      billingCountry: country,
      shippingCountry: country,
      ipCountry: country,
    },
    summarizeHistory(firstSeen, pastOrders, order.createdAt),
  );
}

/** Equal payment method references give equal fingerprints; the reference itself is never kept in a decision. */
function paymentMethodFingerprint(reference: string): string {
  return createHash('sha256').update(reference).digest('hex').slice(0, 16);
}

function riskRecord(outcome: RiskOutcome, at: string): RiskRecord {
  if (outcome.source === 'rules') {
    return { decision: outcome.decision, source: 'rules', reasons: outcome.reasons, at };
  }
  return {
    decision: outcome.decision,
    source: 'model',
    modelVersion: outcome.modelVersion,
    score: Math.round(outcome.probability * 10_000) / 10_000,
    topFeatures: outcome.topContributions.map(({ feature, value, contribution }) => ({
      feature,
      value: Math.round(value * 1000) / 1000,
      contribution: Math.round(contribution * 1000) / 1000,
    })),
    at,
  };
}

function rejectionReason(outcome: RiskOutcome): string {
  if (outcome.source === 'rules') return outcome.reasons.join('; ');
  return `fraud score ${outcome.probability.toFixed(3)} (model ${outcome.modelVersion})`;
}
