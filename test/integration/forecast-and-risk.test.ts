import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportSales } from '../../local/commands/lib/sales-export';
import { DynamoDbSalesHistory } from '../../functions/core/adapters/dynamodb/sales-history';
import type { SalesDay } from '../../functions/core/domain/ports';
import { bundledRiskModel } from '../../functions/core/risk/risk-decision';
import { orderRequest, testProduct } from '../helpers/fixtures';
import { bundledRiskModelFile, startTestSystem, type TestSystem } from '../helpers/local-system';

/**
 * The sales history, the demand forecast with its reorder suggestions, and the fraud model deciding CheckRisk, on
 * the whole offline system: real gateway, real saga, real DynamoDB Local, the local bus delivering to the consumer.
 */

const dayMs = 24 * 60 * 60 * 1000;
const today = () => new Date().toISOString().slice(0, 10);
const daysAgo = (days: number) => new Date(Date.parse(today()) - days * dayMs).toISOString().slice(0, 10);

const products = {
  /** Sells about 12 a day with a weekly rhythm and has 20 left: well under what the lead time needs. */
  fastSeller: testProduct('prod_fast_seller', 1500, 20),
  /** Sells about 2 a day and has 500: nothing to reorder. */
  slowSeller: testProduct('prod_slow_seller', 1500, 500),
  /** For the sales history from real orders. */
  mug: testProduct('prod_history_mug', 1200, 50),
  /** 3,000.00: two of them are a large first order, still under the dev limit of 10,000.00. */
  camera: testProduct('prod_film_camera', 300_000, 10),
  filters: testProduct('prod_cone_filters', 590, 100),
};

let system: TestSystem;
let admin: string;
let sales: DynamoDbSalesHistory;

beforeAll(async () => {
  system = await startTestSystem({ seedCatalog: Object.values(products), riskModelFile: bundledRiskModelFile });
  admin = await system.tokenFor('forecast-admin', ['admins']);
  sales = new DynamoDbSalesHistory(system.runtime.documentClient, system.runtime.tableName);
}, 60_000);

afterAll(async () => {
  await system?.stop();
});

async function placeAndWait(token: string, items: { productId: string; quantity: number }[]) {
  const placed = await system.call('POST', '/orders', {
    token,
    body: orderRequest({ items, paymentToken: 'pm_card_visa' }),
  });
  expect(placed.status).toBe(202);
  const orderId = placed.body.orderId as string;
  return { orderId, final: await system.waitForTerminal(orderId, token) };
}

/** Polls the sales history (the consumer runs after the saga, asynchronously) until `check` holds. */
async function salesUntil(productId: string, check: (days: SalesDay[]) => boolean): Promise<SalesDay[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const days = await sales.daily(productId, daysAgo(1), today());
    if (check(days) || Date.now() > deadline) return days;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the sales history', () => {
  it('counts a confirmed order once, on its day, and takes it back when the order is cancelled', async () => {
    const token = await system.tokenFor('sally');
    const { orderId, final } = await placeAndWait(token, [{ productId: products.mug.productId, quantity: 3 }]);
    expect(final.status).toBe('CONFIRMED');
    const counted = await salesUntil(products.mug.productId, (days) => days.length > 0);
    expect(counted).toEqual([
      { productId: products.mug.productId, day: today(), units: 3, revenue: 3600, currency: 'EUR' },
    ]);

    const cancelled = await system.call('POST', `/orders/${orderId}/cancel`, { token, body: {} });
    expect(cancelled.status).toBe(200);
    const reversed = await salesUntil(products.mug.productId, (days) => days[0]?.units === 0);
    expect(reversed).toEqual([
      { productId: products.mug.productId, day: today(), units: 0, revenue: 0, currency: 'EUR' },
    ]);
  });

  it('ignores a redelivered confirmation, and a confirmation that arrives after its cancellation', async () => {
    const sale = {
      orderId: 'ord_redelivered',
      day: daysAgo(400),
      lines: [{ productId: products.mug.productId, units: 2, revenue: { amount: 2400, currency: 'EUR' } }],
    };
    expect(await sales.recordSale(sale)).toBe(true);
    expect(await sales.recordSale(sale)).toBe(false);
    expect(await sales.reverseSale('ord_cancelled_first')).toBe(false);
    expect(await sales.recordSale({ ...sale, orderId: 'ord_cancelled_first' })).toBe(false);
    const days = await sales.daily(products.mug.productId, daysAgo(400), daysAgo(400));
    expect(days.map((day) => day.units)).toEqual([2]);
  });
});

describe('the demand forecast', () => {
  beforeAll(async () => {
    // Eight weeks of history, written through the same repository code the consumer uses, one "order" a day.
    const weekly = [1.3, 1.1, 0.9, 0.8, 0.9, 1.2, 0.8];
    for (let days = 56; days >= 1; days -= 1) {
      const day = daysAgo(days);
      const weekday = new Date(day).getUTCDay();
      for (const [product, level] of [
        [products.fastSeller, 12],
        [products.slowSeller, 2],
      ] as const) {
        const units = Math.max(1, Math.round(level * weekly[weekday]! + ((days * 7) % 3) - 1));
        await sales.recordSale({
          orderId: `seed-${product.productId}-${day}`,
          day,
          lines: [{ productId: product.productId, units, revenue: { amount: units * 1500, currency: 'EUR' } }],
        });
      }
    }
    await system.runtime.runJob('forecast-demand');
  }, 60_000);

  it('suggests reordering a product that sells faster than its stock covers, and only that one', async () => {
    const reorders = await system.call('GET', '/admin/inventory/reorder', { token: admin });
    expect(reorders.status).toBe(200);
    const listed = reorders.body.products as Record<string, unknown>[];
    const fast = listed.find((product) => product.productId === products.fastSeller.productId);
    expect(fast).toMatchObject({ available: 20, belowReorderPoint: true, leadTimeDays: 7, serviceLevel: 0.95 });
    // About 12 a day over a 7-day lead time, plus safety stock: far above the 20 on the shelf.
    expect(fast!.reorderPoint as number).toBeGreaterThan(70);
    expect(fast!.suggestedQuantity as number).toBeGreaterThan(fast!.reorderPoint as number);
    expect(fast!.daysOfCover as number).toBeLessThan(3);
    expect(listed.map((product) => product.productId)).not.toContain(products.slowSeller.productId);

    const event = (await system.publishedEvents()).find(
      (candidate) => candidate.detailType === 'inventory.reorder-suggested',
    );
    expect(event?.detail).toMatchObject({
      id: `${products.fastSeller.productId}:inventory.reorder-suggested:${today()}`,
      data: { productId: products.fastSeller.productId, available: 20 },
    });
  });

  it('exports the sales history as JSON lines for analysts (npm run export:sales)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sales-export-')), 'sales.jsonl');
    const lines = await exportSales(system.runtime.documentClient, system.runtime.tableName, file, {
      from: daysAgo(56),
      to: daysAgo(1),
    });
    const exported = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as SalesDay);
    expect(exported).toHaveLength(lines);
    const fast = exported.filter((line) => line.productId === products.fastSeller.productId);
    expect(fast).toHaveLength(56);
    expect(fast[0]).toEqual({
      productId: products.fastSeller.productId,
      day: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      units: expect.any(Number),
      revenue: expect.any(Number),
      currency: 'EUR',
    });
    expect(fast.every((line) => line.revenue === line.units * 1500)).toBe(true);
  });

  it('serves 28 days of forecast with 80 % intervals to admins only', async () => {
    const path = `/admin/products/${products.fastSeller.productId}/forecast`;
    const forecast = await system.call('GET', path, { token: admin });
    expect(forecast.status).toBe(200);
    expect(forecast.body).toMatchObject({ method: 'holt-winters', coverage: 0.8, historyDays: 56 });
    const days = forecast.body.days as { date: string; mean: number; lower: number; upper: number }[];
    expect(days).toHaveLength(28);
    expect(days[0]!.date).toBe(today());
    expect(days[27]!.date).toBe(daysAgo(-27));
    for (const day of days) {
      expect(day.lower).toBeLessThanOrEqual(day.mean);
      expect(day.mean).toBeLessThanOrEqual(day.upper);
    }
    const meanDemand = days.reduce((sum, day) => sum + day.mean, 0) / days.length;
    expect(meanDemand).toBeGreaterThan(8);
    expect(meanDemand).toBeLessThan(16);

    const customer = await system.tokenFor('forecast-curious');
    expect((await system.call('GET', path, { token: customer })).status).toBe(403);
    expect((await system.call('GET', '/admin/products/prod_never_forecast/forecast', { token: admin })).status).toBe(
      404,
    );
  });
});

describe('fraud scoring in CheckRisk', () => {
  const model = bundledRiskModel();

  it('approves an ordinary first order and explains the decision to admins, never to the customer', async () => {
    const token = await system.tokenFor('olivia');
    const { orderId, final } = await placeAndWait(token, [{ productId: products.filters.productId, quantity: 2 }]);
    expect(final.status).toBe('CONFIRMED');

    const seenByAdmin = await system.call('GET', `/admin/orders/${orderId}`, { token: admin });
    expect(seenByAdmin.body.risk).toMatchObject({ decision: 'approve', source: 'model', modelVersion: model.version });
    const risk = seenByAdmin.body.risk as { score: number; topFeatures: { feature: string }[] };
    expect(risk.score).toBeLessThan(model.thresholds.review);
    expect(risk.topFeatures.length).toBeGreaterThan(0);

    const seenByCustomer = await system.call('GET', `/orders/${orderId}`, { token });
    expect(seenByCustomer.status).toBe(200);
    expect(JSON.stringify(seenByCustomer.body)).not.toMatch(/"(risk|score|modelVersion|topFeatures)"/);
    const listed = await system.call('GET', '/orders', { token });
    expect(JSON.stringify(listed.body)).not.toMatch(/"(risk|score|modelVersion|topFeatures)"/);
    const confirmed = (await system.publishedEvents()).find(
      (event) => event.detailType === 'order.confirmed' && JSON.stringify(event.detail).includes(orderId),
    );
    expect(JSON.stringify(confirmed?.detail)).not.toMatch(/"(risk|topFeatures)"/);
  });

  it('rejects a high-risk order with RISK_REJECTED, holding no stock, and records why', async () => {
    const before = await system.available(products.camera.productId);
    const token = await system.tokenFor('mallory');
    // A brand-new customer's first order of 6,000.00: under the static limit, far above anything usual.
    const { orderId, final } = await placeAndWait(token, [{ productId: products.camera.productId, quantity: 2 }]);
    expect(final).toMatchObject({ status: 'FAILED', failureReason: 'RISK_REJECTED' });
    expect(await system.available(products.camera.productId)).toBe(before);

    const seenByAdmin = await system.call('GET', `/admin/orders/${orderId}`, { token: admin });
    expect(seenByAdmin.body.risk).toMatchObject({ decision: 'reject', source: 'model', modelVersion: model.version });
    const risk = seenByAdmin.body.risk as { score: number; topFeatures: { feature: string }[] };
    expect(risk.score).toBeGreaterThanOrEqual(model.thresholds.reject);
    expect(risk.topFeatures.map((part) => part.feature)).toEqual(
      expect.arrayContaining([expect.stringMatching(/amount|account|prior/i)]),
    );
  });
});
