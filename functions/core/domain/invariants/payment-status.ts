import type { PaymentRecord } from '../ports';
import { payingStatuses, groupBy, describeAmount } from './shared';
import type { Violation, OrderEntry } from './snapshot';

/**
 * (3) Money follows the order: a live authorization only for an order on its way to or at CONFIRMED (REVIEW
 * included: it waits authorized), a capture only for a FULFILLED one, exactly one payment of the order's total for
 * REVIEW, CONFIRMED and FULFILLED orders. Refunds
 * after fulfilment: a partially refunded payment (still `succeeded` at the provider, part of it given back) belongs to
 * a PARTIALLY_REFUNDED order, a wholly refunded one to a REFUNDED order (or a cancelled one, whose capture the
 * cancellation gave back).
 */
/** Payments that hold money (all or part of it). */
const liveStatuses: ReadonlySet<PaymentRecord['status']> = new Set(['authorized', 'captured', 'partially_refunded']);

/** The one payment an order in these statuses must have at the provider. */
const expectedPayment: Partial<Record<string, PaymentRecord['status']>> = {
  // Parked for a risk review after its authorization: the authorization waits with it.
  REVIEW: 'authorized',
  CONFIRMED: 'authorized',
  FULFILLED: 'captured',
  PARTIALLY_REFUNDED: 'partially_refunded',
  REFUNDED: 'refunded',
};
const missingRule: Record<PaymentRecord['status'], string> = {
  authorized: 'missing-authorization',
  captured: 'missing-capture',
  partially_refunded: 'missing-partial-refund',
  refunded: 'missing-refund',
  voided: 'missing-void',
};

export function checkPayments(
  payments: readonly PaymentRecord[],
  orders: readonly OrderEntry[],
  byId: ReadonlyMap<string, OrderEntry>,
  window: {
    sagaMayRun: (order: OrderEntry) => boolean;
    cancelling: (order: OrderEntry) => boolean;
    paymentsComplete: (order: OrderEntry) => boolean;
  },
): Violation[] {
  const violations: Violation[] = [];
  const paymentsByOrder = groupBy(payments, (payment) => payment.reference);
  for (const payment of payments) {
    const order = byId.get(payment.reference);
    const ids = [payment.reference, payment.id];
    if (!order) {
      if (payment.status === 'authorized' || payment.status === 'captured' || payment.status === 'partially_refunded') {
        violations.push({
          invariant: 'payment-status',
          rule: 'payment-without-order',
          ids,
          detail: `${payment.status} payment of ${describeAmount(payment)} for an order that does not exist`,
        });
      }
      continue;
    }
    const excused = window.sagaMayRun(order) || window.cancelling(order);
    if (payment.status === 'authorized' && !['AUTHORIZED', 'REVIEW', 'CONFIRMED'].includes(order.status) && !excused) {
      violations.push({
        invariant: 'payment-status',
        rule: 'unexpected-authorization',
        ids,
        detail: `live authorization of ${describeAmount(payment)} on a ${order.status} order`,
      });
    }
    if (payment.status === 'captured' && order.status !== 'FULFILLED' && !window.cancelling(order)) {
      violations.push({
        invariant: 'payment-status',
        rule: 'unexpected-capture',
        ids,
        detail: `captured ${describeAmount(payment)} on a ${order.status} order`,
      });
    }
    if (payment.status === 'partially_refunded' && order.status !== 'PARTIALLY_REFUNDED') {
      violations.push({
        invariant: 'payment-status',
        rule: 'unexpected-partial-refund',
        ids,
        detail: `partially refunded payment of ${describeAmount(payment)} on a ${order.status} order`,
      });
    }
  }
  for (const order of orders) {
    const own = paymentsByOrder.get(order.orderId) ?? [];
    const live = own.filter((payment) => liveStatuses.has(payment.status));
    if (live.length > 1) {
      violations.push({
        invariant: 'payment-status',
        rule: 'duplicate-payments',
        ids: [order.orderId, ...live.map((payment) => payment.id)],
        detail: `${live.length} live payments (${live.map((p) => `${p.id} ${p.status}`).join(', ')}) for one order`,
      });
    }
    // Only where the payment belongs: a payment on the wrong order is reported above, once.
    for (const payment of payingStatuses.has(order.status) ? live : []) {
      if (payment.amount !== order.total.amount || payment.currency !== order.total.currency) {
        violations.push({
          invariant: 'payment-status',
          rule: 'amount-mismatch',
          ids: [order.orderId, payment.id],
          detail: `${payment.status} ${describeAmount(payment)} but the order totals ${describeAmount(order.total)}`,
        });
      }
    }
    // Absence can only be judged when the listing reaches back to the order's creation.
    if (!window.paymentsComplete(order)) continue;
    const expected = expectedPayment[order.status];
    if (expected && !own.some((payment) => payment.status === expected)) {
      const seen = own.map((payment) => `${payment.id} ${payment.status}`).join(', ') || 'none';
      violations.push({
        invariant: 'payment-status',
        rule: missingRule[expected],
        ids: [order.orderId, ...own.map((payment) => payment.id)],
        detail: `${order.status} order has no ${expected} payment (payments: ${seen})`,
      });
    } else if (
      expected &&
      order.paymentAuthorizationId &&
      !own.some((payment) => payment.status === expected && payment.id === order.paymentAuthorizationId)
    ) {
      violations.push({
        invariant: 'payment-status',
        rule: 'authorization-id-mismatch',
        ids: [order.orderId, order.paymentAuthorizationId],
        detail: `the order records authorization ${order.paymentAuthorizationId}, which is not its ${expected} payment`,
      });
    }
  }
  return violations;
}
