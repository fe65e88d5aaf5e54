import { OrderStateConflictError, PaymentAuthenticationPendingError } from '../../functions/core/domain/errors';
import type { HeldDecision, Order } from '../../functions/core/domain/order';
import type { OrderStore, PaymentState, TransitionChanges, WorkflowStarter } from '../../functions/core/domain/ports';
import { recoverOrders } from '../../functions/core/use-cases/jobs/recover-orders';
import { continueAfterAuthentication, decideHeldOrder } from '../../functions/core/use-cases/orders/held-orders';
import { decideReview } from '../../functions/core/use-cases/orders/review-orders';
import { resumeHeldOrder } from '../../functions/core/use-cases/saga/resume-held-order';

/**
 * Held orders with fakes: who may decide, what the provider's answer decides, that only the winner of the decision
 * starts the continuation, how the continuation's first step carries the decision out, and how recovery treats
 * orders past their authentication deadline.
 */
const now = new Date('2026-03-01T12:00:00.000Z');

const waiting = (overrides: Partial<Order> = {}): Order => ({
  orderId: 'ord_1',
  customerId: 'customer-1',
  status: 'ACTION_REQUIRED',
  items: [],
  total: { amount: 1000, currency: 'EUR' },
  createdAt: '2026-03-01T11:40:00.000Z',
  updatedAt: '2026-03-01T11:40:01.000Z',
  version: 3,
  paymentMethod: 'pm_card_authenticationRequired',
  paymentAction: {
    paymentIntentId: 'pi_1',
    clientSecret: 'pi_1_secret_abc',
    nextActionType: 'use_stripe_sdk',
    expiresAt: '2026-03-01T11:50:01.000Z',
  },
  ...overrides,
});

/** An order store keeping one order, whose `decideHeld` behaves as the conditional write does. */
function store(initial: Order) {
  let current = initial;
  const transitions: { to: string; changes: TransitionChanges }[] = [];
  const orders: Pick<OrderStore, 'get' | 'decideHeld' | 'transition'> = {
    get: async () => current,
    decideHeld: async (order: Order, decision: HeldDecision) => {
      if (current.status !== order.status || current.heldDecision) return undefined;
      current = {
        ...current,
        heldDecision: decision,
        version: current.version + 1,
        ...(decision.decision === 'abandon' ? { failure: { reason: decision.reason, at: decision.at } } : {}),
      };
      return current;
    },
    transition: async (order: Order, to: Order['status'], changes: TransitionChanges = {}) => {
      transitions.push({ to, changes });
      current = {
        ...order,
        status: to,
        ...(changes.paymentAuthorizationId ? { paymentAuthorizationId: changes.paymentAuthorizationId } : {}),
        ...(changes.paymentAction ? { paymentAction: changes.paymentAction } : {}),
      };
      return current;
    },
  };
  return { orders, transitions, current: () => current };
}

function starter() {
  const started: string[] = [];
  const continuations: WorkflowStarter = { start: async (name) => void started.push(name) };
  return { started, continuations };
}

const provider = (state: PaymentState) => {
  const reads: string[] = [];
  return { reads, payments: { paymentState: async (id: string) => (reads.push(id), state) } };
};

describe('continuing an order after its customer authenticated', () => {
  it.each([
    ['authorized', { decision: 'continue' }],
    ['declined', { decision: 'abandon', reason: 'PAYMENT_DECLINED' }],
    ['voided', { decision: 'abandon', reason: 'PAYMENT_DECLINED' }],
  ] as const)('decides from the provider: %s', async (state, expected) => {
    const { orders, current } = store(waiting());
    const { started, continuations } = starter();
    const { payments, reads } = provider(state);
    const result = await continueAfterAuthentication(
      { orders, continuations, payments, now: () => now },
      waiting(),
      'customer:c1',
      'corr-1',
    );
    expect(reads).toEqual(['pi_1']);
    expect(result.started).toBe(true);
    expect(started).toEqual(['ord_1-continue']);
    expect(current().heldDecision).toEqual({ ...expected, at: now.toISOString(), by: 'customer:c1' });
    expect(current().failure !== undefined).toBe(expected.decision === 'abandon');
  });

  it('refuses while the customer has not finished (409), changing nothing', async () => {
    const { orders, current } = store(waiting());
    const { started, continuations } = starter();
    await expect(
      continueAfterAuthentication({ orders, continuations, ...provider('action_required') }, waiting(), 'c', 'x'),
    ).rejects.toBeInstanceOf(PaymentAuthenticationPendingError);
    expect(started).toEqual([]);
    expect(current()).toEqual(waiting());
  });

  it('refuses an order that never waited for authentication', async () => {
    const confirmed = waiting({ status: 'CONFIRMED' });
    delete (confirmed as { paymentAction?: unknown }).paymentAction;
    const { orders } = store(confirmed);
    await expect(
      continueAfterAuthentication({ orders, ...starter(), ...provider('authorized') }, confirmed, 'c', 'x'),
    ).rejects.toBeInstanceOf(PaymentAuthenticationPendingError);
  });

  it('answers an order decided before with the order, without asking the provider again', async () => {
    const decided = waiting({ heldDecision: { decision: 'continue', at: now.toISOString(), by: 'payment-provider' } });
    const { orders } = store(decided);
    const { reads, payments } = provider('authorized');
    const { started, continuations } = starter();
    const result = await continueAfterAuthentication({ orders, continuations, payments }, decided, 'c', 'x');
    expect(result).toEqual({ order: decided, started: false });
    expect(reads).toEqual([]);
    expect(started).toEqual([]);
  });

  it('starts one continuation when two deciders race: the loser gets the order as the winner left it', async () => {
    const { orders } = store(waiting());
    const { started, continuations } = starter();
    const deps = { orders, continuations, now: () => now };
    const [first, second] = await Promise.all([
      decideHeldOrder(deps, waiting(), { decision: 'continue' }, 'customer:c1', 'a'),
      decideHeldOrder(deps, waiting(), { decision: 'continue' }, 'payment-provider', 'b'),
    ]);
    expect([first.started, second.started].sort()).toEqual([false, true]);
    expect(started).toEqual(['ord_1-continue']);
    expect(second.order.heldDecision).toEqual(first.order.heldDecision);
  });
});

describe('the continuation workflow’s first step', () => {
  it('moves a continued order to AUTHORIZED with the PaymentIntent, dropping the client secret', async () => {
    const decided = waiting({ heldDecision: { decision: 'continue', at: now.toISOString(), by: 'c' } });
    const { orders, transitions } = store(decided);
    expect(await resumeHeldOrder({ orders: orders as OrderStore }, 'ord_1')).toEqual({ decision: 'continue' });
    expect(transitions).toEqual([
      {
        to: 'AUTHORIZED',
        changes: expect.objectContaining({
          paymentAuthorizationId: 'pi_1',
          paymentAction: { paymentIntentId: 'pi_1', expiresAt: '2026-03-01T11:50:01.000Z' },
        }),
      },
    ]);
    // A replay finds it moved on and continues without another transition.
    expect(await resumeHeldOrder({ orders: orders as OrderStore }, 'ord_1')).toEqual({ decision: 'continue' });
  });

  it('hands an abandon on with its reason, and refuses an order without a decision', async () => {
    const abandoned = waiting({
      heldDecision: { decision: 'abandon', reason: 'PAYMENT_AUTHENTICATION_EXPIRED', at: now.toISOString(), by: 'r' },
    });
    expect(await resumeHeldOrder({ orders: store(abandoned).orders as OrderStore }, 'ord_1')).toEqual({
      decision: 'abandon',
      reason: 'PAYMENT_AUTHENTICATION_EXPIRED',
    });
    await expect(resumeHeldOrder({ orders: store(waiting()).orders as OrderStore }, 'ord_1')).rejects.toBeInstanceOf(
      OrderStateConflictError,
    );
  });

  it('refuses to continue an order cancelled meanwhile (the workflow compensates instead)', async () => {
    const cancelled = waiting({
      status: 'CANCELLED',
      heldDecision: { decision: 'continue', at: now.toISOString(), by: 'c' },
    });
    await expect(resumeHeldOrder({ orders: store(cancelled).orders as OrderStore }, 'ord_1')).rejects.toBeInstanceOf(
      OrderStateConflictError,
    );
  });
});

const inReview = (overrides: Partial<Order> = {}): Order => {
  // An authorized order parked for review: no payment action (no 3-D Secure), a deadline, the model's decision.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { paymentAction, ...order } = waiting();
  return {
    ...order,
    status: 'REVIEW',
    paymentAuthorizationId: 'pi_1',
    reviewDeadline: '2026-03-01T11:50:00.000Z',
    risk: {
      decision: 'review',
      source: 'model',
      modelVersion: 'risk-lr-1',
      score: 0.21,
      topFeatures: [{ feature: 'amountVsUsual', value: 1.2, contribution: 0.8 }],
      at: '2026-03-01T11:40:00.000Z',
    },
    ...overrides,
  };
};

describe('deciding an order in REVIEW', () => {
  const decide = (order: Order, verdict: 'approve' | 'reject', note?: string) => {
    const fakes = { ...store(order), ...starter() };
    const deps = { orders: fakes.orders, continuations: fakes.continuations, now: () => now };
    const run = (again: 'approve' | 'reject' = verdict) =>
      decideReview(deps, 'ord_1', again, { by: 'admin:a1', note, correlationId: 'corr-1' });
    return { ...fakes, run };
  };

  it.each([
    ['approve', { decision: 'continue' }],
    ['reject', { decision: 'abandon', reason: 'RISK_REJECTED' }],
  ] as const)(
    '%s: records who, when, the note and the model decision, and starts the continuation',
    async (verdict, held) => {
      const { run, started, current } = decide(inReview(), verdict, 'checked');
      await run();
      expect(started).toEqual(['ord_1-continue']);
      expect(current().heldDecision).toEqual({
        ...held,
        at: now.toISOString(),
        by: 'admin:a1',
        review: {
          note: 'checked',
          modelVersion: 'risk-lr-1',
          score: 0.21,
          topFeatures: [{ feature: 'amountVsUsual', value: 1.2, contribution: 0.8 }],
        },
      });
    },
  );

  it('answers the same verdict again without deciding twice, and the other verdict with a conflict', async () => {
    const { run, started, current } = decide(inReview(), 'approve');
    const first = await run();
    expect(await run()).toEqual(first);
    await expect(run('reject')).rejects.toBeInstanceOf(OrderStateConflictError);
    expect(started).toEqual(['ord_1-continue']);
    expect(current().heldDecision?.decision).toBe('continue');
  });

  it('refuses an order that is not waiting for review, or was decided other than by a review', async () => {
    await expect(decide(waiting(), 'approve').run()).rejects.toBeInstanceOf(OrderStateConflictError);
    const authenticated = waiting({ heldDecision: { decision: 'continue', at: now.toISOString(), by: 'customer:c' } });
    await expect(decide(authenticated, 'approve').run()).rejects.toBeInstanceOf(OrderStateConflictError);
    const confirmed = inReview({ status: 'CONFIRMED' });
    const { run, started } = decide(confirmed, 'reject');
    await expect(run()).rejects.toBeInstanceOf(OrderStateConflictError);
    expect(started).toEqual([]);
  });
});

describe('recovery of held orders', () => {
  function recovery(order: Order, state: PaymentState) {
    const { orders, current } = store(order);
    const { started, continuations } = starter();
    const { payments, reads } = provider(state);
    const queried: { status: string; before: string }[] = [];
    const none: WorkflowStarter = { start: async () => undefined };
    const deps = {
      findOrders: async (status: Order['status'], before: string) => {
        queried.push({ status, before });
        return status === current().status && current().createdAt <= before ? [current()] : [];
      },
      markFailing: async () => undefined,
      flagForAttention: async () => undefined,
      workflow: none,
      compensationWorkflow: none,
      compensations: { schedule: async () => undefined, complete: async () => true, due: async () => [] },
      held: { orders, continuations, payments, authenticationDeadlineSeconds: 600, reviewDeadlineSeconds: 3600 },
      now: () => now,
    };
    return { deps, started, reads, queried, current };
  }
  const options = { olderThanSeconds: 360, holdSeconds: 900 };

  it('abandons an order past its deadline with PAYMENT_AUTHENTICATION_EXPIRED, after asking the provider', async () => {
    const { deps, started, reads, queried, current } = recovery(waiting(), 'action_required');
    const result = await recoverOrders(deps, options);
    expect(result.authenticationExpired).toEqual(['ord_1']);
    expect(reads).toEqual(['pi_1']);
    expect(started).toEqual(['ord_1-continue']);
    expect(current().heldDecision).toMatchObject({ decision: 'abandon', reason: 'PAYMENT_AUTHENTICATION_EXPIRED' });
    // Orders created within both periods (the deadline, ten minutes; the recovery period, six) cannot be due.
    expect(queried.find(({ status }) => status === 'ACTION_REQUIRED')?.before).toBe('2026-03-01T11:54:00.000Z');
  });

  it('continues an order whose customer did finish (the webhook was lost)', async () => {
    const { deps, started, current } = recovery(waiting(), 'authorized');
    const result = await recoverOrders(deps, options);
    expect(result.continued).toEqual(['ord_1']);
    expect(started).toEqual(['ord_1-continue']);
    expect(current().heldDecision?.decision).toBe('continue');
  });

  it('leaves an order within its deadline alone', async () => {
    const young = waiting({
      createdAt: '2026-03-01T11:45:00.000Z',
      paymentAction: { paymentIntentId: 'pi_1', expiresAt: '2026-03-01T12:05:00.000Z' },
    });
    const { deps, started, reads } = recovery(young, 'action_required');
    expect(await recoverOrders(deps, { ...options, olderThanSeconds: 0 })).toMatchObject({
      authenticationExpired: [],
      continued: [],
    });
    expect(reads).toEqual([]);
    expect(started).toEqual([]);
  });

  it('rejects an order left in REVIEW past its deadline (RISK_REJECTED), recording the model decision', async () => {
    const { deps, started, reads, current } = recovery(inReview(), 'authorized');
    const result = await recoverOrders(deps, options);
    expect(result.reviewsExpired).toEqual(['ord_1']);
    expect(result.authenticationExpired).toEqual([]);
    expect(reads).toEqual([]);
    expect(started).toEqual(['ord_1-continue']);
    expect(current().heldDecision).toMatchObject({
      decision: 'abandon',
      reason: 'RISK_REJECTED',
      by: 'recover-orders',
      review: { note: 'review deadline passed', modelVersion: 'risk-lr-1', score: 0.21 },
    });
    expect(current().failure).toMatchObject({ reason: 'RISK_REJECTED' });
  });

  it('leaves an order in REVIEW within its deadline alone', async () => {
    const young = inReview({ reviewDeadline: '2026-03-01T12:30:00.000Z' });
    const { deps, started } = recovery(young, 'authorized');
    expect((await recoverOrders(deps, { ...options, olderThanSeconds: 0 })).reviewsExpired).toEqual([]);
    expect(started).toEqual([]);
  });

  it('starts the continuation again for an order decided long ago, without deciding twice', async () => {
    const stuck = waiting({ heldDecision: { decision: 'continue', at: '2026-03-01T11:45:00.000Z', by: 'c' } });
    const { deps, started, reads } = recovery(stuck, 'authorized');
    expect((await recoverOrders(deps, options)).continued).toEqual(['ord_1']);
    expect(started).toEqual([expect.stringMatching(/^ord_1-continue-recovery-\d+$/)]);
    expect(reads).toEqual([]);
  });
});
