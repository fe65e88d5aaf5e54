/**
 * Additive Holt-Winters (level, damped trend, additive seasonality), the error-correction form of ETS(A,Ad,A).
 * Daily demand with a weekly pattern whose size does not grow much with the level fits the additive form; the damped
 * trend keeps a 28-day forecast from running away on a short-lived slope. Pure functions over plain arrays.
 */

export interface HoltWintersParameters {
  /** Smoothing of the level, 0..1. */
  readonly alpha: number;
  /** Smoothing of the trend, 0..1 (0: the initial slope is kept). */
  readonly beta: number;
  /** Smoothing of the seasonal terms, 0..1. */
  readonly gamma: number;
  /** Trend damping, 0..1 (1: undamped Holt-Winters). */
  readonly phi: number;
}

export interface HoltWintersFit {
  readonly parameters: HoltWintersParameters;
  readonly period: number;
  readonly level: number;
  readonly trend: number;
  /** The last `period` seasonal terms, oldest first: seasonal[0] belongs to the day after the last observation. */
  readonly seasonal: readonly number[];
  /** One-step-ahead in-sample errors (observed - forecast), from the second season on. */
  readonly residuals: readonly number[];
  /**
   * In-sample errors h days ahead (errorsByHorizon[h - 1]), from forecasts made at every day past the warm-up:
   * what the prediction intervals are read from. Empty unless `fitHoltWinters` was given a horizon.
   */
  readonly errorsByHorizon: readonly (readonly number[])[];
}

/** Forecast origins before this many seasons only reflect the rough initial state; their errors are left out. */
const warmUpSeasons = 3;

const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

/** Runs the recursions over the whole series; needs at least two full seasons to initialise. */
export function fitHoltWinters(
  series: readonly number[],
  period: number,
  parameters: HoltWintersParameters,
  horizon = 0,
): HoltWintersFit {
  if (series.length < 2 * period) throw new RangeError(`Holt-Winters needs at least ${2 * period} observations`);
  const { alpha, beta, gamma, phi } = parameters;
  const firstMean = mean(series.slice(0, period));
  const secondMean = mean(series.slice(period, 2 * period));
  let trend = (secondMean - firstMean) / period;
  // Initial seasonal terms: each weekday's distance from the trend line through the two seasons' centres, averaged
  // over both seasons (so a trend is not mistaken for a weekly pattern). They sum to zero.
  const centre = (period - 1) / 2;
  const seasonal = Array.from({ length: period }, (_, i) => {
    const onLine = (seasonMean: number) => seasonMean + (i - centre) * trend;
    return (series[i]! - onLine(firstMean) + series[period + i]! - onLine(secondMean)) / 2;
  });
  // The level as of the first season's last day, where the recursions take over.
  let level = firstMean + centre * trend;
  const residuals: number[] = [];
  const errorsByHorizon: number[][] = Array.from({ length: horizon }, () => []);
  // Short series keep every origin: a wide interval from few errors beats none.
  const firstOrigin = series.length >= 2 * warmUpSeasons * period ? warmUpSeasons * period : period;
  for (let t = period; t < series.length; t += 1) {
    const observed = series[t]!;
    const season = seasonal[t % period]!;
    const forecast = level + phi * trend + season;
    residuals.push(observed - forecast);
    const previousLevel = level;
    level = alpha * (observed - season) + (1 - alpha) * (previousLevel + phi * trend);
    trend = beta * (level - previousLevel) + (1 - beta) * phi * trend;
    seasonal[t % period] = gamma * (observed - level) + (1 - gamma) * season;
    if (t < firstOrigin) continue;
    let dampedSum = 0;
    for (let h = 1; h <= horizon && t + h < series.length; h += 1) {
      dampedSum += phi ** h;
      errorsByHorizon[h - 1]!.push(series[t + h]! - (level + dampedSum * trend + seasonal[(t + h) % period]!));
    }
  }
  const next = series.length % period;
  return {
    parameters,
    period,
    level,
    trend,
    seasonal: [...seasonal.slice(next), ...seasonal.slice(0, next)],
    residuals,
    errorsByHorizon,
  };
}

/** Point forecasts for days 1..horizon after the last observation. */
export function forecastHoltWinters(fit: HoltWintersFit, horizon: number): number[] {
  const { level, trend, seasonal, period, parameters } = fit;
  const points: number[] = [];
  let dampedSum = 0;
  for (let h = 1; h <= horizon; h += 1) {
    dampedSum += parameters.phi ** h;
    points.push(level + dampedSum * trend + seasonal[(h - 1) % period]!);
  }
  return points;
}

/** The parameter grid searched by `selectParameters`: small, so a daily job fits hundreds of products in seconds. */
export const parameterGrid: readonly HoltWintersParameters[] = (() => {
  const grid: HoltWintersParameters[] = [];
  for (const alpha of [0.02, 0.05, 0.1, 0.2, 0.3, 0.5])
    for (const beta of [0, 0.02, 0.1])
      for (const gamma of [0.01, 0.05, 0.1, 0.2, 0.3])
        for (const phi of [0.9, 0.98, 1]) grid.push({ alpha, beta, gamma, phi });
  return grid;
})();

/**
 * Grid search on a validation split: each candidate runs over the whole series, and is judged by the mean absolute
 * error of its one-day-ahead forecasts for the last `validationDays` (each made before that day was seen), so the
 * choice rests on out-of-sample errors. One-step errors over a long validation window choose more steadily than one
 * 28-day forecast, which a single promotion in the window can swing (measured by `npm run bench:models`).
 * A series too short for the window is judged on all its one-step errors.
 */
export function selectParameters(
  series: readonly number[],
  period: number,
  validationDays: number,
  grid: readonly HoltWintersParameters[] = parameterGrid,
): HoltWintersParameters {
  let best: { parameters: HoltWintersParameters; error: number } | undefined;
  for (const parameters of grid) {
    const { residuals } = fitHoltWinters(series, period, parameters);
    // residuals[i] is the error on day period + i.
    const validation = residuals.slice(-Math.min(validationDays, residuals.length));
    const error = mean(validation.map(Math.abs));
    if (!best || error < best.error) best = { parameters, error };
  }
  return best!.parameters;
}
