import { adminHistoryView, ownerHistoryView } from '../../functions/api/order-view';
import { ValidationError } from '../../functions/core/domain/errors';
import { transitionEvent } from '../../functions/core/domain/events';
import type { Order, OrderStatus } from '../../functions/core/domain/order';
import type { OrderHistoryEntry, OrderStore, TransitionChanges } from '../../functions/core/domain/ports';
import { actorOf, type Caller } from '../../functions/core/http/caller';
import { cancelOrder } from '../../functions/core/use-cases/orders/cancel-order';
import { searchOrders } from '../../functions/core/use-cases/orders/search-orders';

const order = (status: OrderStatus): Order => ({
  orderId: 'ord_1',
  customerId: 'customer-1',
  status,
  items: [],
  total: { amount: 1000, currency: 'EUR' },
  createdAt: '2024-06-01T10:00:00.000Z',
  updatedAt: '2024-06-01T10:00:00.000Z',
  version: 4,
  paymentMethod: 'pm_card_visa',
});

describe('searchOrders', () => {
  const store = () => {
    const calls: unknown[][] = [];
    const orders = {
      listForCustomer: async (...args: unknown[]) => (calls.push(['customer', ...args]), { orders: [] }),
      listByStatus: async (...args: unknown[]) => (calls.push(['status', ...args]), { orders: [] }),
    } as unknown as Pick<OrderStore, 'listByStatus' | 'listForCustomer'>;
    return { calls, orders };
  };

  it("reads the customer's partition, filtered by status and bounded by canonical dates when given", async () => {
    const { calls, orders } = store();
    await searchOrders(orders, {
      customerId: 'partner:abc',
      status: 'CANCELLED',
      from: '2024-06-01T00:00:00Z',
      limit: 10,
      cursor: 'c',
    });
    expect(calls).toEqual([
      ['customer', 'partner:abc', { limit: 10, cursor: 'c', status: 'CANCELLED', from: '2024-06-01T00:00:00.000Z' }],
    ]);
  });

  it('lists by status when no customer is given', async () => {
    const { calls, orders } = store();
    await searchOrders(orders, { status: 'CONFIRMED' });
    expect(calls).toEqual([['status', 'CONFIRMED', { limit: 50 }]]);
  });

  it('refuses a search with neither, naming `status`, and an inverted date range, reading nothing', async () => {
    const { calls, orders } = store();
    const neither = searchOrders(orders, { limit: 5 });
    await expect(neither).rejects.toBeInstanceOf(ValidationError);
    await expect(neither).rejects.toMatchObject({ issues: [{ path: 'status' }] });
    await expect(
      searchOrders(orders, { customerId: 'c', from: '2024-06-02T00:00:00Z', to: '2024-06-01T00:00:00Z' }),
    ).rejects.toMatchObject({ issues: [{ path: 'from' }] });
    expect(calls).toEqual([]);
  });
});

describe('cancelOrder with an actor', () => {
  const admin = { kind: 'admin', id: 'admin-sub' } as const;

  function fakes(current: Order, history: OrderHistoryEntry[] = []) {
    const transitions: TransitionChanges[] = [];
    const deps = {
      orders: {
        get: async () => current,
        history: async () => history,
        transition: async (from: Order, to: OrderStatus, changes: TransitionChanges = {}) => {
          transitions.push(changes);
          return { ...from, status: to, version: from.version + 1 };
        },
      } as unknown as OrderStore,
      cancellations: { start: async () => undefined },
      compensationDeadlineSeconds: 360,
    };
    return { deps, transitions };
  }

  it("records the admin and the reason in the history entry and the event, and defaults an owner's reason", async () => {
    const { deps, transitions } = fakes(order('CONFIRMED'));
    await cancelOrder(deps, order('CONFIRMED'), { actor: admin, reason: 'ticket 12' }, 'corr-cancel');
    expect(transitions[0]).toMatchObject({ actor: admin, reason: 'ticket 12', correlationId: 'corr-cancel' });
    // The store writes the transition's event from these changes (the outbox).
    const cancelled = { ...order('CONFIRMED'), status: 'CANCELLED' as const, version: 2 };
    expect(transitionEvent(cancelled, transitions[0]!)).toMatchObject({
      id: `${cancelled.orderId}:order.cancelled`,
      type: 'order.cancelled',
      correlationId: 'corr-cancel',
      data: { cancellation: { actor: admin, reason: 'ticket 12' } },
    });

    const owner = fakes(order('RESERVED'));
    await cancelOrder(owner.deps, order('RESERVED'), { actor: { kind: 'partner', id: 'client-1' } });
    expect(owner.transitions[0]).toMatchObject({ reason: 'cancelled by the partner' });
  });

  it('answers an already cancelled order as it is: no second transition, so no second event', async () => {
    const { deps, transitions } = fakes(order('CANCELLED'));
    const answered = await cancelOrder(deps, order('CANCELLED'), { actor: admin, reason: 'duplicate ticket' });
    expect(answered.status).toBe('CANCELLED');
    expect(transitions).toEqual([]);
  });
});

describe('history views', () => {
  const byAdmin: OrderHistoryEntry = {
    status: 'CANCELLED',
    at: '2024-06-01T10:01:00.000Z',
    reason: 'fraud check failed, see ticket 9',
    actor: { kind: 'admin', id: 'admin-sub' },
  };

  it("shows the owner that support changed the order, without the admin's id or note", () => {
    expect(ownerHistoryView(byAdmin)).toEqual({ status: 'CANCELLED', at: byAdmin.at, reason: 'cancelled by support' });
    expect(
      ownerHistoryView({ ...byAdmin, actor: { kind: 'customer', id: 'c' }, reason: 'cancelled by the customer' }),
    ).toEqual({ status: 'CANCELLED', at: byAdmin.at, reason: 'cancelled by the customer' });
  });

  it('shows admins every entry whole', () => {
    expect(adminHistoryView(byAdmin)).toEqual(byAdmin);
    expect(adminHistoryView({ status: 'RESERVED', at: byAdmin.at })).toEqual({ status: 'RESERVED', at: byAdmin.at });
  });
});

describe('actorOf', () => {
  const caller = (kind: Caller['kind']): Caller => ({
    principalId: 'principal-1',
    kind,
    groups: [],
    scopes: [],
    customerId: kind === 'partner' ? 'partner:principal-1' : 'principal-1',
  });

  it('names the authenticated principal, as owner or admin', () => {
    expect(actorOf(caller('user'), 'owner')).toEqual({ kind: 'customer', id: 'principal-1' });
    expect(actorOf(caller('partner'), 'owner')).toEqual({ kind: 'partner', id: 'principal-1' });
    expect(actorOf(caller('user'), 'admin')).toEqual({ kind: 'admin', id: 'principal-1' });
  });
});
