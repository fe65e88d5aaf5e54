import type { DomainEvent } from '../../domain/events';
import { eventSchemaVersion } from '../../domain/events';
import type { CatalogReader, ForecastStore, ProductForecast, SalesHistory } from '../../domain/ports';
import type { Product } from '../../domain/product';
import { forecastDemand } from '../../forecast/demand-forecast';
import { daysOfCover, normalQuantile, reorderPoint } from '../../forecast/inventory';

/** Days forecast ahead. */
export const forecastHorizonDays = 28;
/** Central coverage of the prediction intervals. */
export const forecastCoverage = 0.8;
/** How much sales history a forecast is fitted on, at most (a year: enough for the trend, bounded in cost). */
export const historyWindowDays = 364;

const dayMs = 24 * 60 * 60 * 1000;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export interface InventoryPolicy {
  readonly leadTimeDays: number;
  readonly serviceLevel: number;
}

export interface ForecastDemandDeps {
  readonly catalog: Pick<CatalogReader, 'list'>;
  readonly sales: Pick<SalesHistory, 'daily'>;
  readonly forecasts: Pick<ForecastStore, 'save'>;
  readonly policy: InventoryPolicy;
  readonly now?: () => Date;
}

export interface ForecastRunReport {
  readonly day: string;
  readonly forecast: number;
  readonly belowReorderPoint: readonly string[];
}

/** What `inventory.reorder-suggested` tells: enough to place the replenishment order without reading anything. */
export interface ReorderSuggestion {
  readonly productId: string;
  readonly name: string;
  readonly available: number;
  readonly reorderPoint: number;
  readonly daysOfCover: number | null;
  readonly suggestedQuantity: number;
  readonly leadTimeDays: number;
  readonly forecastAt: string;
}

/**
 * The daily demand forecast: for every active product, its daily units sold (the sales history, from its first day
 * with sales up to yesterday, UTC; today is not over yet) are fitted with Holt-Winters (weekly season; seasonal-
 * naive under two weeks of history, the mean under one), the next 28 days are stored with their 80 % intervals,
 * and the reorder point and days of cover are computed from the lead time and service level of the configuration.
 * A product at or below its reorder point gets an `inventory.reorder-suggested` event, once per product and day
 * (written with the forecast: the outbox; its id is deterministic, so a second run the same day announces nothing new).
 */
export async function forecastAllProducts(deps: ForecastDemandDeps): Promise<ForecastRunReport> {
  const now = (deps.now ?? (() => new Date()))();
  const today = dayOf(now.getTime());
  const belowReorderPoint: string[] = [];
  let count = 0;
  let cursor: string | undefined;
  do {
    const page = await deps.catalog.list(100, cursor);
    for (const product of page.products.filter((candidate) => candidate.active)) {
      const forecast = await forecastProduct(deps, product, now);
      const below = forecast.inventory.belowReorderPoint;
      await deps.forecasts.save(forecast, below ? reorderEvent(forecast, today) : undefined);
      count += 1;
      if (below) belowReorderPoint.push(forecast.productId);
    }
    cursor = page.nextCursor;
  } while (cursor);
  return { day: today, forecast: count, belowReorderPoint };
}

/** One product's forecast and reorder figures. */
export async function forecastProduct(
  deps: Pick<ForecastDemandDeps, 'sales' | 'policy'>,
  product: Product,
  now: Date,
): Promise<ProductForecast> {
  const todayMs = Date.parse(dayOf(now.getTime()));
  const yesterday = dayOf(todayMs - dayMs);
  const sales = await deps.sales.daily(product.productId, dayOf(todayMs - historyWindowDays * dayMs), yesterday);
  // One number per day from the first day with sales, zeros for days without: a product new this week is not
  // taken for one that sold nothing all year.
  const units: number[] = [];
  if (sales.length > 0) {
    const byDay = new Map(sales.map((day) => [day.day, day.units]));
    for (let ms = Date.parse(sales[0]!.day); ms < todayMs; ms += dayMs)
      units.push(Math.max(0, byDay.get(dayOf(ms)) ?? 0));
  }
  const forecast = forecastDemand(units, { horizon: forecastHorizonDays, coverage: forecastCoverage });
  const means = forecast.points.map((point) => point.mean);
  const { leadTimeDays, serviceLevel } = deps.policy;
  const leadTime = forecast.points.slice(0, leadTimeDays);
  // The interval's half-width over z of its coverage stands for one day's standard deviation.
  const z = normalQuantile(0.5 + forecastCoverage / 2);
  const mean = (values: readonly number[]) =>
    values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;
  const reorder = reorderPoint({
    meanDailyDemand: mean(leadTime.map((point) => point.mean)),
    dailyDemandStdDev: mean(leadTime.map((point) => (point.upper - point.lower) / (2 * z))),
    leadTimeDays,
    serviceLevel,
  });
  const cover = daysOfCover(product.available, means);
  const belowReorderPoint = reorder.reorderPoint > 0 && product.available <= reorder.reorderPoint;
  const horizonDemand = means.reduce((sum, value) => sum + value, 0);
  const round = (value: number) => Math.round(value * 100) / 100;
  return {
    productId: product.productId,
    name: product.name,
    generatedAt: now.toISOString(),
    method: forecast.method,
    historyDays: units.length,
    coverage: forecast.coverage,
    days: forecast.points.map((point) => ({
      date: dayOf(todayMs + (point.dayAhead - 1) * dayMs),
      mean: round(point.mean),
      lower: round(point.lower),
      upper: round(point.upper),
    })),
    inventory: {
      available: product.available,
      leadTimeDays,
      serviceLevel,
      leadTimeDemand: round(reorder.leadTimeDemand),
      safetyStock: round(reorder.safetyStock),
      reorderPoint: reorder.reorderPoint,
      daysOfCover: Number.isFinite(cover) ? round(cover) : null,
      belowReorderPoint,
      suggestedQuantity: belowReorderPoint
        ? Math.max(0, Math.ceil(reorder.reorderPoint + horizonDemand - product.available))
        : 0,
    },
  };
}

function reorderEvent(forecast: ProductForecast, day: string): DomainEvent<ReorderSuggestion> {
  const { inventory } = forecast;
  return {
    id: `${forecast.productId}:inventory.reorder-suggested:${day}`,
    type: 'inventory.reorder-suggested',
    version: eventSchemaVersion,
    occurredAt: forecast.generatedAt,
    data: {
      productId: forecast.productId,
      name: forecast.name,
      available: inventory.available,
      reorderPoint: inventory.reorderPoint,
      daysOfCover: inventory.daysOfCover,
      suggestedQuantity: inventory.suggestedQuantity,
      leadTimeDays: inventory.leadTimeDays,
      forecastAt: forecast.generatedAt,
    },
  };
}
