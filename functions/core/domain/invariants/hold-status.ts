import { holdingStatuses, describeHolds } from './shared';
import type { Violation, OrderEntry, HoldEntry } from './snapshot';

/** (2) Exactly the orders between reservation and fulfilment hold stock, and they hold exactly their lines. */
export function checkHolds(
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
