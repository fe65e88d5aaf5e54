import {
  allowedTransitions,
  canTransition,
  orderStatuses,
  statusesLeadingTo,
  terminalStatuses,
} from '../../functions/core/domain/order';

describe('order status machine', () => {
  it('follows the saga forward: PENDING → RESERVED → AUTHORIZED → CONFIRMED → FULFILLED', () => {
    expect(canTransition('PENDING', 'RESERVED')).toBe(true);
    expect(canTransition('RESERVED', 'AUTHORIZED')).toBe(true);
    expect(canTransition('AUTHORIZED', 'CONFIRMED')).toBe(true);
    expect(canTransition('CONFIRMED', 'FULFILLED')).toBe(true);
  });

  it('never moves backwards or skips the reservation', () => {
    expect(canTransition('AUTHORIZED', 'RESERVED')).toBe(false);
    expect(canTransition('PENDING', 'AUTHORIZED')).toBe(false);
    expect(canTransition('PENDING', 'CONFIRMED')).toBe(false);
  });

  it('lets nothing leave FAILED, CANCELLED or REFUNDED, and FULFILLED only towards a refund', () => {
    for (const status of ['FAILED', 'CANCELLED', 'REFUNDED'] as const) expect(allowedTransitions[status]).toEqual([]);
    expect([...allowedTransitions.FULFILLED].sort()).toEqual(['PARTIALLY_REFUNDED', 'REFUNDED']);
  });

  it('cannot fail a confirmed order (compensation stops at confirmation)', () => {
    expect(statusesLeadingTo('FAILED')).toEqual(['PENDING', 'RESERVED', 'AUTHORIZED', 'ACTION_REQUIRED', 'REVIEW']);
  });

  it('parks an order for a risk review once authorized, and continues it only towards AUTHORIZED', () => {
    expect(statusesLeadingTo('REVIEW')).toEqual(['RESERVED']);
    expect([...allowedTransitions.REVIEW].sort()).toEqual(['AUTHORIZED', 'CANCELLED', 'FAILED']);
    expect(canTransition('REVIEW', 'CONFIRMED')).toBe(false);
  });

  it("parks an order for the customer's authentication between reservation and authorization, and only there", () => {
    expect(statusesLeadingTo('ACTION_REQUIRED')).toEqual(['RESERVED']);
    expect([...allowedTransitions.ACTION_REQUIRED].sort()).toEqual(['AUTHORIZED', 'CANCELLED', 'FAILED']);
    expect(canTransition('ACTION_REQUIRED', 'CONFIRMED')).toBe(false);
  });

  it('has every non-terminal status lead somewhere terminal', () => {
    const reachesTerminal = (status: (typeof orderStatuses)[number], seen = new Set<string>()): boolean =>
      terminalStatuses.includes(status) ||
      allowedTransitions[status].some((next) => !seen.has(next) && reachesTerminal(next, new Set([...seen, status])));
    for (const status of orderStatuses) expect(reachesTerminal(status)).toBe(true);
  });
});
