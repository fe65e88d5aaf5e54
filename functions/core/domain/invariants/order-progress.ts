import { heldStatuses, type OrderStatus } from '../order';
import { terminal, known } from './shared';
import type { Violation, OrderEntry } from './snapshot';

/**
 * (4) Every order ends: terminal, or young enough that its saga may still be running. An order held for its customer
 * (ACTION_REQUIRED) may wait until its deadline, and then for as long as the continuation the recovery job starts.
 */
export function checkProgress(
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
    } else if (!terminal.has(order.status) && waitedMs(order, ageMs) >= sagaWindowMs) {
      violations.push({
        invariant: 'order-progress',
        rule: 'stuck-order',
        ids: [order.orderId],
        detail:
          `${order.status} since ${order.updatedAt}, created ${order.createdAt}` +
          `${order.heldUntil ? `, held until ${order.heldUntil}` : ''}: older than the saga's time limit ` +
          `plus grace (${Math.round(sagaWindowMs / 1000)} s) and not terminal`,
      });
    }
  }
  return violations;
}

/** How long the order has been in flight: for a held order, since its deadline passed. */
function waitedMs(order: OrderEntry, ageMs: (at: string) => number): number {
  const held = heldStatuses.includes(order.status as OrderStatus) && order.heldUntil !== undefined;
  return held ? ageMs(order.heldUntil!) : ageMs(order.createdAt);
}
