import { fitHoltWinters, forecastHoltWinters, selectParameters, type HoltWintersParameters } from './holt-winters';

/**
 * A product's demand forecast from its daily units sold (oldest first, one number per day, zeros included):
 * Holt-Winters with weekly seasonality when there are at least two full weeks, seasonal-naive (or the mean, under
 * a week) otherwise. Prediction intervals come from the quantiles of the model's own in-sample errors at the same
 * horizon (no normality assumed: sales errors are skewed by promotions); units cannot be negative, so every figure
 * is floored at zero.
 */

export interface ForecastOptions {
  readonly horizon: number;
  readonly period: number;
  /** Central coverage of the prediction interval, e.g. 0.8 for the 10th..90th percentile. */
  readonly coverage: number;
  /** The last days whose out-of-sample one-step errors choose the Holt-Winters parameters (see selectParameters). */
  readonly validationDays: number;
}

export const defaultForecastOptions: ForecastOptions = { horizon: 28, period: 7, coverage: 0.8, validationDays: 182 };

export interface ForecastPoint {
  /** 1 = the day after the last day of history. */
  readonly dayAhead: number;
  readonly mean: number;
  readonly lower: number;
  readonly upper: number;
}

export type ForecastMethod = 'holt-winters' | 'seasonal-naive' | 'mean';

export interface DemandForecast {
  readonly method: ForecastMethod;
  readonly parameters?: HoltWintersParameters;
  readonly coverage: number;
  readonly points: readonly ForecastPoint[];
}

/** Linear-interpolated sample quantile (type 7, as R and NumPy default). */
export function quantile(values: readonly number[], probability: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * probability;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below]! + (position - below) * (sorted[above]! - sorted[below]!);
}

/** `errorsAt(index)` gives the errors to read day index + 1's interval from. */
function withIntervals(
  means: readonly number[],
  errorsAt: (index: number) => readonly number[],
  coverage: number,
): ForecastPoint[] {
  const tail = (1 - coverage) / 2;
  return means.map((mean, index) => {
    const errors = errorsAt(index);
    return {
      dayAhead: index + 1,
      mean: Math.max(0, mean),
      lower: Math.max(0, mean + quantile(errors, tail)),
      upper: Math.max(0, mean + quantile(errors, 1 - tail)),
    };
  });
}

/**
 * Repeats the last season. Its error k seasons ahead is the sum of k one-season differences (a random walk per
 * weekday), so the one-season errors are scaled by sqrt(k).
 */
export function seasonalNaive(
  history: readonly number[],
  period: number,
  horizon: number,
  coverage: number,
): ForecastPoint[] {
  const lastSeason = history.slice(-period);
  const means = Array.from({ length: horizon }, (_, index) => lastSeason[index % period]!);
  const differences = history.slice(period).map((value, index) => value - history[index]!);
  // Under two seasons there are too few week-on-week differences: the spread around the mean stands in.
  const average = history.reduce((sum, value) => sum + value, 0) / history.length;
  const residuals = differences.length >= period ? differences : history.map((value) => value - average);
  const scaled = (index: number) => {
    const factor = Math.sqrt(Math.floor(index / period) + 1);
    return residuals.map((residual) => residual * factor);
  };
  return withIntervals(means, scaled, coverage);
}

export function forecastDemand(history: readonly number[], options: Partial<ForecastOptions> = {}): DemandForecast {
  const { horizon, period, coverage, validationDays } = { ...defaultForecastOptions, ...options };
  if (history.length >= 2 * period) {
    const parameters = selectParameters(history, period, validationDays);
    const fit = fitHoltWinters(history, period, parameters, horizon);
    // Far horizons of a short history have few (or no) errors: fall back to the nearest horizon that has enough.
    const errorsAt = (index: number) => {
      for (let h = index; h >= 0; h -= 1) if (fit.errorsByHorizon[h]!.length >= period) return fit.errorsByHorizon[h]!;
      return fit.residuals;
    };
    const points = withIntervals(forecastHoltWinters(fit, horizon), errorsAt, coverage);
    return { method: 'holt-winters', parameters, coverage, points };
  }
  if (history.length >= period) {
    return { method: 'seasonal-naive', coverage, points: seasonalNaive(history, period, horizon, coverage) };
  }
  // Under one season there is no weekly pattern to repeat: the mean, with the spread of the days seen.
  const average = history.length === 0 ? 0 : history.reduce((sum, value) => sum + value, 0) / history.length;
  const means = new Array<number>(horizon).fill(average);
  const deviations = history.map((value) => value - average);
  return {
    method: 'mean',
    coverage,
    points: withIntervals(means, () => deviations, coverage),
  };
}
