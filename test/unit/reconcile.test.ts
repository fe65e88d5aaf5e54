import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reconciliationConfigFromEnv, stateMachineTimeLimits } from '../../functions/core/config/reconciliation-config';
import {
  checkInvariants,
  type HoldEntry,
  type InvariantPolicy,
  type OrderEntry,
  type ProductStockEntry,
  type ReconciliationSnapshot,
  type StockMovementEntry,
} from '../../functions/core/domain/invariants';
import type { PaymentRecord } from '../../functions/core/domain/ports';
import { reconcile } from '../../functions/core/use-cases/jobs/reconcile';
import { formatReport } from '../../local/commands/lib/reconciliation';
import { readRuntimeFile, removeRuntimeFile, writeRuntimeFile } from '../../local/runtime/runtime-file';
import type { LocalRuntime } from '../../local/runtime/local-runtime';

const now = Date.parse('2025-06-01T12:00:00.000Z');
const ago = (seconds: number) => new Date(now - seconds * 1000).toISOString();
const policy: InvariantPolicy = { sagaTimeLimitSeconds: 300, cancellationTimeLimitSeconds: 300, graceSeconds: 120 };
const hour = 3600;

interface World {
  products: ProductStockEntry[];
  movements: StockMovementEntry[];
  holds: HoldEntry[];
  orders: OrderEntry[];
  payments: PaymentRecord[];
}

function order(orderId: string, status: string, lines: [string, number][], ageSeconds = hour): OrderEntry {
  return {
    orderId,
    status,
    items: lines.map(([productId, quantity]) => ({ productId, quantity })),
    total: { amount: lines.reduce((sum, [, quantity]) => sum + quantity * 100, 0), currency: 'EUR' },
    createdAt: ago(ageSeconds),
    updatedAt: ago(Math.max(0, ageSeconds - 5)),
  };
}

function payment(id: string, reference: string, amount: number, status: PaymentRecord['status']): PaymentRecord {
  return { id, reference, amount, currency: 'EUR', status };
}

/**
 * A consistent world with an order in every situation the rules distinguish. Stock: A 12 stocked = 9 available +
 * 1 held + 2 sold; B 10 = 8 + 2 held; C 6 = 0 + 1 held (a cancellation in progress) + 5 sold.
 */
function cleanWorld(): World {
  return {
    products: [
      { productId: 'A', available: 9, sold: 2 },
      { productId: 'B', available: 8, sold: 0 },
      { productId: 'C', available: 0, sold: 5 },
    ],
    movements: [
      { productId: 'A', delta: 10 },
      { productId: 'A', delta: 2 },
      { productId: 'B', delta: 10 },
      { productId: 'C', delta: 8 },
      { productId: 'C', delta: -2 },
    ],
    holds: [
      { orderId: 'o-confirmed', productId: 'A', quantity: 1 },
      { orderId: 'o-reserved-young', productId: 'B', quantity: 2 },
      { orderId: 'o-cancelling', productId: 'C', quantity: 1 },
    ],
    orders: [
      { ...order('o-confirmed', 'CONFIRMED', [['A', 1]]), paymentAuthorizationId: 'p-confirmed' },
      order('o-reserved-young', 'RESERVED', [['B', 2]], 10),
      order('o-pending-young', 'PENDING', [['B', 1]], 5),
      { ...order('o-fulfilled', 'FULFILLED', [['A', 2]]), paymentAuthorizationId: 'p-fulfilled' },
      order('o-old-fulfilled', 'FULFILLED', [['C', 5]], 30 * 24 * hour),
      order('o-declined', 'FAILED', [['A', 1]]),
      order('o-timed-out', 'FAILED', [['A', 1]]),
      order('o-cancelled', 'CANCELLED', [['B', 3]]),
      order('o-refunded', 'CANCELLED', [['A', 1]]),
      { ...order('o-cancelling', 'CANCELLED', [['C', 1]]), updatedAt: ago(30) },
    ],
    payments: [
      payment('p-confirmed', 'o-confirmed', 100, 'authorized'),
      payment('p-reserved', 'o-reserved-young', 200, 'authorized'),
      payment('p-fulfilled', 'o-fulfilled', 200, 'captured'),
      payment('p-timed-out', 'o-timed-out', 100, 'voided'),
      payment('p-cancelled', 'o-cancelled', 300, 'voided'),
      payment('p-refunded', 'o-refunded', 100, 'refunded'),
      payment('p-cancelling', 'o-cancelling', 100, 'authorized'),
    ],
  };
}

function snapshotOf(world: World): ReconciliationSnapshot {
  return { ...world, takenAt: new Date(now).toISOString(), paymentsSince: ago(72 * hour) };
}

function check(change: (world: World) => void = () => {}, withPolicy = policy) {
  const world = cleanWorld();
  change(world);
  return checkInvariants(snapshotOf(world), withPolicy);
}

function findings(change: (world: World) => void) {
  return check(change).violations.map(({ invariant, rule, ids }) => ({ invariant, rule, ids }));
}

const productOf = (world: World, productId: string) => world.products.find((p) => p.productId === productId)!;
const orderIndex = (world: World, orderId: string) => world.orders.findIndex((o) => o.orderId === orderId);
const setOrder = (world: World, orderId: string, changes: Partial<OrderEntry>) => {
  const index = orderIndex(world, orderId);
  world.orders[index] = { ...world.orders[index]!, ...changes };
};
const setPayment = (world: World, id: string, status: PaymentRecord['status']) => {
  const index = world.payments.findIndex((p) => p.id === id);
  world.payments[index] = { ...world.payments[index]!, status };
};
/** A hold the shelf paid for: the product's books stay balanced, so only the hold rules can object. */
const holdTakenFromShelf = (world: World, orderId: string, productId: string, quantity: number) => {
  world.holds.push({ orderId, productId, quantity });
  const product = productOf(world, productId);
  world.products[world.products.indexOf(product)] = { ...product, available: product.available - quantity };
};

describe('checkInvariants on a consistent snapshot', () => {
  it('finds nothing and counts what it checked', () => {
    const report = check();
    expect(report.violations).toEqual([]);
    expect(report.attention).toEqual([]);
    expect(report.counts).toEqual({
      products: 3,
      movements: 5,
      holds: 3,
      orders: 10,
      ordersByStatus: { CONFIRMED: 1, RESERVED: 1, PENDING: 1, FULFILLED: 2, FAILED: 2, CANCELLED: 3 },
      payments: 7,
      attention: 0,
      violations: 0,
      violationsByInvariant: { 'stock-balance': 0, 'hold-status': 0, 'payment-status': 0, 'order-progress': 0 },
      oversoldUnits: 0,
    });
    expect(report.oversold).toEqual([]);
    expect(report.checkedAt).toBe('2025-06-01T12:00:00.000Z');
  });

  it('finds nothing in an empty system', () => {
    const empty = { products: [], movements: [], holds: [], orders: [], payments: [] };
    expect(checkInvariants(snapshotOf(empty), policy).violations).toEqual([]);
  });
});

describe('(1) stock-balance', () => {
  it('reports a product whose units do not add up to its stock movements', () => {
    const report = check((world) => {
      world.products[0] = { ...world.products[0]!, available: 10 };
    });
    expect(report.violations).toEqual([
      {
        invariant: 'stock-balance',
        rule: 'unbalanced',
        ids: ['A'],
        detail: 'stock movements add up to 12 but available 10 + held 1 + sold 2 = 13 (1 unit(s) too many)',
      },
    ]);
    expect(report.counts.violationsByInvariant['stock-balance']).toBe(1);
  });

  it('counts units held or sold beyond every unit stocked as sold twice, but not a surplus on the shelf', () => {
    // A surplus on the shelf is unbalanced, yet no order was promised a unit that does not exist.
    const surplus = check((world) => {
      world.products[0] = { ...world.products[0]!, available: 10 };
    });
    expect(surplus.oversold).toEqual([]);
    // A failover's late arrival: a hold (and a sale) the counters never saw, beyond the 12 units stocked.
    const twice = check((world) => {
      world.holds.push({ orderId: 'o-late', productId: 'A', quantity: 10 });
    });
    expect(twice.oversold).toEqual([{ productId: 'A', units: 1 }]);
    expect(twice.counts.oversoldUnits).toBe(1);
    expect(twice.violations.map((violation) => [violation.rule, violation.ids])).toContainEqual(['unbalanced', ['A']]);
  });

  it('reports units that vanished (a hold deleted without returning its stock)', () => {
    expect(
      findings((world) => {
        world.holds = world.holds.filter((hold) => hold.orderId !== 'o-cancelling');
      }),
    ).toEqual([{ invariant: 'stock-balance', rule: 'unbalanced', ids: ['C'] }]);
  });

  it('reports negative available and sold counts', () => {
    expect(
      findings((world) => {
        world.products[1] = { productId: 'B', available: -1, sold: 9 };
        world.products[2] = { productId: 'C', available: 6, sold: -1 };
      }),
    ).toEqual([
      { invariant: 'stock-balance', rule: 'negative-available', ids: ['B'] },
      { invariant: 'stock-balance', rule: 'negative-sold', ids: ['C'] },
    ]);
  });

  it('reports counts that are not numbers', () => {
    expect(
      findings((world) => {
        world.products[0] = { productId: 'A', available: Number(undefined), sold: 2 };
      }),
    ).toEqual([{ invariant: 'stock-balance', rule: 'not-a-count', ids: ['A'] }]);
  });

  it('reports stock movements of a product that does not exist', () => {
    expect(findings((world) => world.movements.push({ productId: 'Z', delta: 4 }))).toEqual([
      { invariant: 'stock-balance', rule: 'movements-without-product', ids: ['Z'] },
    ]);
  });

  it('reports a hold on a product that does not exist (and the holding order that did not order it)', () => {
    expect(findings((world) => world.holds.push({ orderId: 'o-confirmed', productId: 'Z', quantity: 1 }))).toEqual([
      { invariant: 'stock-balance', rule: 'hold-for-unknown-product', ids: ['Z', 'o-confirmed'] },
      { invariant: 'hold-status', rule: 'holds-do-not-match-lines', ids: ['o-confirmed', 'Z'] },
    ]);
  });
});

describe('(2) hold-status', () => {
  it.each(['FAILED', 'FULFILLED', 'PENDING'])('reports a %s order that still holds stock', (status) => {
    const orderId = { FAILED: 'o-declined', FULFILLED: 'o-fulfilled', PENDING: 'o-pending-young' }[status]!;
    const report = check((world) => holdTakenFromShelf(world, orderId, 'A', 1));
    expect(report.violations).toEqual([
      { invariant: 'hold-status', rule: 'hold-on-settled-order', ids: [orderId, 'A'], detail: expect.any(String) },
    ]);
    expect(report.violations[0]!.detail).toBe(`${status} order still holds 1 × A`);
  });

  it('gives a cancellation until its workflow deadline plus grace to return the stock', () => {
    const aged = (seconds: number) => findings((world) => setOrder(world, 'o-cancelling', { updatedAt: ago(seconds) }));
    expect(aged(300 + 119)).toEqual([]);
    // Past the deadline the cancellation workflow is over: the hold, and the live authorization, were left behind.
    expect(aged(300 + 120)).toEqual([
      { invariant: 'hold-status', rule: 'hold-on-settled-order', ids: ['o-cancelling', 'C'] },
      { invariant: 'payment-status', rule: 'unexpected-authorization', ids: ['o-cancelling', 'p-cancelling'] },
    ]);
  });

  it('reports holds of an order that does not exist', () => {
    expect(findings((world) => holdTakenFromShelf(world, 'o-ghost', 'B', 2))).toEqual([
      { invariant: 'hold-status', rule: 'hold-without-order', ids: ['o-ghost', 'B'] },
    ]);
  });

  it('reports a holding order whose hold was released behind its back (stock back on the shelf)', () => {
    const report = check((world) => {
      world.holds = world.holds.filter((hold) => hold.orderId !== 'o-confirmed');
      world.products[0] = { ...world.products[0]!, available: 10 };
    });
    expect(report.violations).toEqual([
      {
        invariant: 'hold-status',
        rule: 'holds-do-not-match-lines',
        ids: ['o-confirmed', 'A'],
        detail: "CONFIRMED order's holds differ from its lines (A: ordered 1, held 0)",
      },
    ]);
  });

  it('reports a hold of the wrong quantity', () => {
    expect(
      findings((world) => {
        world.holds = world.holds.map((hold) =>
          hold.orderId === 'o-reserved-young' ? { ...hold, quantity: 3 } : hold,
        );
        world.products[1] = { ...world.products[1]!, available: 7 };
      }),
    ).toEqual([{ invariant: 'hold-status', rule: 'holds-do-not-match-lines', ids: ['o-reserved-young', 'B'] }]);
  });
});

describe('(3) payment-status', () => {
  it('reports a live authorization on a failed order', () => {
    const report = check((world) => world.payments.push(payment('p-late', 'o-declined', 100, 'authorized')));
    expect(report.violations).toEqual([
      {
        invariant: 'payment-status',
        rule: 'unexpected-authorization',
        ids: ['o-declined', 'p-late'],
        detail: 'live authorization of 100 EUR on a FAILED order',
      },
    ]);
  });

  it('excuses an authorization while the saga may still be running, not after', () => {
    const aged = (seconds: number) =>
      findings((world) => {
        setOrder(world, 'o-reserved-young', { createdAt: ago(seconds), updatedAt: ago(seconds) });
      });
    expect(aged(419)).toEqual([]);
    expect(aged(420)).toEqual([
      { invariant: 'payment-status', rule: 'unexpected-authorization', ids: ['o-reserved-young', 'p-reserved'] },
      { invariant: 'order-progress', rule: 'stuck-order', ids: ['o-reserved-young'] },
    ]);
  });

  it('reports a capture on an order that is not fulfilled', () => {
    expect(findings((world) => setPayment(world, 'p-confirmed', 'captured'))).toEqual([
      { invariant: 'payment-status', rule: 'unexpected-capture', ids: ['o-confirmed', 'p-confirmed'] },
      { invariant: 'payment-status', rule: 'missing-authorization', ids: ['o-confirmed', 'p-confirmed'] },
    ]);
  });

  it('reports a payment for an order that does not exist, unless it was given back', () => {
    expect(findings((world) => world.payments.push(payment('p-orphan', 'o-ghost', 100, 'captured')))).toEqual([
      { invariant: 'payment-status', rule: 'payment-without-order', ids: ['o-ghost', 'p-orphan'] },
    ]);
    expect(findings((world) => world.payments.push(payment('p-orphan', 'o-ghost', 100, 'voided')))).toEqual([]);
  });

  it('reports a confirmed order whose authorization is gone', () => {
    const report = check((world) => setPayment(world, 'p-confirmed', 'voided'));
    expect(report.violations).toEqual([
      {
        invariant: 'payment-status',
        rule: 'missing-authorization',
        ids: ['o-confirmed', 'p-confirmed'],
        detail: 'CONFIRMED order has no authorized payment (payments: p-confirmed voided)',
      },
    ]);
  });

  it('reports a fulfilled order without a captured payment', () => {
    expect(findings((world) => setPayment(world, 'p-fulfilled', 'refunded'))).toEqual([
      { invariant: 'payment-status', rule: 'missing-capture', ids: ['o-fulfilled', 'p-fulfilled'] },
    ]);
  });

  it('judges absence only for orders created inside the payment listing window', () => {
    // o-old-fulfilled (30 days) has no payment in the 72-hour listing: that proves nothing.
    expect(findings(() => {})).toEqual([]);
    const confirmedWithoutPayment = (ageSeconds: number) =>
      findings((world) => {
        setOrder(world, 'o-confirmed', { createdAt: ago(ageSeconds) });
        world.payments = world.payments.filter((p) => p.id !== 'p-confirmed');
      });
    // Created within a minute of the window's start: its authorization may predate the listing (clock skew).
    expect(confirmedWithoutPayment(72 * hour - 30)).toEqual([]);
    expect(confirmedWithoutPayment(72 * hour - 120)).toEqual([
      { invariant: 'payment-status', rule: 'missing-authorization', ids: ['o-confirmed'] },
    ]);
  });

  it('reports two live payments for one order', () => {
    expect(findings((world) => world.payments.push(payment('p-twice', 'o-confirmed', 100, 'authorized')))).toEqual([
      { invariant: 'payment-status', rule: 'duplicate-payments', ids: ['o-confirmed', 'p-confirmed', 'p-twice'] },
    ]);
  });

  it("reports a payment that is not the order's total", () => {
    expect(
      findings((world) => {
        world.payments[0] = { ...world.payments[0]!, amount: 99 };
      }),
    ).toEqual([{ invariant: 'payment-status', rule: 'amount-mismatch', ids: ['o-confirmed', 'p-confirmed'] }]);
    expect(
      findings((world) => {
        world.payments[0] = { ...world.payments[0]!, currency: 'USD' };
      }),
    ).toEqual([{ invariant: 'payment-status', rule: 'amount-mismatch', ids: ['o-confirmed', 'p-confirmed'] }]);
  });

  it('reports an order that records another authorization than the one it has', () => {
    expect(findings((world) => setOrder(world, 'o-confirmed', { paymentAuthorizationId: 'p-other' }))).toEqual([
      { invariant: 'payment-status', rule: 'authorization-id-mismatch', ids: ['o-confirmed', 'p-other'] },
    ]);
  });

  it('lets a cancellation racing a fulfilment refund the capture within its window', () => {
    expect(findings((world) => setPayment(world, 'p-cancelling', 'captured'))).toEqual([]);
  });
});

describe('(4) order-progress', () => {
  it('reports an order that is not terminal past the saga time limit plus grace', () => {
    const report = check((world) => setOrder(world, 'o-pending-young', { createdAt: ago(420), updatedAt: ago(420) }));
    expect(report.violations).toEqual([
      {
        invariant: 'order-progress',
        rule: 'stuck-order',
        ids: ['o-pending-young'],
        detail: expect.stringContaining('PENDING since 2025-06-01T11:53:00.000Z'),
      },
    ]);
  });

  it("lets an order wait for its customer's authentication until its deadline, then a saga window more", () => {
    const waiting = (createdSecondsAgo: number, heldUntilSecondsAgo: number) =>
      findings((world) =>
        setOrder(world, 'o-pending-young', {
          status: 'ACTION_REQUIRED',
          createdAt: ago(createdSecondsAgo),
          updatedAt: ago(createdSecondsAgo),
          heldUntil: ago(heldUntilSecondsAgo),
        }),
      ).filter(({ invariant }) => invariant === 'order-progress');
    // Created 15 minutes ago, deadline passed 5 minutes ago: the recovery job's continuation may still be at it.
    expect(waiting(900, 300)).toEqual([]);
    expect(waiting(1200, 420)).toEqual([
      { invariant: 'order-progress', rule: 'stuck-order', ids: ['o-pending-young'] },
    ]);
  });

  it('counts an order waiting for its risk review as holding its stock and an authorized payment', () => {
    // The confirmed order's holds and authorization, parked in REVIEW instead: no finding, within its deadline.
    const inReview = (heldUntilSecondsAgo: number) =>
      findings((world) =>
        setOrder(world, 'o-confirmed', { status: 'REVIEW', createdAt: ago(3600), heldUntil: ago(heldUntilSecondsAgo) }),
      );
    expect(inReview(-3600)).toEqual([]);
    expect(inReview(1200)).toEqual([{ invariant: 'order-progress', rule: 'stuck-order', ids: ['o-confirmed'] }]);
  });

  it('takes the grace period from the policy', () => {
    const stuck = (graceSeconds: number) =>
      check((world) => setOrder(world, 'o-pending-young', { createdAt: ago(400) }), { ...policy, graceSeconds })
        .violations.length;
    expect(stuck(120)).toBe(0);
    expect(stuck(60)).toBe(1);
  });

  it('reports a status that is not an order status', () => {
    expect(findings((world) => setOrder(world, 'o-declined', { status: 'LOST' }))).toEqual([
      { invariant: 'order-progress', rule: 'unknown-status', ids: ['o-declined'] },
    ]);
  });

  it('treats a date it cannot read as old', () => {
    expect(findings((world) => setOrder(world, 'o-pending-young', { createdAt: 'yesterday' }))).toEqual([
      { invariant: 'order-progress', rule: 'stuck-order', ids: ['o-pending-young'] },
    ]);
  });
});

describe('orders flagged for attention', () => {
  it("lists them apart with their findings and counts none of those, but still checks the products' books", () => {
    const report = check((world) => {
      setOrder(world, 'o-reserved-young', {
        createdAt: ago(2 * hour),
        attention: 'compensation failed: VoidPayment (since 2025-06-01T10:05:00.000Z)',
      });
      // The product's books are everyone's: a discrepancy there stays a violation.
      world.products[1] = { ...world.products[1]!, available: 9 };
    });
    expect(report.violations.map((v) => [v.invariant, v.ids])).toEqual([['stock-balance', ['B']]]);
    expect(report.attention).toEqual([
      {
        orderId: 'o-reserved-young',
        status: 'RESERVED',
        attention: 'compensation failed: VoidPayment (since 2025-06-01T10:05:00.000Z)',
        findings: [
          expect.objectContaining({ invariant: 'payment-status', rule: 'unexpected-authorization' }),
          expect.objectContaining({ invariant: 'order-progress', rule: 'stuck-order' }),
        ],
      },
    ]);
    expect(report.counts.attention).toBe(1);
    expect(report.counts.violations).toBe(1);
  });

  it('lists a flagged order with nothing wrong, too', () => {
    const report = check((world) => setOrder(world, 'o-declined', { attention: 'flagged' }));
    expect(report.violations).toEqual([]);
    expect(report.attention).toEqual([{ orderId: 'o-declined', status: 'FAILED', attention: 'flagged', findings: [] }]);
  });
});

describe('reconcile (use case)', () => {
  const options = { policy, paymentLookbackHours: 72 };
  const source = (worlds: World[]) => {
    let call = 0;
    const loaded: string[] = [];
    return {
      loaded,
      snapshots: {
        load: async () => {
          loaded.push('table');
          const { payments: _payments, ...store } = worlds[Math.min(call++, worlds.length - 1)]!;
          return store;
        },
      },
      payments: {
        listPayments: async (since: string) => {
          loaded.push(`payments since ${since}`);
          return worlds[Math.min(call - 1, worlds.length - 1)]!.payments;
        },
      },
      now: () => new Date(now),
    };
  };

  it('reads the table, then the payments since the lookback window, and checks them', async () => {
    const deps = source([cleanWorld()]);
    const result = await reconcile(deps, { ...options, confirmDelayMs: 1000 });
    expect(result.violations).toEqual([]);
    expect(result.unconfirmed).toEqual([]);
    expect(result.paymentsSince).toBe('2025-05-29T12:00:00.000Z');
    // Clean at once: no second pass.
    expect(deps.loaded).toEqual(['table', 'payments since 2025-05-29T12:00:00.000Z']);
  });

  it('keeps only violations that a second pass confirms', async () => {
    const transient = cleanWorld();
    transient.products[0] = { ...transient.products[0]!, available: 8 };
    const persistent = (world: World) => world.payments.push(payment('p-late', 'o-declined', 100, 'authorized'));
    persistent(transient);
    const later = cleanWorld();
    persistent(later);
    const slept: number[] = [];
    const deps = { ...source([transient, later]), sleep: async (ms: number) => void slept.push(ms) };

    const result = await reconcile(deps, { ...options, confirmDelayMs: 1500 });
    expect(slept).toEqual([1500]);
    expect(result.violations.map((v) => v.rule)).toEqual(['unexpected-authorization']);
    expect(result.unconfirmed.map((v) => [v.rule, v.ids])).toEqual([['unbalanced', ['A']]]);
    expect(result.counts.violations).toBe(1);
    expect(result.counts.violationsByInvariant).toEqual({
      'stock-balance': 0,
      'hold-status': 0,
      'payment-status': 1,
      'order-progress': 0,
    });
  });

  it('reports everything from a single pass when confirmation is off', async () => {
    const broken = cleanWorld();
    broken.products[0] = { ...broken.products[0]!, available: 8 };
    const deps = source([broken, cleanWorld()]);
    const result = await reconcile(deps, options);
    expect(result.violations.map((v) => v.rule)).toEqual(['unbalanced']);
    expect(deps.loaded).toHaveLength(2);
  });
});

describe('reconciliation config', () => {
  it('takes the time limits from the state machines and defaults the rest', () => {
    expect(stateMachineTimeLimits).toEqual({ sagaSeconds: 300, cancellationSeconds: 300 });
    expect(reconciliationConfigFromEnv({})).toEqual({
      policy: { sagaTimeLimitSeconds: 300, cancellationTimeLimitSeconds: 300, graceSeconds: 120 },
      paymentLookbackHours: 72,
      scanSegments: 4,
      confirmDelayMs: 2000,
    });
  });

  it('reads the RECONCILE_* variables and refuses nonsense', () => {
    expect(
      reconciliationConfigFromEnv({
        RECONCILE_GRACE_SECONDS: '30',
        RECONCILE_PAYMENT_LOOKBACK_HOURS: '168',
        RECONCILE_SCAN_SEGMENTS: '16',
        RECONCILE_CONFIRM_DELAY_MS: '0',
      }),
    ).toMatchObject({ policy: { graceSeconds: 30 }, paymentLookbackHours: 168, scanSegments: 16, confirmDelayMs: 0 });
    expect(() => reconciliationConfigFromEnv({ RECONCILE_GRACE_SECONDS: 'soon' })).toThrow('RECONCILE_GRACE_SECONDS');
    expect(() => reconciliationConfigFromEnv({ RECONCILE_SCAN_SEGMENTS: '0' })).toThrow('RECONCILE_SCAN_SEGMENTS');
    expect(() => reconciliationConfigFromEnv({ RECONCILE_PAYMENT_LOOKBACK_HOURS: '0' })).toThrow(
      'RECONCILE_PAYMENT_LOOKBACK_HOURS',
    );
  });
});

describe('the printed report', () => {
  it('names each violation with its ids, the flagged orders and where the runbook is', () => {
    const report = check((world) => {
      world.products[0] = { ...world.products[0]!, available: 10 };
      setOrder(world, 'o-declined', { attention: 'compensation failed' });
    });
    const text = formatReport({ ...report, unconfirmed: [] });
    expect(text).toContain('1 violation(s):');
    expect(text).toContain('[stock-balance] unbalanced  A');
    expect(text).toContain('o-declined  FAILED  compensation failed');
    expect(text).toContain('docs/runbooks/reconciliation-violations.md');
    expect(formatReport({ ...check(), unconfirmed: [] })).toContain('No violations: every invariant holds.');
  });
});

describe('the runtime file of a running npm start', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'runtime-file-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('round-trips the endpoints and is removed by its writer', async () => {
    const path = join(directory, 'nested', 'runtime.json');
    const runtime = {
      apiUrl: 'http://127.0.0.1:3000',
      dynamoDbEndpoint: 'http://127.0.0.1:8000',
      tableName: 'orders-local',
      payments: { url: 'http://127.0.0.1:40001', apiKey: 'sk_test_local' },
      aws: { url: 'http://127.0.0.1:40002' },
      users: { userPoolId: 'us-east-1_LocalDevPool' },
      apiKeyRegistry: { url: 'http://127.0.0.1:40003' },
    } as unknown as LocalRuntime;
    await writeRuntimeFile(runtime, path);
    expect(await readRuntimeFile(path)).toMatchObject({
      apiUrl: 'http://127.0.0.1:3000',
      dynamoDbEndpoint: 'http://127.0.0.1:8000',
      tableName: 'orders-local',
      payments: { url: 'http://127.0.0.1:40001', apiKey: 'sk_test_local' },
      aws: {
        url: 'http://127.0.0.1:40002',
        userPoolId: 'us-east-1_LocalDevPool',
        eventBusName: expect.any(String),
        apiGatewayUrl: 'http://127.0.0.1:40003',
      },
      pid: process.pid,
    });
    await removeRuntimeFile(path);
    await expect(readRuntimeFile(path)).rejects.toThrow('start the system with npm start first');
  });

  it('tells to start the system when the file is missing, incomplete or left by a dead process', async () => {
    const path = join(directory, 'runtime.json');
    await expect(readRuntimeFile(path)).rejects.toThrow(/^start the system with npm start first/);
    await writeFile(path, '{"apiUrl": "http://127.0.0.1:3000"}');
    await expect(readRuntimeFile(path)).rejects.toThrow('start the system with npm start first');
    const deadPid = 2 ** 22 + 12345;
    await writeFile(
      path,
      JSON.stringify({
        apiUrl: 'a',
        dynamoDbEndpoint: 'b',
        tableName: 'c',
        payments: { url: 'd', apiKey: 'e' },
        pid: deadPid,
        startedAt: 'f',
      }),
    );
    await expect(readRuntimeFile(path)).rejects.toThrow(`names process ${deadPid}, which is not running`);
  });
});

describe('payments refunded after fulfilment', () => {
  it('accepts a partially refunded payment on a PARTIALLY_REFUNDED order and a refunded one on a REFUNDED order', () => {
    expect(
      findings((world) => {
        setOrder(world, 'o-fulfilled', { status: 'PARTIALLY_REFUNDED' });
        setPayment(world, 'p-fulfilled', 'partially_refunded');
      }),
    ).toEqual([]);
    expect(
      findings((world) => {
        setOrder(world, 'o-fulfilled', { status: 'REFUNDED' });
        setPayment(world, 'p-fulfilled', 'refunded');
      }),
    ).toEqual([]);
  });

  it('reports a refund the order does not record, and a recorded refund the provider does not show', () => {
    expect(findings((world) => setPayment(world, 'p-fulfilled', 'partially_refunded'))).toEqual([
      { invariant: 'payment-status', rule: 'unexpected-partial-refund', ids: ['o-fulfilled', 'p-fulfilled'] },
      { invariant: 'payment-status', rule: 'missing-capture', ids: ['o-fulfilled', 'p-fulfilled'] },
    ]);
    expect(findings((world) => setOrder(world, 'o-fulfilled', { status: 'REFUNDED' }))).toEqual([
      { invariant: 'payment-status', rule: 'unexpected-capture', ids: ['o-fulfilled', 'p-fulfilled'] },
      { invariant: 'payment-status', rule: 'missing-refund', ids: ['o-fulfilled', 'p-fulfilled'] },
    ]);
  });
});
