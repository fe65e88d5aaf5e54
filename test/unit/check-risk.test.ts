import type { Order, RiskRecord } from '../../functions/core/domain/order';
import type { OrderStore } from '../../functions/core/domain/ports';
import { RiskRejectedError } from '../../functions/core/domain/errors';
import { bundledRiskModel } from '../../functions/core/risk/risk-decision';
import { checkRisk, countPlacedSince, historyOrdersRead } from '../../functions/core/use-cases/saga/check-risk';

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

describe('the velocity count read off the history page', () => {
  const model = bundledRiskModel();
  const perHour = { ...limits, maxOrdersPerHour: { customer: 3, partner: 1000 } };
  const pending = (createdAt = now, id = 'new') => order(id, createdAt, 5000, { status: 'PENDING' });

  /** The store above, counting the velocity queries it is asked for. */
  function countingStore(orders: Order[]) {
    const { store, recorded } = storeWith(orders);
    const countQueries = jest.fn(store.countRecentOrders.bind(store));
    return { store: { ...store, countRecentOrders: countQueries } as OrderStore, recorded, countQueries };
  }

  it('counts as the index query does: the hour before the order, the order itself and later ones left out', () => {
    const current = pending('2026-12-03T10:00:00.000Z', 'ord_m');
    const since = '2026-12-03T09:00:00.000Z';
    const earlier = [
      { orderId: 'ord_z', createdAt: '2026-12-03T10:00:00.000Z' }, // same millisecond, sorts after: not before it
      { orderId: 'ord_a', createdAt: '2026-12-03T10:00:00.000Z' }, // same millisecond, sorts before: counted
      { orderId: 'ord_b', createdAt: '2026-12-03T09:30:00.000Z' },
      { orderId: 'ord_c', createdAt: since }, // exactly an hour before: counted, as BETWEEN is inclusive
      { orderId: 'ord_d', createdAt: '2026-12-03T08:59:59.999Z' },
    ].map((past) => ({ ...past, total: { amount: 1, currency: 'EUR' } }));
    expect(countPlacedSince(earlier, current, since)).toBe(3);
    expect(countPlacedSince([], current, since)).toBe(0);
  });

  it('falls back to the index query when the page is full and all within the hour', () => {
    const current = pending();
    const page = Array.from({ length: historyOrdersRead }, (_, index) => ({
      orderId: `ord_${String(index).padStart(3, '0')}`,
      createdAt: minutesBefore(1 + index / 100),
      total: { amount: 1, currency: 'EUR' },
    }));
    expect(countPlacedSince(page, current, minutesBefore(60))).toBeUndefined();
    // The same page reaching past the hour holds every order inside it.
    const reachingPast = [...page.slice(0, -1), { ...page.at(-1)!, createdAt: minutesBefore(61) }];
    expect(countPlacedSince(reachingPast, current, minutesBefore(60))).toBe(historyOrdersRead - 1);
  });

  it('makes one history read when the model runs, and refuses past the hourly limit as the query would', async () => {
    const recent = [50, 40, 30].map((minutes, index) => order(`recent-${index}`, minutesBefore(minutes), 5000));
    const within = countingStore([...recent.slice(1), order('old', minutesBefore(90), 5000), pending()]);
    await expect(checkRisk({ orders: within.store, limits: perHour, model }, 'new')).resolves.toMatchObject({
      approved: true,
    });
    expect(within.countQueries).not.toHaveBeenCalled();

    const over = countingStore([...recent, pending()]);
    await expect(checkRisk({ orders: over.store, limits: perHour, model }, 'new')).rejects.toThrow(
      'more than 3 orders within an hour',
    );
    expect(over.countQueries).not.toHaveBeenCalled();
    expect(over.recorded[0]?.risk).toMatchObject({ decision: 'reject', source: 'rules' });
  });

  it('asks the index for the count when no model runs', async () => {
    const { store, countQueries } = countingStore([pending()]);
    await expect(checkRisk({ orders: store, limits: perHour }, 'new')).resolves.toMatchObject({ approved: true });
    expect(countQueries).toHaveBeenCalledTimes(1);
  });
});
