import type { Money } from './money';
import { orderStatuses, terminalStatuses, type OrderStatus } from './order';
import type { PaymentRecord } from './ports';

/**
 * The invariants the saga and the stores promise to keep, checked on a snapshot of the live data. The checker is pure:
 * it sees only the snapshot and the clock reading in it, so every rule can be tested with hand-built data and the
 * same code runs in the scheduled job, `npm run reconcile` and the tests. docs/runbooks/reconciliation-violations.md
 * explains each invariant and rule.
 */
export const invariantNames = ['stock-balance', 'hold-status', 'payment-status', 'order-progress'] as const;
export type InvariantName = (typeof invariantNames)[number];

export interface Violation {
  readonly invariant: InvariantName;
  /** Which rule of the invariant failed (a runbook section). */
  readonly rule: string;
  /** The entities involved, most significant first: the product, or the order (then products or payments). */
  readonly ids: readonly string[];
  readonly detail: string;
}

export interface ProductStockEntry {
  readonly productId: string;
  /** The product item's own counters; a sharded product's shards are in `StoreSnapshot.shards`. */
  readonly available: number;
  readonly sold: number;
  /** Over how many shards the available stock is split; absent or 1: none, it is all on the product item. */
  readonly stockShards?: number;
}

/** One shard of a sharded product's stock (domain/stock-shards.ts). */
export interface ShardStockEntry {
  readonly productId: string;
  readonly shard: number;
  readonly available: number;
  readonly sold: number;
}

export interface StockMovementEntry {
  readonly productId: string;
  readonly delta: number;
}

export interface HoldEntry {
  readonly orderId: string;
  readonly productId: string;
  readonly quantity: number;
  /** The shards the units were taken from, for a sharded product; they add up to `quantity`. */
  readonly shards?: readonly { readonly shard: number; readonly quantity: number }[];
}

export interface OrderEntry {
  readonly orderId: string;
  /** As stored: a value outside the known statuses is itself a finding. */
  readonly status: string;
  readonly items: readonly { readonly productId: string; readonly quantity: number }[];
  readonly total: Money;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly paymentAuthorizationId?: string;
  /** Present when the order was flagged for an operator; holds the flag's reason when it has one. */
  readonly attention?: string;
}

/** What the tables hold, read as one pass. */
export interface StoreSnapshot {
  readonly products: readonly ProductStockEntry[];
  /** Stock shard items; absent when the table holds none. */
  readonly shards?: readonly ShardStockEntry[];
  readonly movements: readonly StockMovementEntry[];
  readonly holds: readonly HoldEntry[];
  readonly orders: readonly OrderEntry[];
}

export interface ReconciliationSnapshot extends StoreSnapshot {
  /** The clock reading every age is measured against. */
  readonly takenAt: string;
  /** The payments were listed from this time on: older ones are not in `payments`. */
  readonly paymentsSince: string;
  readonly payments: readonly PaymentRecord[];
}

export interface InvariantPolicy {
  /** The order saga's own time limit: past it, no execution can still be moving the order. */
  readonly sagaTimeLimitSeconds: number;
  /** The cancellation workflow's time limit: it compensates after the order became CANCELLED. */
  readonly cancellationTimeLimitSeconds: number;
  /** Slack on top of both limits: start latency, retries that began just before the deadline, clock skew. */
  readonly graceSeconds: number;
}

export interface AttentionEntry {
  readonly orderId: string;
  readonly status: string;
  readonly attention: string;
  /** Findings on the order that the flag acknowledges: not counted as violations. */
  readonly findings: readonly Violation[];
}

export interface ReconciliationCounts {
  readonly products: number;
  readonly movements: number;
  readonly holds: number;
  readonly orders: number;
  readonly ordersByStatus: Readonly<Record<string, number>>;
  readonly payments: number;
  readonly attention: number;
  readonly violations: number;
  readonly violationsByInvariant: Readonly<Record<InvariantName, number>>;
}

export interface ReconciliationReport {
  readonly checkedAt: string;
  readonly paymentsSince: string;
  readonly violations: readonly Violation[];
  /** Orders flagged for attention, listed apart: an operator already owns them. */
  readonly attention: readonly AttentionEntry[];
  readonly counts: ReconciliationCounts;
}

/** Statuses that may hold stock: reserved and not yet committed (fulfilment turns holds into sold stock). */
const holdingStatuses: ReadonlySet<string> = new Set<OrderStatus>(['RESERVED', 'AUTHORIZED', 'CONFIRMED']);
/** Statuses whose order rightly carries a live payment. */
const payingStatuses: ReadonlySet<string> = new Set<OrderStatus>(['AUTHORIZED', 'CONFIRMED', 'FULFILLED']);
const terminal: ReadonlySet<string> = new Set<string>(terminalStatuses);
const known: ReadonlySet<string> = new Set<string>(orderStatuses);
/** Provider and table clocks differ a little: an order created this close after `since` may have older payments. */
const paymentClockSkewMs = 60_000;

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

  return {
    checkedAt: snapshot.takenAt,
    paymentsSince: snapshot.paymentsSince,
    violations,
    attention,
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
    },
  };
}

/**
 * (1) Every unit ever stocked is on the shelf, held for an order, or sold; none of those is negative. A sharded
 * product's shelf and sales are the sums over its product item and its shards, and no shard may be negative.
 */
function checkStock(snapshot: StoreSnapshot): Violation[] {
  const violations: Violation[] = [];
  const stocked = new Map<string, number>();
  for (const movement of snapshot.movements) {
    stocked.set(movement.productId, (stocked.get(movement.productId) ?? 0) + movement.delta);
  }
  const held = new Map<string, number>();
  for (const hold of snapshot.holds) held.set(hold.productId, (held.get(hold.productId) ?? 0) + hold.quantity);
  const products = new Set(snapshot.products.map((product) => product.productId));
  const shardsByProduct = groupBy(snapshot.shards ?? [], (shard) => shard.productId);

  for (const product of snapshot.products) {
    const id = product.productId;
    const violation = (rule: string, detail: string, shard?: number) =>
      violations.push({
        invariant: 'stock-balance',
        rule,
        ids: shard === undefined ? [id] : [id, `shard-${shard}`],
        detail,
      });
    const shards = shardsByProduct.get(id) ?? [];
    const counts = [product, ...shards].every(
      (counters) => Number.isInteger(counters.available) && Number.isInteger(counters.sold),
    );
    if (!counts) {
      violation('not-a-count', `available and sold of the product and its shards must be integers`);
      continue;
    }
    if (product.available < 0) violation('negative-available', `available is ${product.available}`);
    if (product.sold < 0) violation('negative-sold', `sold is ${product.sold}`);
    const shardCount = product.stockShards ?? 1;
    for (const shard of shards) {
      if (shard.available < 0) {
        violation('negative-shard-available', `shard ${shard.shard} has available ${shard.available}`, shard.shard);
      }
      if (shard.sold < 0) violation('negative-sold', `shard ${shard.shard} has sold ${shard.sold}`, shard.shard);
      if (shard.shard >= shardCount || shardCount === 1) {
        violation(
          'shard-outside-layout',
          `shard ${shard.shard} exists (available ${shard.available}) but the product has ${shardCount} shard(s)`,
          shard.shard,
        );
      }
    }
    if (shardCount > 1 && product.available !== 0) {
      violation(
        'stock-outside-shards',
        `the product item holds ${product.available} available unit(s) though its stock is split over ` +
          `${shardCount} shards: reservations cannot take them`,
      );
    }
    const available = product.available + shards.reduce((sum, shard) => sum + shard.available, 0);
    const sold = product.sold + shards.reduce((sum, shard) => sum + shard.sold, 0);
    const total = stocked.get(id) ?? 0;
    const holding = held.get(id) ?? 0;
    const accounted = available + holding + sold;
    if (total !== accounted) {
      const difference = accounted - total;
      violation(
        'unbalanced',
        `stock movements add up to ${total} but available ${available} + held ${holding} + sold ` +
          `${sold} = ${accounted} (${Math.abs(difference)} unit(s) ${difference > 0 ? 'too many' : 'missing'})` +
          (shards.length > 0 ? ` over the product item and ${shards.length} shard(s)` : ''),
      );
    }
  }
  for (const [productId, shards] of shardsByProduct) {
    if (!products.has(productId)) {
      violations.push({
        invariant: 'stock-balance',
        rule: 'shard-without-product',
        ids: [productId],
        detail: `${shards.length} stock shard(s) holding ${shards.reduce((sum, shard) => sum + shard.available, 0)} unit(s) exist for a product that does not`,
      });
    }
  }
  for (const [productId, total] of stocked) {
    if (!products.has(productId)) {
      violations.push({
        invariant: 'stock-balance',
        rule: 'movements-without-product',
        ids: [productId],
        detail: `stock movements adding up to ${total} exist for a product that does not`,
      });
    }
  }
  for (const hold of snapshot.holds) {
    if (!products.has(hold.productId)) {
      violations.push({
        invariant: 'stock-balance',
        rule: 'hold-for-unknown-product',
        ids: [hold.productId, hold.orderId],
        detail: `order ${hold.orderId} holds ${hold.quantity} unit(s) of a product that does not exist`,
      });
    }
  }
  return violations;
}

/** (2) Exactly the orders between reservation and fulfilment hold stock, and they hold exactly their lines. */
function checkHolds(
  orders: readonly OrderEntry[],
  holdsByOrder: ReadonlyMap<string, HoldEntry[]>,
  byId: ReadonlyMap<string, OrderEntry>,
  cancelling: (order: OrderEntry) => boolean,
): Violation[] {
  const violations: Violation[] = [];
  for (const [orderId, holds] of holdsByOrder) {
    if (!byId.has(orderId)) {
      violations.push({
        invariant: 'hold-status',
        rule: 'hold-without-order',
        ids: [orderId, ...holds.map((hold) => hold.productId)],
        detail: `holds ${describeHolds(holds)} for an order that does not exist`,
      });
    }
  }
  for (const holds of holdsByOrder.values()) {
    for (const hold of holds) {
      const fromShards = hold.shards?.reduce((sum, share) => sum + share.quantity, 0);
      if (fromShards !== undefined && fromShards !== hold.quantity) {
        violations.push({
          invariant: 'hold-status',
          rule: 'hold-shares-do-not-add-up',
          ids: [hold.orderId, hold.productId],
          detail: `the hold of ${hold.quantity} unit(s) records ${fromShards} taken from shards`,
        });
      }
    }
  }
  for (const order of orders) {
    const holds = holdsByOrder.get(order.orderId) ?? [];
    if (!holdingStatuses.has(order.status)) {
      if (holds.length > 0 && !cancelling(order)) {
        violations.push({
          invariant: 'hold-status',
          rule: 'hold-on-settled-order',
          ids: [order.orderId, ...holds.map((hold) => hold.productId)],
          detail: `${order.status} order still holds ${describeHolds(holds)}`,
        });
      }
      continue;
    }
    // Reservation writes every hold with the status change in one transaction, and only fulfilment or release
    // removes them: a holding order without its holds has lost stock to someone else (or kept too much).
    const expected = new Map(order.items.map((line) => [line.productId, line.quantity]));
    const mismatched: string[] = [];
    const details: string[] = [];
    for (const [productId, quantity] of expected) {
      const hold = holds.find((candidate) => candidate.productId === productId);
      if (hold?.quantity !== quantity) {
        mismatched.push(productId);
        details.push(`${productId}: ordered ${quantity}, held ${hold?.quantity ?? 0}`);
      }
    }
    for (const hold of holds) {
      if (!expected.has(hold.productId)) {
        mismatched.push(hold.productId);
        details.push(`${hold.productId}: not ordered, held ${hold.quantity}`);
      }
    }
    if (mismatched.length > 0) {
      violations.push({
        invariant: 'hold-status',
        rule: 'holds-do-not-match-lines',
        ids: [order.orderId, ...mismatched],
        detail: `${order.status} order's holds differ from its lines (${details.join('; ')})`,
      });
    }
  }
  return violations;
}

/**
 * (3) Money follows the order: a live authorization only for an order on its way to or at CONFIRMED, a capture
 * only for a FULFILLED one, exactly one payment of the order's total for CONFIRMED and FULFILLED orders.
 */
function checkPayments(
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
      if (payment.status === 'authorized' || payment.status === 'captured') {
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
    if (payment.status === 'authorized' && !['AUTHORIZED', 'CONFIRMED'].includes(order.status) && !excused) {
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
  }
  for (const order of orders) {
    const own = paymentsByOrder.get(order.orderId) ?? [];
    const live = own.filter((payment) => payment.status === 'authorized' || payment.status === 'captured');
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
    const expected =
      order.status === 'CONFIRMED' ? 'authorized' : order.status === 'FULFILLED' ? 'captured' : undefined;
    if (expected && !own.some((payment) => payment.status === expected)) {
      const seen = own.map((payment) => `${payment.id} ${payment.status}`).join(', ') || 'none';
      violations.push({
        invariant: 'payment-status',
        rule: expected === 'authorized' ? 'missing-authorization' : 'missing-capture',
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

/** (4) Every order ends: terminal, or young enough that its saga may still be running. */
function checkProgress(
  orders: readonly OrderEntry[],
  sagaWindowMs: number,
  ageMs: (at: string) => number,
): Violation[] {
  const violations: Violation[] = [];
  for (const order of orders) {
    if (!known.has(order.status)) {
      violations.push({
        invariant: 'order-progress',
        rule: 'unknown-status',
        ids: [order.orderId],
        detail: `status "${order.status}" is not an order status`,
      });
    } else if (!terminal.has(order.status) && ageMs(order.createdAt) >= sagaWindowMs) {
      violations.push({
        invariant: 'order-progress',
        rule: 'stuck-order',
        ids: [order.orderId],
        detail:
          `${order.status} since ${order.updatedAt}, created ${order.createdAt}: older than the saga's time limit ` +
          `plus grace (${Math.round(sagaWindowMs / 1000)} s) and not terminal`,
      });
    }
  }
  return violations;
}

function groupBy<T>(values: readonly T[], key: (value: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const value of values) {
    const group = groups.get(key(value));
    if (group) group.push(value);
    else groups.set(key(value), [value]);
  }
  return groups;
}

function describeHolds(holds: readonly HoldEntry[]): string {
  return holds.map((hold) => `${hold.quantity} × ${hold.productId}`).join(', ');
}

function describeAmount(money: { amount: number; currency: string }): string {
  return `${money.amount} ${money.currency}`;
}
