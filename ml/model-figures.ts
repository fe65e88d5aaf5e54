import { parseRiskModel } from '../functions/core/risk/model';
import shippedModel from '../functions/core/risk/risk-model.json';
import { generateOrders, splitByCustomer } from './data/order-generator';
import { defaultForecastEvaluationOptions, evaluateForecast } from './forecast/forecast-evaluation';
import { printForecastEvaluation, printRiskEvaluation } from './report';
import { evaluateRisk } from './risk/risk-training';

/**
 * The model figures of `npm run bench:models` (part `models` of `npm run bench`): the checked-in fraud model on the
 * held-out customers of the data it was trained on (regenerated from the seed in its metadata), and the demand
 * forecast on generated sales at rolling origins. All data is generated; docs/models.md says how.
 */
export function modelFigures(): void {
  const model = parseRiskModel(shippedModel);
  const seed = Number(model.training['seed']);
  const customers = Number(model.training['customers']);
  const { test } = splitByCustomer(generateOrders({ seed, customers }), seed);
  console.log(`\nModels (on GENERATED data, fixed seeds) — fraud model ${model.version}, seed ${seed}`);
  printRiskEvaluation(evaluateRisk(model, test));
  printForecastEvaluation(evaluateForecast(defaultForecastEvaluationOptions), defaultForecastEvaluationOptions.seed);
}
