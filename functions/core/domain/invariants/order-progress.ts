import { terminal, known } from './shared';
import type { Violation, OrderEntry } from './snapshot';

/** (4) Every order ends: terminal, or young enough that its saga may still be running. */
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
