import type { ForecastEvaluation } from './forecast/forecast-evaluation';
import type { RiskEvaluation } from './risk/risk-training';

/** Console tables for the model figures (`npm run train:risk`, `npm run bench:models`). */

const verdict = (met: boolean) => (met ? 'met' : 'NOT MET');
const percent = (value: number) => (Number.isNaN(value) ? 'n/a' : `${(value * 100).toFixed(1)} %`);

export function printRiskEvaluation(evaluation: RiskEvaluation): void {
  const { model, rulesAtSameRate, rulesShipped } = evaluation;
  console.log(
    `\nFraud model on the held-out split of GENERATED orders (${evaluation.orders} orders, ${percent(evaluation.fraudRate)} fraud)`,
  );
  console.log('  scorer                              ROC AUC  flagged   precision  recall');
  const line = (name: string, auc: number, flaggedRate: number, precision: number, recall: number) =>
    console.log(
      `  ${name.padEnd(36)}${Number.isNaN(auc) ? '   n/a ' : auc.toFixed(3).padStart(7)}  ${percent(flaggedRate).padStart(7)}  ${percent(precision).padStart(9)}  ${percent(recall).padStart(6)}`,
    );
  line(
    'model, review threshold',
    model.auc,
    model.atReview.flaggedRate,
    model.atReview.precision,
    model.atReview.recall,
  );
  line(
    'model, reject threshold',
    model.auc,
    model.atReject.flaggedRate,
    model.atReject.precision,
    model.atReject.recall,
  );
  line(
    `static rules, same review rate`,
    rulesAtSameRate.auc,
    rulesAtSameRate.confusion.flaggedRate,
    rulesAtSameRate.confusion.precision,
    rulesAtSameRate.confusion.recall,
  );
  const { maxOrderAmount, maxOrdersPerHour } = rulesAtSameRate.limits;
  console.log(
    `  (rules at the same review rate: amount above ${maxOrderAmount['*']} minor units or more than ${maxOrdersPerHour.customer} orders an hour, tuned on the held-out orders themselves)`,
  );
  line(
    'static rules, shipped limits',
    Number.NaN,
    rulesShipped.flaggedRate,
    rulesShipped.precision,
    rulesShipped.recall,
  );
  const better = model.auc > rulesAtSameRate.auc && model.atReview.precision > rulesAtSameRate.confusion.precision;
  console.log(
    `  goals: ROC AUC at least 0.9 (${verdict(model.auc >= 0.9)}), better than the rules (${verdict(better)})`,
  );
}

export function printForecastEvaluation(evaluation: ForecastEvaluation, seed: number): void {
  const { mase, coverage } = evaluation;
  console.log(
    `\nDemand forecast on GENERATED daily sales (seed ${seed}): ${evaluation.series} products x ${evaluation.forecasts / evaluation.series} held-out ${evaluation.horizon}-day horizons`,
  );
  console.log('  forecaster                MASE    80 % interval coverage');
  console.log(`  Holt-Winters (weekly)    ${mase.model.toFixed(3)}   ${percent(coverage.model)}`);
  console.log(`  seasonal-naive           ${mase.seasonalNaive.toFixed(3)}   ${percent(coverage.seasonalNaive)}`);
  console.log(
    `  goals: MASE below 0.9 (${verdict(mase.model < 0.9)}), coverage 75-85 % (${verdict(coverage.model >= 0.75 && coverage.model <= 0.85)}); mean interval width ${evaluation.meanIntervalWidth.toFixed(1)} units`,
  );
}

/** The same model with the features CheckRisk can compute today (see ml/model-figures.ts, asServedToday). */
export function printServedRiskEvaluation(evaluation: RiskEvaluation): void {
  const { auc, atReview, atReject } = evaluation.model;
  console.log(
    `  as CheckRisk serves it today (no IP or billing country on orders yet, both country features 0):\n` +
      `    ROC AUC ${auc.toFixed(3)}; review threshold: ${percent(atReview.flaggedRate)} flagged, ` +
      `precision ${percent(atReview.precision)}, recall ${percent(atReview.recall)}; ` +
      `reject threshold: ${percent(atReject.flaggedRate)} flagged, precision ${percent(atReject.precision)}, ` +
      `recall ${percent(atReject.recall)}`,
  );
}
