import type { DomainEvent } from '../../functions/core/domain/events';
import type { OrderSale, ProductForecast, SalesDay } from '../../functions/core/domain/ports';
import { forecastAllProducts, forecastProduct } from '../../functions/core/use-cases/jobs/forecast-demand';
import { recordSales } from '../../functions/core/use-cases/sales/record-sales';
import { testProduct } from '../helpers/fixtures';

const now = new Date('2026-12-03T00:15:00.000Z');
const policy = { leadTimeDays: 7, serviceLevel: 0.95 };

/** `units` a day for the `days` days before `now`. */
function history(productId: string, days: number, units: (day: number) => number): SalesDay[] {
  return Array.from({ length: days }, (_, index) => {
    const day = new Date(Date.parse('2026-12-03') - (days - index) * 86_400_000).toISOString().slice(0, 10);
    return { productId, day, units: units(index), revenue: 0, currency: 'EUR' };
  });
}

describe('one product forecast', () => {
  it('forecasts nothing and suggests no reorder for a product that never sold', async () => {
    const sales = { daily: async () => [] };
    const forecast = await forecastProduct({ sales, policy }, testProduct('prod_new', 100, 0), now);
    expect(forecast).toMatchObject({ method: 'mean', historyDays: 0 });
    expect(forecast.days).toHaveLength(28);
    expect(forecast.days[0]!.date).toBe('2026-12-03');
    expect(forecast.inventory).toMatchObject({ reorderPoint: 0, belowReorderPoint: false, daysOfCover: null });
  });

  it('uses seasonal-naive under two weeks and fills the days without sales with zeros', async () => {
    const days = history('prod_young', 10, (day) => (day % 2 === 0 ? 4 : 0)).filter((day) => day.units > 0);
    const sales = { daily: async () => days };
    const forecast = await forecastProduct({ sales, policy }, testProduct('prod_young', 100, 100), now);
    expect(forecast.method).toBe('seasonal-naive');
    // From the first day with sales (10 days ago) to yesterday, zeros included.
    expect(forecast.historyDays).toBe(10);
  });

  it('suggests the reorder point plus the horizon demand, less the stock, when the stock is short', async () => {
    const sales = { daily: async () => history('prod_busy', 42, () => 10) };
    const forecast = await forecastProduct({ sales, policy }, testProduct('prod_busy', 100, 30), now);
    const { reorderPoint, suggestedQuantity, belowReorderPoint, daysOfCover } = forecast.inventory;
    expect(forecast.method).toBe('holt-winters');
    expect(belowReorderPoint).toBe(true);
    expect(reorderPoint).toBeGreaterThanOrEqual(70);
    expect(daysOfCover).toBeCloseTo(3, 0);
    const horizonDemand = forecast.days.reduce((sum, day) => sum + day.mean, 0);
    expect(suggestedQuantity).toBeCloseTo(reorderPoint + horizonDemand - 30, -1);
  });
});

describe('the daily run', () => {
  it('forecasts every active product over all catalog pages and writes one event per product to reorder', async () => {
    const saved: ProductForecast[] = [];
    const published: DomainEvent[] = [];
    const pages = [
      { products: [testProduct('prod_a', 1, 5), testProduct('prod_off', 1, 5, { active: false })], nextCursor: 'p2' },
      { products: [testProduct('prod_b', 1, 10_000)] },
    ];
    const report = await forecastAllProducts({
      catalog: { list: async (_limit, cursor) => (cursor ? pages[1]! : pages[0]!) },
      sales: { daily: async (productId) => history(productId, 28, () => 5) },
      forecasts: {
        save: async (forecast, event) => {
          saved.push(forecast);
          if (event) published.push(event);
        },
      },
      policy,
      now: () => now,
    });
    expect(report).toEqual({ day: '2026-12-03', forecast: 2, belowReorderPoint: ['prod_a'] });
    expect(saved.map((forecast) => forecast.productId)).toEqual(['prod_a', 'prod_b']);
    expect(published).toEqual([
      expect.objectContaining({
        id: 'prod_a:inventory.reorder-suggested:2026-12-03',
        type: 'inventory.reorder-suggested',
        data: expect.objectContaining({ productId: 'prod_a', available: 5 }),
      }),
    ]);
  });
});

describe('the sales history from order events', () => {
  const order = {
    orderId: 'ord_1',
    items: [{ productId: 'prod_a', quantity: 2, lineTotal: { amount: 500, currency: 'EUR' } }],
  };

  it('counts confirmations on their UTC day, reverses cancellations and ignores other events', async () => {
    const recorded: OrderSale[] = [];
    const reversed: string[] = [];
    const history = {
      recordSale: async (sale: OrderSale) => (recorded.push(sale), true),
      reverseSale: async (orderId: string) => (reversed.push(orderId), false),
      daily: async () => [],
    };
    const confirmed = { type: 'order.confirmed', occurredAt: '2026-12-02T23:59:59.000Z', data: order };
    expect(await recordSales(history, confirmed)).toBe('counted');
    expect(recorded).toEqual([
      {
        orderId: 'ord_1',
        day: '2026-12-02',
        lines: [{ productId: 'prod_a', units: 2, revenue: order.items[0]!.lineTotal }],
      },
    ]);
    expect(await recordSales(history, { ...confirmed, type: 'order.cancelled' })).toBe('unchanged');
    expect(reversed).toEqual(['ord_1']);
    expect(await recordSales(history, { ...confirmed, type: 'order.failed' })).toBe('ignored');
  });
});
