import { OrderStateConflictError } from '../../functions/core/domain/errors';
import { canTransition, type Order, type OrderStatus } from '../../functions/core/domain/order';
import type { OrderStore, WorkflowStarter } from '../../functions/core/domain/ports';
import { cancelOrder } from '../../functions/core/use-cases/order-lifecycle';
import { recoverOrders } from '../../functions/core/use-cases/recover-orders';

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
  paymentMethod: 'tok_visa',
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
      { orders: store, cancellations: workflow, events: { publish: async () => undefined } },
      order('ord_1', 'RESERVED'),
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
      cancelOrder(
        { orders: store, cancellations: workflow, events: { publish: async () => undefined } },
        order('ord_2', 'RESERVED'),
      ),
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
    const result = await recoverOrders({ findOrders, workflow, now: () => new Date('2024-06-01T11:00:00Z') }, 0);
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
    await recoverOrders({ findOrders, workflow }, 0);
    expect(events).toEqual(['find PENDING', 'find RESERVED', 'find AUTHORIZED', 'start ord_a']);
  });
});
