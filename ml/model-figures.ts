import { parseRiskModel } from '../functions/core/risk/model';
import shippedModel from '../functions/core/risk/risk-model.json';
import { generateOrders, splitByCustomer, type LabelledOrder } from './data/order-generator';
import { defaultForecastEvaluationOptions, evaluateForecast } from './forecast/forecast-evaluation';
import { printForecastEvaluation, printRiskEvaluation, printServedRiskEvaluation } from './report';
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
  printServedRiskEvaluation(evaluateRisk(model, test.map(asServedToday)));
  printForecastEvaluation(evaluateForecast(defaultForecastEvaluationOptions), defaultForecastEvaluationOptions.seed);
}

/**
 * An order's features as CheckRisk computes them today: no billing or IP country is recorded on orders yet, so both
 * country-mismatch features are 0 there (functions/core/use-cases/saga/check-risk.ts). The model is not retrained
 * for it: these figures show what the missing signals cost.
 */
function asServedToday(order: LabelledOrder): LabelledOrder {
  return { ...order, features: { ...order.features, ipBillingCountryMismatch: 0, shippingBillingCountryMismatch: 0 } };
}
