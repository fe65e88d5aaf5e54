import { forecastDemand, quantile, seasonalNaive } from '../../functions/core/forecast/demand-forecast';
import { fitHoltWinters, forecastHoltWinters, selectParameters } from '../../functions/core/forecast/holt-winters';
import { daysOfCover, normalQuantile, reorderPoint } from '../../functions/core/forecast/inventory';
import { generateSalesHistories } from '../../ml/data/sales-generator';
import { evaluateForecast, meanAbsoluteScaledError } from '../../ml/forecast/forecast-evaluation';
import { createRandom } from '../../ml/lib/random';

const weekly = [-3, -2, -1, 0, 1, 2, 3];
/** level 20 + 0.1 per day + a fixed weekly pattern, no noise. */
const knownSeries = (days: number) => Array.from({ length: days }, (_, t) => 20 + 0.1 * t + weekly[t % 7]!);

describe('Holt-Winters', () => {
  it('recovers a known trend plus weekly season: its forecast continues the series', () => {
    const series = knownSeries(70);
    const fit = fitHoltWinters(series, 7, { alpha: 0.3, beta: 0.1, gamma: 0.1, phi: 1 });
    const forecast = forecastHoltWinters(fit, 14);
    const truth = knownSeries(84).slice(70);
    forecast.forEach((value, index) => expect(value).toBeCloseTo(truth[index]!, 6));
    expect(fit.seasonal).toHaveLength(7);
  });

  it('recovers the weekly pattern of a noisy series, with parameters chosen by the grid search', () => {
    const random = createRandom(4);
    const series = knownSeries(168).map((value) => value + random.normal(0, 0.5));
    const parameters = selectParameters(series, 7, 56);
    const forecast = forecastHoltWinters(fitHoltWinters(series, 7, parameters), 7);
    const truth = knownSeries(175).slice(168);
    forecast.forEach((value, index) => expect(Math.abs(value - truth[index]!)).toBeLessThan(1));
  });

  it('needs two full seasons', () => {
    expect(() => fitHoltWinters([1, 2, 3, 4, 5, 6, 7, 8], 7, { alpha: 0.1, beta: 0, gamma: 0.1, phi: 1 })).toThrow(
      RangeError,
    );
  });
});

describe('demand forecast', () => {
  it('forecasts 28 days with 80 % intervals around the mean, never below zero', () => {
    const [history] = generateSalesHistories({ seed: 8, products: 1, days: 200 });
    const forecast = forecastDemand(history!.units);
    expect(forecast.method).toBe('holt-winters');
    expect(forecast.points).toHaveLength(28);
    for (const point of forecast.points) {
      expect(point.lower).toBeGreaterThanOrEqual(0);
      expect(point.lower).toBeLessThanOrEqual(point.mean);
      expect(point.upper).toBeGreaterThanOrEqual(point.mean);
    }
  });

  it('has intervals that cover about 80 % of held-out days on generated sales', () => {
    const evaluation = evaluateForecast({ seed: 31, products: 40, days: 260, origins: 1, forecast: {} });
    expect(evaluation.coverage.model).toBeGreaterThanOrEqual(0.72);
    expect(evaluation.coverage.model).toBeLessThanOrEqual(0.88);
    expect(evaluation.mase.model).toBeLessThan(evaluation.mase.seasonalNaive);
  });

  it('falls back to seasonal-naive under two seasons, and to the mean under one', () => {
    const tenDays = [5, 6, 7, 8, 9, 10, 11, 6, 7, 8];
    const naive = forecastDemand(tenDays);
    expect(naive.method).toBe('seasonal-naive');
    // The last seven days, repeated: day 1 ahead is the same weekday as tenDays[3].
    expect(naive.points.slice(0, 8).map((point) => point.mean)).toEqual([8, 9, 10, 11, 6, 7, 8, 8]);
    expect(naive.points[0]!.upper).toBeGreaterThan(naive.points[0]!.mean);

    const short = forecastDemand([4, 6]);
    expect(short.method).toBe('mean');
    expect(short.points.every((point) => point.mean === 5)).toBe(true);
    expect(forecastDemand([]).points.every((point) => point.mean === 0 && point.upper === 0)).toBe(true);
  });

  it('widens seasonal-naive intervals with each season ahead', () => {
    const random = createRandom(2);
    const history = Array.from({ length: 70 }, (_, t) => 10 + weekly[t % 7]! + random.normal(0, 1));
    const points = seasonalNaive(history, 7, 28, 0.8);
    const width = (index: number) => points[index]!.upper - points[index]!.lower;
    expect(width(21)).toBeCloseTo(width(0) * 2, 6);
  });

  it('computes quantiles and MASE on hand-made cases', () => {
    expect(quantile([1, 2, 3, 4, 5], 0.5)).toBe(3);
    expect(quantile([1, 2, 3, 4], 0.25)).toBeCloseTo(1.75, 12);
    // Seasonal (period 2) naive in-sample error: |3-1|, |4-2| = 2; forecast error 1 => MASE 0.5.
    expect(meanAbsoluteScaledError([1, 2, 3, 4], [5, 6], [4, 7], 2)).toBe(0.5);
  });
});

describe('reorder point and days of cover', () => {
  it('uses the standard normal quantile of the service level', () => {
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9);
    expect(normalQuantile(0.95)).toBeCloseTo(1.644854, 5);
    expect(normalQuantile(0.99)).toBeCloseTo(2.326348, 5);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.326348, 5);
    expect(() => normalQuantile(1)).toThrow(RangeError);
  });

  it('adds safety stock for the service level over the lead time', () => {
    // 10 a day for 4 days = 40; safety 1.644854 * 3 * sqrt(4) = 9.87 => 50 units.
    const result = reorderPoint({ meanDailyDemand: 10, dailyDemandStdDev: 3, leadTimeDays: 4, serviceLevel: 0.95 });
    expect(result.leadTimeDemand).toBe(40);
    expect(result.safetyStock).toBeCloseTo(9.869, 3);
    expect(result.reorderPoint).toBe(50);
    expect(
      reorderPoint({ meanDailyDemand: 2.5, dailyDemandStdDev: 0, leadTimeDays: 4, serviceLevel: 0.9 }).reorderPoint,
    ).toBe(10);
    expect(() =>
      reorderPoint({ meanDailyDemand: -1, dailyDemandStdDev: 0, leadTimeDays: 1, serviceLevel: 0.9 }),
    ).toThrow();
  });

  it('counts the days the stock lasts against the forecast', () => {
    expect(daysOfCover(25, [10, 10, 10, 10])).toBe(2.5);
    expect(daysOfCover(0, [3, 3])).toBe(0);
    expect(daysOfCover(10, [0, 5, 5])).toBe(3);
    expect(daysOfCover(100, [1, 1, 1])).toBe(Number.POSITIVE_INFINITY);
  });
});
