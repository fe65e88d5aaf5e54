import { forecastDemand, seasonalNaive, type ForecastOptions } from '../../functions/core/forecast/demand-forecast';
import { defaultSalesGeneratorOptions, generateSalesHistories } from '../data/sales-generator';

/**
 * Rolling-origin evaluation of the demand forecast on generated sales: for each product and each origin, the model
 * sees the days before the origin and forecasts the next 28, which it never saw. MASE scales the forecast's mean
 * absolute error by the in-sample one-step seasonal-naive error (Hyndman and Koehler, 2006): below 1 beats
 * "same weekday last week" in its own terms.
 */

export interface ForecastEvaluationOptions {
  readonly seed: number;
  readonly products: number;
  readonly days: number;
  /** Forecast origins, counted back from the end in steps of the horizon. */
  readonly origins: number;
  readonly forecast: Partial<ForecastOptions>;
}

export const defaultForecastEvaluationOptions: ForecastEvaluationOptions = {
  seed: defaultSalesGeneratorOptions.seed,
  products: defaultSalesGeneratorOptions.products,
  days: defaultSalesGeneratorOptions.days,
  origins: 3,
  forecast: {},
};

export interface ForecastEvaluation {
  readonly series: number;
  readonly forecasts: number;
  readonly horizon: number;
  readonly mase: { readonly model: number; readonly seasonalNaive: number };
  /** Share of held-out days inside the 80 % interval. */
  readonly coverage: { readonly model: number; readonly seasonalNaive: number };
  readonly meanIntervalWidth: number;
}

const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

export function meanAbsoluteScaledError(
  training: readonly number[],
  actual: readonly number[],
  predicted: readonly number[],
  period: number,
): number {
  const scale = mean(training.slice(period).map((value, index) => Math.abs(value - training[index]!)));
  return mean(actual.map((value, index) => Math.abs(value - predicted[index]!))) / scale;
}

export function evaluateForecast(
  options: ForecastEvaluationOptions = defaultForecastEvaluationOptions,
): ForecastEvaluation {
  const horizon = options.forecast.horizon ?? 28;
  const period = options.forecast.period ?? 7;
  const coverageTarget = options.forecast.coverage ?? 0.8;
  const histories = generateSalesHistories({ seed: options.seed, products: options.products, days: options.days });
  const maseModel: number[] = [];
  const maseNaive: number[] = [];
  let inside = 0;
  let insideNaive = 0;
  let points = 0;
  let width = 0;
  for (const { units } of histories) {
    for (let origin = 0; origin < options.origins; origin += 1) {
      const cut = units.length - (origin + 1) * horizon;
      const training = units.slice(0, cut);
      const actual = units.slice(cut, cut + horizon);
      const forecast = forecastDemand(training, options.forecast).points;
      const naive = seasonalNaive(training, period, horizon, coverageTarget);
      maseModel.push(
        meanAbsoluteScaledError(
          training,
          actual,
          forecast.map((point) => point.mean),
          period,
        ),
      );
      maseNaive.push(
        meanAbsoluteScaledError(
          training,
          actual,
          naive.map((point) => point.mean),
          period,
        ),
      );
      actual.forEach((value, index) => {
        const point = forecast[index]!;
        const naivePoint = naive[index]!;
        if (value >= point.lower && value <= point.upper) inside += 1;
        if (value >= naivePoint.lower && value <= naivePoint.upper) insideNaive += 1;
        width += point.upper - point.lower;
        points += 1;
      });
    }
  }
  return {
    series: histories.length,
    forecasts: maseModel.length,
    horizon,
    mase: { model: mean(maseModel), seasonalNaive: mean(maseNaive) },
    coverage: { model: inside / points, seasonalNaive: insideNaive / points },
    meanIntervalWidth: width / points,
  };
}
