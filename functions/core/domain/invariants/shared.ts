import { orderStatuses, terminalStatuses, type OrderStatus } from '../order';
import type { HoldEntry } from './snapshot';

/** Statuses that may hold stock: reserved and not yet committed (fulfilment turns holds into sold stock). */
export const holdingStatuses: ReadonlySet<string> = new Set<OrderStatus>([
  'RESERVED',
  'AUTHORIZED',
  'ACTION_REQUIRED',
  'REVIEW',
  'CONFIRMED',
]);
/**
 * Statuses whose order rightly carries a live payment (a partially refunded one still holds the rest; an order in
 * REVIEW was authorized before it was parked).
 */
export const payingStatuses: ReadonlySet<string> = new Set<OrderStatus>([
  'AUTHORIZED',
  'REVIEW',
  'CONFIRMED',
  'FULFILLED',
  'PARTIALLY_REFUNDED',
]);
export const terminal: ReadonlySet<string> = new Set<string>(terminalStatuses);
export const known: ReadonlySet<string> = new Set<string>(orderStatuses);

export function groupBy<T>(values: readonly T[], key: (value: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const value of values) {
    const group = groups.get(key(value));
    if (group) group.push(value);
    else groups.set(key(value), [value]);
  }
  return groups;
}

export function describeHolds(holds: readonly HoldEntry[]): string {
  return holds.map((hold) => `${hold.quantity} × ${hold.productId}`).join(', ');
}

export function describeAmount(money: { amount: number; currency: string }): string {
  return `${money.amount} ${money.currency}`;
}
