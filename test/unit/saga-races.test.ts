import { OrderStateConflictError } from '../../functions/core/domain/errors';
import { canTransition, type Order, type OrderStatus } from '../../functions/core/domain/order';
import type {
  CompensationSchedule,
  OrderStore,
  PendingCompensation,
  WorkflowStarter,
} from '../../functions/core/domain/ports';
import { cancelOrder } from '../../functions/core/use-cases/orders/cancel-order';
import { recoverOrders, type RecoveryDependencies } from '../../functions/core/use-cases/jobs/recover-orders';

/**
 * Races the reliability tests (test/integration/reliability) found, pinned down with fakes: a customer's cancellation
 * losing a transition race to the saga, and order recovery meeting an order that moves between its queries.
 */

const order = (orderId: string, status: OrderStatus, version = 1): Order => ({
  orderId,
  customerId: 'customer-1',
  status,
  items: [],
  total: { amount: 1000, currency: 'EUR' },
  createdAt: '2024-06-01T10:00:00.000Z',
  updatedAt: '2024-06-01T10:00:00.000Z',
  version,
  paymentMethod: 'pm_card_visa',
});

/** An order store holding one order, whose conditional transition fails when the order is no longer as read. */
function storeWith(initial: Order, beforeTransition: (stored: { current: Order }) => void = () => undefined) {
  const stored = { current: initial };
  const store: Pick<OrderStore, 'get' | 'transition'> = {
    get: async () => stored.current,
    transition: async (from, to) => {
      beforeTransition(stored);
      if (from.status === to) return from;
      if (stored.current.version !== from.version || !canTransition(from.status, to)) {
        if (stored.current.status === to) return stored.current;
        throw new OrderStateConflictError(`order is ${stored.current.status}, cannot become ${to}`);
      }
      stored.current = { ...stored.current, status: to, version: from.version + 1 };
      return stored.current;
    },
  };
  return { stored, store: store as OrderStore };
}

const starter = () => {
  const started: string[] = [];
  const workflow: WorkflowStarter = {
    start: async (name: string) => {
      started.push(name);
    },
  } as WorkflowStarter;
  return { started, workflow };
};

const cancelDeps = { events: { publish: async () => undefined }, compensationDeadlineSeconds: 360 };
const owner = { actor: { kind: 'customer', id: 'cus_1' } } as const;

/** A compensation schedule in memory, with the adapter's settle rule. */
function scheduleWith(entries: PendingCompensation[], now: () => Date) {
  const pending = new Map(entries.map((entry) => [entry.orderId, entry]));
  const schedule: CompensationSchedule = {
    schedule: async (orderId, timing) => void pending.set(orderId, { orderId, ...timing }),
    complete: async (orderId) => {
      const entry = pending.get(orderId);
      if (entry && entry.settledAfter > now().toISOString()) return false;
      pending.delete(orderId);
      return true;
    },
    due: async (limit) =>
      [...pending.values()].filter((entry) => entry.checkAfter <= now().toISOString()).slice(0, limit),
  };
  return { pending, schedule };
}

const recoveryDeps = (
  overrides: Partial<RecoveryDependencies> & Pick<RecoveryDependencies, 'findOrders' | 'workflow'>,
) => {
  const marked: string[] = [];
  const deps: RecoveryDependencies = {
    markFailing: async (orderId) => {
      marked.push(orderId);
      return undefined;
    },
    flagForAttention: async () => undefined,
    compensationWorkflow: starter().workflow,
    compensations: scheduleWith([], () => new Date()).schedule,
    ...overrides,
  };
  return { deps, marked };
};
const noExpiry = { olderThanSeconds: 0, holdSeconds: 365 * 86_400 };

describe('cancelling while the saga moves the order', () => {
  it('cancels the order as it is now when a saga step won the race', async () => {
    let raced = false;
    // The saga authorizes the order between the customer's read and the cancellation's conditional write.
    const { stored, store } = storeWith(order('ord_1', 'RESERVED'), (state) => {
      if (raced) return;
      raced = true;
      state.current = { ...state.current, status: 'AUTHORIZED', version: 2 };
    });
    const { started, workflow } = starter();
    const cancelled = await cancelOrder(
      { ...cancelDeps, orders: store, cancellations: workflow },
      order('ord_1', 'RESERVED'),
      owner,
    );
    expect(cancelled.status).toBe('CANCELLED');
    expect(stored.current.status).toBe('CANCELLED');
    expect(started).toEqual(['ord_1-cancel']);
  });

  it('refuses as not cancellable when the saga failed the order first', async () => {
    const { store } = storeWith(order('ord_2', 'RESERVED'), (state) => {
      state.current = { ...state.current, status: 'FAILED', version: 3 };
    });
    const { started, workflow } = starter();
    await expect(
      cancelOrder({ ...cancelDeps, orders: store, cancellations: workflow }, order('ord_2', 'RESERVED'), owner),
    ).rejects.toMatchObject({ name: 'OrderNotCancellableError' });
    expect(started).toEqual([]);
  });
});

describe('order recovery', () => {
  it('restarts an order once even when it moves to the next status between the queries', async () => {
    const moving = order('ord_moving', 'PENDING');
    const { started, workflow } = starter();
    // The order is PENDING when the first status is read and RESERVED (a saga moved it) when the second is.
    const findOrders = async (status: OrderStatus) =>
      status === 'PENDING'
        ? [moving]
        : status === 'RESERVED'
          ? [{ ...moving, status }, order('ord_other', status)]
          : [];
    const { deps } = recoveryDeps({ findOrders, workflow, now: () => new Date('2024-06-01T11:00:00Z') });
    const result = await recoverOrders(deps, noExpiry);
    expect(result.restarted).toEqual(['ord_moving', 'ord_other']);
    expect(started.map((name) => name.replace(/-recovery-\d+$/, ''))).toEqual(['ord_moving', 'ord_other']);
  });

  it('reads every status before starting any saga', async () => {
    const events: string[] = [];
    const workflow = {
      start: async (name: string) => {
        events.push(`start ${name.replace(/-recovery-\d+$/, '')}`);
      },
    } as WorkflowStarter;
    const findOrders = async (status: OrderStatus) => {
      events.push(`find ${status}`);
      return status === 'PENDING' ? [order('ord_a', status)] : [];
    };
    await recoverOrders(recoveryDeps({ findOrders, workflow }).deps, noExpiry);
    expect(events).toEqual(['find PENDING', 'find RESERVED', 'find AUTHORIZED', 'start ord_a']);
  });
});

describe('recovery of expired holds and pending compensations', () => {
  const now = () => new Date('2024-06-01T11:00:00Z');

  it('fails an in-flight order whose holds expired before resuming its saga, and resumes a younger one as it is', async () => {
    const old = order('ord_old', 'RESERVED');
    const young = { ...order('ord_young', 'RESERVED'), createdAt: '2024-06-01T10:55:00.000Z' };
    const { started, workflow } = starter();
    const findOrders = async (status: OrderStatus) => (status === 'RESERVED' ? [old, young] : []);
    const { deps, marked } = recoveryDeps({ findOrders, workflow, now });
    const result = await recoverOrders(deps, { olderThanSeconds: 0, holdSeconds: 15 * 60 });
    expect(marked).toEqual(['ord_old']);
    expect(result.expired).toEqual(['ord_old']);
    expect(result.restarted).toEqual(['ord_old', 'ord_young']);
    expect(started).toHaveLength(2);
  });

  it('reruns due compensations once per deadline and leaves the others', async () => {
    const { pending, schedule } = scheduleWith(
      [
        { orderId: 'ord_due', checkAfter: '2024-06-01T10:59:00.000Z', settledAfter: '2024-06-01T10:59:00.000Z' },
        { orderId: 'ord_later', checkAfter: '2024-06-01T11:05:00.000Z', settledAfter: '2024-06-01T10:50:00.000Z' },
      ],
      now,
    );
    const compensation = starter();
    const { deps } = recoveryDeps({
      findOrders: async () => [],
      workflow: starter().workflow,
      compensationWorkflow: compensation.workflow,
      compensations: schedule,
      now,
    });
    const first = await recoverOrders(deps, { olderThanSeconds: 360, holdSeconds: 900 });
    expect(first.compensated).toEqual(['ord_due']);
    expect(compensation.started.map((name) => name.replace(/-compensation-\d+$/, ''))).toEqual(['ord_due']);
    // Pushed back by the deadline: a second run right away does not start it again.
    expect(pending.get('ord_due')?.checkAfter).toBe('2024-06-01T11:06:00.000Z');
    const second = await recoverOrders(deps, { olderThanSeconds: 360, holdSeconds: 900 });
    expect(second.compensated).toEqual([]);
  });
});
