import { checkHolds } from './hold-status';
import { checkProgress } from './order-progress';
import { checkPayments } from './payment-status';
import { groupBy, terminal } from './shared';
import {
  invariantNames,
  type InvariantName,
  type InvariantPolicy,
  type OrderEntry,
  type ReconciliationReport,
  type ReconciliationSnapshot,
  type Violation,
} from './snapshot';
import { checkStock, oversoldUnits } from './stock-balance';

export * from './snapshot';

/** Provider and table clocks differ a little: an order created this close after `since` may have older payments. */
const paymentClockSkewMs = 60_000;

/**
 * The invariants the saga and the stores promise to keep, checked on a snapshot of the live data. The checker is pure:
 * it sees only the snapshot and the clock reading in it, so every rule can be tested with hand-built data and the
 * same code runs in the scheduled job, `npm run reconcile` and the tests. docs/runbooks/reconciliation-violations.md
 * explains each invariant and rule.
 */
export function checkInvariants(snapshot: ReconciliationSnapshot, policy: InvariantPolicy): ReconciliationReport {
  const now = Date.parse(snapshot.takenAt);
  const orders = new Map(snapshot.orders.map((order) => [order.orderId, order]));
  const holdsByOrder = groupBy(snapshot.holds, (hold) => hold.orderId);
  const sagaWindowMs = (policy.sagaTimeLimitSeconds + policy.graceSeconds) * 1000;
  const cancellationWindowMs = (policy.cancellationTimeLimitSeconds + policy.graceSeconds) * 1000;
  // Unparseable times count as old, so a damaged item is judged rather than excused.
  const ageMs = (at: string) => now - (Number.isNaN(Date.parse(at)) ? -Infinity : Date.parse(at));
  const sagaMayRun = (order: OrderEntry) => !terminal.has(order.status) && ageMs(order.createdAt) < sagaWindowMs;
  // A cancellation commits the status first and compensates after; until its workflow's deadline, stock and
  // payments may still be on their way back.
  const cancelling = (order: OrderEntry) =>
    order.status === 'CANCELLED' && ageMs(order.updatedAt) < cancellationWindowMs;
  const paymentsComplete = (order: OrderEntry) =>
    Date.parse(order.createdAt) >= Date.parse(snapshot.paymentsSince) + paymentClockSkewMs;

  const found: Violation[] = [
    ...checkStock(snapshot),
    ...checkHolds(snapshot.orders, holdsByOrder, orders, cancelling),
    ...checkPayments(snapshot.payments, snapshot.orders, orders, { sagaMayRun, cancelling, paymentsComplete }),
    ...checkProgress(snapshot.orders, sagaWindowMs, ageMs),
  ];

  // Order-scoped findings on a flagged order are the operator's already: list them with the flag, not as alarms.
  // Stock balance stays counted, since a product's books are shared by every order.
  const flagged = new Map(
    snapshot.orders.filter((order) => order.attention !== undefined).map((order) => [order.orderId, order]),
  );
  const isAcknowledged = (violation: Violation) =>
    violation.invariant !== 'stock-balance' && flagged.has(violation.ids[0] ?? '');
  const violations = found.filter((violation) => !isAcknowledged(violation));
  const attention = [...flagged.values()].map((order) => ({
    orderId: order.orderId,
    status: order.status,
    attention: order.attention!,
    findings: found.filter((violation) => isAcknowledged(violation) && violation.ids[0] === order.orderId),
  }));

  const violationsByInvariant = Object.fromEntries(invariantNames.map((name) => [name, 0])) as Record<
    InvariantName,
    number
  >;
  for (const violation of violations) violationsByInvariant[violation.invariant]++;
  const ordersByStatus: Record<string, number> = {};
  for (const order of snapshot.orders) ordersByStatus[order.status] = (ordersByStatus[order.status] ?? 0) + 1;

  const oversold = oversoldUnits(snapshot);
  return {
    checkedAt: snapshot.takenAt,
    paymentsSince: snapshot.paymentsSince,
    violations,
    attention,
    oversold,
    counts: {
      products: snapshot.products.length,
      movements: snapshot.movements.length,
      holds: snapshot.holds.length,
      orders: snapshot.orders.length,
      ordersByStatus,
      payments: snapshot.payments.length,
      attention: attention.length,
      violations: violations.length,
      violationsByInvariant,
      oversoldUnits: oversold.reduce((sum, entry) => sum + entry.units, 0),
    },
  };
}
