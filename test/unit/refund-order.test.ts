import { OrderNotRefundableError, ValidationError } from '../../functions/core/domain/errors';
import { canTransition, planRefund, type Order, type Refund } from '../../functions/core/domain/order';
import type { RefundRequest } from '../../functions/core/domain/ports';
import { refundIdempotencyKey, refundOrder } from '../../functions/core/use-cases/orders/refund-order';

const admin = { kind: 'admin', id: 'admin-sub' } as const;

function fulfilled(changes: Partial<Order> = {}): Order {
  return {
    orderId: 'order-1',
    customerId: 'alice',
    status: 'FULFILLED',
    items: [
      {
        productId: 'A',
        name: 'A',
        quantity: 2,
        unitPrice: { amount: 500, currency: 'EUR' },
        lineTotal: { amount: 1000, currency: 'EUR' },
      },
      {
        productId: 'B',
        name: 'B',
        quantity: 1,
        unitPrice: { amount: 1000, currency: 'EUR' },
        lineTotal: { amount: 1000, currency: 'EUR' },
      },
    ],
    total: { amount: 2000, currency: 'EUR' },
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    version: 4,
    paymentAuthorizationId: 'pi_1',
    ...changes,
  };
}

const earlier: Refund = {
  refundId: 're_0',
  amount: 500,
  reason: 'broken',
  at: '2026-01-02T00:00:00.000Z',
  actor: admin,
  restocked: [{ productId: 'A', quantity: 1 }],
};

describe('planRefund', () => {
  it('moves a fulfilled order to PARTIALLY_REFUNDED, then to REFUNDED once nothing is left', () => {
    expect(planRefund(fulfilled(), 500)).toEqual({ to: 'PARTIALLY_REFUNDED', refundedAmount: 500 });
    expect(planRefund(fulfilled(), 2000)).toEqual({ to: 'REFUNDED', refundedAmount: 2000 });
    const partly = fulfilled({ status: 'PARTIALLY_REFUNDED', refunds: [earlier], refundedAmount: 500 });
    expect(planRefund(partly, 1000)).toEqual({ to: 'PARTIALLY_REFUNDED', refundedAmount: 1500 });
    expect(planRefund(partly, 1500)).toEqual({ to: 'REFUNDED', refundedAmount: 2000 });
  });

  it.each(['PENDING', 'CONFIRMED', 'CANCELLED', 'FAILED', 'REFUNDED'] as const)('refuses a %s order', (status) => {
    expect(() => planRefund(fulfilled({ status }), 1)).toThrow(OrderNotRefundableError);
  });

  it('refuses more than is left, and amounts that are not positive integers', () => {
    expect(() => planRefund(fulfilled(), 2001)).toThrow(OrderNotRefundableError);
    const partly = fulfilled({ status: 'PARTIALLY_REFUNDED', refunds: [earlier], refundedAmount: 500 });
    expect(() => planRefund(partly, 1501)).toThrow(OrderNotRefundableError);
    expect(() => planRefund(fulfilled(), 0)).toThrow(ValidationError);
    expect(() => planRefund(fulfilled(), 1.5)).toThrow(ValidationError);
  });

  it('restocks never more than the order sold, counting earlier restocks, nor products not on it', () => {
    expect(() => planRefund(fulfilled(), 100, [{ productId: 'A', quantity: 2 }])).not.toThrow();
    expect(() => planRefund(fulfilled(), 100, [{ productId: 'A', quantity: 3 }])).toThrow(OrderNotRefundableError);
    const partly = fulfilled({ status: 'PARTIALLY_REFUNDED', refunds: [earlier], refundedAmount: 500 });
    expect(() => planRefund(partly, 100, [{ productId: 'A', quantity: 2 }])).toThrow(OrderNotRefundableError);
    expect(() =>
      planRefund(fulfilled(), 100, [
        { productId: 'B', quantity: 1 },
        { productId: 'B', quantity: 1 },
      ]),
    ).toThrow(OrderNotRefundableError);
    expect(() => planRefund(fulfilled(), 100, [{ productId: 'Z', quantity: 1 }])).toThrow(ValidationError);
  });

  it('allows the refund transitions only', () => {
    expect(canTransition('FULFILLED', 'PARTIALLY_REFUNDED')).toBe(true);
    expect(canTransition('FULFILLED', 'REFUNDED')).toBe(true);
    expect(canTransition('PARTIALLY_REFUNDED', 'PARTIALLY_REFUNDED')).toBe(true);
    expect(canTransition('PARTIALLY_REFUNDED', 'REFUNDED')).toBe(true);
    expect(canTransition('REFUNDED', 'PARTIALLY_REFUNDED')).toBe(false);
    expect(canTransition('CONFIRMED', 'REFUNDED')).toBe(false);
    expect(canTransition('PARTIALLY_REFUNDED', 'CANCELLED')).toBe(false);
  });
});

describe('refundOrder', () => {
  function world(order: Order) {
    const refunds: RefundRequest[] = [];
    const recorded: Refund[] = [];
    const movements: { productId: string; delta: number; reason: string; actor: string }[] = [];
    const published: unknown[] = [];
    let current = order;
    const deps = {
      orders: {
        get: async () => current,
        recordRefund: async (read: Order, refund: Refund, to: Order['status'], event: (refunded: Order) => unknown) => {
          recorded.push(refund);
          current = {
            ...read,
            status: to,
            version: read.version + 1,
            refunds: [...(read.refunds ?? []), refund],
            refundedAmount: (read.refundedAmount ?? 0) + refund.amount,
          };
          // The store writes the event with the refund (the outbox).
          published.push(event(current));
          return current;
        },
      },
      catalog: {
        adjustStock: async (productId: string, delta: number, reason: string, actor: string) => {
          movements.push({ productId, delta, reason, actor });
          return undefined as never;
        },
      },
      payments: {
        refund: async (request: RefundRequest) => (refunds.push(request), { refundId: `re_${refunds.length}` }),
      },
    };
    return { deps: deps as unknown as Parameters<typeof refundOrder>[0], refunds, recorded, movements, published };
  }

  it('refunds through the provider, records it with order.refunded, restocks exactly the given lines', async () => {
    const w = world(fulfilled());
    const result = await refundOrder(
      w.deps,
      'order-1',
      { amount: 700, reason: 'returned', actor: admin, restock: [{ productId: 'A', quantity: 1 }], requestKey: 'k1' },
      'corr-1',
    );
    expect(result).toMatchObject({ status: 'PARTIALLY_REFUNDED', refundedAmount: 700 });
    expect(w.refunds).toEqual([
      {
        reference: 'order-1',
        authorizationId: 'pi_1',
        amount: { amount: 700, currency: 'EUR' },
        idempotencyKey: refundIdempotencyKey(fulfilled(), 'k1'),
        correlationId: 'corr-1',
      },
    ]);
    expect(w.movements).toEqual([
      { productId: 'A', delta: 1, reason: expect.stringContaining('returned'), actor: 'admin-sub' },
    ]);
    expect(w.published).toEqual([
      expect.objectContaining({
        id: 'order-1:order.refunded:re_1',
        type: 'order.refunded',
        data: expect.objectContaining({
          refund: expect.objectContaining({ amount: 700, refundedAmount: 700, restocked: true }),
        }),
      }),
    ]);
  });

  it('leaves stock alone without restock, and changes nothing when refused', async () => {
    const w = world(fulfilled());
    await refundOrder(w.deps, 'order-1', { amount: 2000, reason: 'goodwill', actor: admin });
    expect(w.movements).toEqual([]);
    await expect(refundOrder(w.deps, 'order-1', { amount: 1, reason: 'again', actor: admin })).rejects.toThrow(
      OrderNotRefundableError,
    );
    expect(w.refunds).toHaveLength(1);
    expect(w.recorded).toHaveLength(1);
  });

  it('derives distinct provider keys per request key, and per refund number without one', () => {
    const order = fulfilled();
    expect(refundIdempotencyKey(order, 'a')).toBe(refundIdempotencyKey(order, 'a'));
    expect(refundIdempotencyKey(order, 'a')).not.toBe(refundIdempotencyKey(order, 'b'));
    expect(refundIdempotencyKey(order, undefined)).toBe('order-1:refund:n-1');
    expect(refundIdempotencyKey({ ...order, refunds: [earlier] }, undefined)).toBe('order-1:refund:n-2');
    expect(refundIdempotencyKey(order, 'x'.repeat(255)).length).toBeLessThan(255);
  });
});
