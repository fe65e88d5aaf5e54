import type { Order, OrderStatus } from '../../functions/core/domain/order';
import type { OrderStore, TransitionChanges } from '../../functions/core/domain/ports';
import { metricNames } from '../../functions/core/observability/metric-names';
import { publishOrderCompletion, reportingCompletion } from '../../functions/core/observability/order-completion';

/** An in-memory store with truly private fields, as the DynamoDB store's methods depend on their own state. */
class MemoryOrderStore implements Pick<OrderStore, 'countRecentOrders' | 'create' | 'get' | 'transition'> {
  readonly #orders = new Map<string, Order>();
  #clock = Date.parse('2026-11-26T10:00:00.000Z');

  tick(ms: number): void {
    this.#clock += ms;
  }

  async countRecentOrders(): Promise<number> {
    return this.#orders.size;
  }

  async create(order: Order): Promise<boolean> {
    if (this.#orders.has(order.orderId)) return false;
    this.#orders.set(order.orderId, order);
    return true;
  }

  async get(orderId: string): Promise<Order | undefined> {
    return this.#orders.get(orderId);
  }

  async transition(order: Order, to: OrderStatus, changes: TransitionChanges = {}): Promise<Order> {
    const current = this.#orders.get(order.orderId)!;
    // A replay finds the order already where it wanted it: a no-op, as in the DynamoDB store.
    if (current.status === to) return current;
    const next: Order = {
      ...current,
      status: to,
      updatedAt: new Date(this.#clock).toISOString(),
      version: current.version + 1,
      ...(changes.failureReason ? { failureReason: changes.failureReason } : {}),
    };
    this.#orders.set(order.orderId, next);
    return next;
  }
}

function pendingOrder(orderId: string): Order {
  return {
    orderId,
    customerId: 'customer-1',
    status: 'AUTHORIZED',
    items: [],
    total: { amount: 1200, currency: 'EUR' },
    createdAt: '2026-11-26T10:00:00.000Z',
    updatedAt: '2026-11-26T10:00:00.000Z',
    version: 3,
  };
}

describe('reportingCompletion', () => {
  it('reports an order moved into a watched status once, with its time from placement', async () => {
    const memory = new MemoryOrderStore();
    const reported: [string, number][] = [];
    const store = reportingCompletion(memory, ['CONFIRMED'], (order) =>
      reported.push([order.status, Date.parse(order.updatedAt) - Date.parse(order.createdAt)]),
    );
    await store.create(pendingOrder('order-1'));
    memory.tick(1830);

    const confirmed = await store.transition((await store.get('order-1'))!, 'CONFIRMED');
    expect(confirmed.status).toBe('CONFIRMED');
    // The step runs again (at-least-once delivery): the order is already CONFIRMED, nothing more is reported.
    await store.transition((await store.get('order-1'))!, 'CONFIRMED');

    expect(reported).toEqual([['CONFIRMED', 1830]]);
  });

  it('ignores moves into statuses it does not watch and passes every other method through', async () => {
    const memory = new MemoryOrderStore();
    const reported: Order[] = [];
    const store = reportingCompletion(memory, ['FAILED'], (order) => reported.push(order));
    await store.create(pendingOrder('order-2'));

    await store.transition((await store.get('order-2'))!, 'CONFIRMED');
    expect(reported).toEqual([]);
    expect(await store.countRecentOrders()).toBe(1);
    // Methods that are not part of OrderStore stay reachable and keep their own state.
    store.tick(5);
    expect((await memory.get('order-2'))?.status).toBe('CONFIRMED');
  });
});

describe('publishOrderCompletion', () => {
  const written: string[] = [];
  let restore: () => void;
  beforeEach(() => {
    written.length = 0;
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    restore = () => spy.mockRestore();
  });
  afterEach(() => restore());

  const emitted = () =>
    written
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.includes(metricNames.orderCompletionLatency))
      .map((line) => JSON.parse(line) as Record<string, unknown> & { _aws: { CloudWatchMetrics: unknown[] } });

  it('publishes the milliseconds from placement to the end state as one EMF record', () => {
    publishOrderCompletion({ ...pendingOrder('order-3'), status: 'FAILED', updatedAt: '2026-11-26T10:00:04.250Z' });
    const records = emitted();
    expect(records).toHaveLength(1);
    expect(records[0]![metricNames.orderCompletionLatency]).toBe(4250);
    expect(JSON.stringify(records[0]!._aws.CloudWatchMetrics)).toContain('"Unit":"Milliseconds"');
  });

  it('publishes nothing for timestamps that cannot be compared', () => {
    publishOrderCompletion({ ...pendingOrder('order-4'), updatedAt: 'not a time' });
    publishOrderCompletion({ ...pendingOrder('order-5'), updatedAt: '2026-11-26T09:59:59.000Z' });
    expect(emitted()).toEqual([]);
  });

  it('publishes nothing for an order decided on a risk review (it waited for a person, by design)', () => {
    const decided = { decision: 'continue', at: '2026-11-26T13:00:00.000Z', by: 'admin:a1', review: {} } as const;
    publishOrderCompletion({
      ...pendingOrder('order-6'),
      status: 'CONFIRMED',
      updatedAt: decided.at,
      heldDecision: decided,
    });
    expect(emitted()).toEqual([]);
  });
});
