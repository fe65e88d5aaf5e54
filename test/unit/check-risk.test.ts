import type { Order, RiskRecord } from '../../functions/core/domain/order';
import type { OrderStore } from '../../functions/core/domain/ports';
import { RiskRejectedError } from '../../functions/core/domain/errors';
import { bundledRiskModel } from '../../functions/core/risk/risk-decision';
import { checkRisk } from '../../functions/core/use-cases/saga/check-risk';

const address = { name: 'Ada', line1: '1 High Street', city: 'London', postalCode: 'SW1A 1AA', country: 'GB' };
const limits = { maxOrderAmount: { '*': 1_000_000 }, maxOrdersPerHour: { customer: 1000, partner: 1000 } };

function order(id: string, createdAt: string, amount: number, overrides: Partial<Order> = {}): Order {
  return {
    orderId: id,
    customerId: 'customer-1',
    status: 'CONFIRMED',
    items: [],
    total: { amount, currency: 'EUR' },
    createdAt,
    updatedAt: createdAt,
    version: 1,
    shippingAddress: address,
    paymentMethod: 'pm_card_visa',
    ...overrides,
  };
}

/** The few store methods CheckRisk calls, over a list of orders (unit test: the DynamoDB store is tested offline). */
function storeWith(orders: Order[]) {
  const recorded: { orderId: string; risk: RiskRecord }[] = [];
  const store = {
    get: async (orderId: string) => orders.find((candidate) => candidate.orderId === orderId),
    countRecentOrders: async (current: Order, since: string) =>
      orders.filter((o) => o.orderId !== current.orderId && o.createdAt >= since && o.createdAt <= current.createdAt)
        .length,
    earlierOrders: async (current: Order, limit: number) =>
      orders
        .filter((o) => o.orderId !== current.orderId && o.createdAt <= current.createdAt)
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
        .slice(0, limit),
    recordRisk: async (orderId: string, risk: RiskRecord) => {
      recorded.push({ orderId, risk });
      return true;
    },
  } as unknown as OrderStore;
  return { store, recorded };
}

const now = '2026-12-03T10:00:00.000Z';
const minutesBefore = (minutes: number) => new Date(Date.parse(now) - minutes * 60_000).toISOString();
const daysBefore = (days: number) => minutesBefore(days * 24 * 60);

describe('checkRisk with the fraud model', () => {
  const model = bundledRiskModel();

  it("approves a regular customer's usual order and records the model's explanation", async () => {
    const history = [40, 30, 20, 10].map((days, index) => order(`old-${index}`, daysBefore(days), 5000));
    const { store, recorded } = storeWith([...history, order('new', now, 5500, { status: 'PENDING' })]);
    const result = await checkRisk({ orders: store, limits, model }, 'new');
    expect(result).toMatchObject({ approved: true, riskDecision: 'approve', source: 'model' });
    expect(recorded).toEqual([
      {
        orderId: 'new',
        risk: expect.objectContaining({ decision: 'approve', source: 'model', modelVersion: model.version }),
      },
    ]);
  });

  it('rejects a burst of large orders to a new address, recording the decision before failing', async () => {
    const burst = [3, 2, 1].map((minutes, index) =>
      order(`burst-${index}`, minutesBefore(minutes), 90_000, { paymentMethod: `pm_${index}` }),
    );
    const pending = order('new', now, 95_000, {
      status: 'PENDING',
      paymentMethod: 'pm_other',
      shippingAddress: { ...address, line1: '9 Other Road' },
    });
    const { store, recorded } = storeWith([...burst, pending]);
    await expect(checkRisk({ orders: store, limits, model }, 'new')).rejects.toBeInstanceOf(RiskRejectedError);
    const risk = recorded[0]!.risk;
    expect(risk).toMatchObject({ decision: 'reject', source: 'model', modelVersion: model.version });
    expect(risk.score).toBeGreaterThanOrEqual(model.thresholds.reject);
    expect(risk.topFeatures?.length).toBeGreaterThan(0);
  });

  it('lets an order scored for review go on to its authorization, recorded as review (AuthorizePayment parks it)', async () => {
    const { store, recorded } = storeWith([order('new', now, 20_000, { status: 'PENDING' })]);
    await expect(checkRisk({ orders: store, limits, model }, 'new')).resolves.toMatchObject({
      approved: true,
      riskDecision: 'review',
    });
    expect(recorded[0]?.risk.decision).toBe('review');
  });

  it('decides by the static rules when no model is loaded, and records that', async () => {
    const { store, recorded } = storeWith([order('new', now, 2_000_000, { status: 'PENDING' })]);
    await expect(checkRisk({ orders: store, limits }, 'new')).rejects.toThrow('exceeds the limit');
    expect(recorded[0]?.risk).toMatchObject({ decision: 'reject', source: 'rules' });
    expect(recorded[0]?.risk).not.toHaveProperty('modelVersion');

    const small = storeWith([order('small', now, 95_000, { status: 'PENDING' })]);
    await expect(checkRisk({ orders: small.store, limits }, 'small')).resolves.toMatchObject({
      riskDecision: 'approve',
      source: 'rules',
    });
  });
});
