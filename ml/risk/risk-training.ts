import { assessRisk, type RiskLimits } from '../../functions/core/domain/risk';
import { featureNames } from '../../functions/core/risk/features';
import { score, type RiskModel } from '../../functions/core/risk/model';
import {
  defaultOrderGeneratorOptions,
  generateOrders,
  splitByCustomer,
  type LabelledOrder,
} from '../data/order-generator';
import { defaultTrainingOptions, trainLogisticRegression, type TrainingOptions } from './logistic-regression';
import { confusionAt, rocAuc, thresholdForPrecision, type Confusion } from './metrics';

/**
 * Trains the fraud model on the generated orders (fixed seed, 30 % of the customers held out) and evaluates it
 * beside today's two static rules. `npm run train:risk` writes the model; `npm run bench:models` prints the figures.
 */

export const riskModelVersion = 'risk-lr-1';

/**
 * Thresholds are chosen on the training split: an automatic rejection must be right at least 90 % of the time;
 * the review queue may hold up to two legitimate orders for each fraud (precision 1/3), which keeps it small
 * enough for people to work through.
 */
export const thresholdPrecisionTargets = { review: 1 / 3, reject: 0.9 } as const;

/** The shipped defaults of RISK_MAX_ORDER_AMOUNT and RISK_MAX_ORDERS_PER_HOUR (functions/core/config/settings.ts). */
export const shippedRuleLimits: RiskLimits = {
  maxOrderAmount: { '*': 1_000_000 },
  maxOrdersPerHour: { customer: 20, partner: 5000 },
};

export interface RiskTrainingOptions {
  readonly seed: number;
  readonly customers: number;
  readonly training: TrainingOptions;
}

export const defaultRiskTrainingOptions: RiskTrainingOptions = {
  seed: defaultOrderGeneratorOptions.seed,
  customers: defaultOrderGeneratorOptions.customers,
  training: defaultTrainingOptions,
};

const featureRow = (order: LabelledOrder) => featureNames.map((name) => order.features[name]);
const labelOf = (order: LabelledOrder) => (order.fraud ? 1 : 0);

const round = (value: number, digits = 6) => Number(value.toFixed(digits));

export function trainRiskModel(options: RiskTrainingOptions = defaultRiskTrainingOptions) {
  const orders = generateOrders({ seed: options.seed, customers: options.customers });
  const { train, test } = splitByCustomer(orders, options.seed);
  const fitted = trainLogisticRegression(train.map(featureRow), train.map(labelOf), options.training);
  const draft: RiskModel = {
    version: riskModelVersion,
    kind: 'logistic-regression',
    features: featureNames.map((name, j) => ({
      name,
      mean: round(fitted.means[j]!),
      std: round(fitted.stds[j]!),
      weight: round(fitted.weights[j]!),
    })),
    bias: round(fitted.bias),
    thresholds: { review: 0.5, reject: 0.5 },
    training: {},
  };
  const trainScores = train.map((order) => score(order.features, draft).probability);
  const trainLabels = train.map(labelOf);
  const reject = thresholdForPrecision(trainScores, trainLabels, thresholdPrecisionTargets.reject);
  const review = Math.min(reject, thresholdForPrecision(trainScores, trainLabels, thresholdPrecisionTargets.review));
  const model: RiskModel = {
    ...draft,
    thresholds: { review: round(review, 4), reject: round(Math.min(reject, 1), 4) },
    training: {
      data: 'generated (ml/data/order-generator.ts): not real orders',
      seed: options.seed,
      customers: options.customers,
      trainOrders: train.length,
      trainFraudRate: round(trainLabels.filter((label) => label === 1).length / train.length, 4),
      heldOutOrders: test.length,
      l2: options.training.l2,
      learningRate: options.training.learningRate,
      iterations: fitted.iterations,
      finalLoss: round(fitted.finalLoss),
      thresholdPrecisionTargets,
    },
  };
  return { model, train, test };
}

/** Today's rules as a score: above 1 exactly when assessRisk refuses; it ranks orders for the rules' ROC AUC. */
export function ruleScore(order: LabelledOrder, limits: RiskLimits = shippedRuleLimits): number {
  const maxAmount = limits.maxOrderAmount['EUR'] ?? limits.maxOrderAmount['*'] ?? Number.POSITIVE_INFINITY;
  return Math.max(order.amount / maxAmount, (order.ordersInLastHour + 1) / limits.maxOrdersPerHour.customer);
}

export function rulesRefuse(order: LabelledOrder, limits: RiskLimits = shippedRuleLimits): boolean {
  return !assessRisk({ amount: order.amount, currency: 'EUR' }, order.ordersInLastHour, limits, 'customer').approved;
}

const limitsOf = (maxOrderAmount: number, maxOrdersPerHour: number): RiskLimits => ({
  maxOrderAmount: { '*': maxOrderAmount },
  maxOrdersPerHour: { customer: maxOrdersPerHour, partner: shippedRuleLimits.maxOrdersPerHour.partner },
});

/**
 * The best limits for the rules that refuse at most `rate` of `orders`: for each velocity limit, the amount limit
 * spends what is left of the budget; the pair catching the most fraud wins. Tuned on the very orders they are then
 * measured on, which favours the rules.
 */
export function tuneRuleLimits(orders: readonly LabelledOrder[], rate: number): RiskLimits {
  const budget = Math.round(orders.length * rate);
  let best: { limits: RiskLimits; caught: number } | undefined;
  for (
    let maxOrdersPerHour = 1;
    maxOrdersPerHour <= shippedRuleLimits.maxOrdersPerHour.customer;
    maxOrdersPerHour += 1
  ) {
    const velocityOnly = limitsOf(Number.POSITIVE_INFINITY, maxOrdersPerHour);
    const rest = orders.filter((order) => !rulesRefuse(order, velocityOnly));
    const left = budget - (orders.length - rest.length);
    if (left < 0) continue;
    const amounts = rest.map((order) => order.amount).sort((a, b) => b - a);
    // Refuse the `left` largest remaining amounts: the limit sits on the next amount down (ties are let through).
    const maxOrderAmount = left >= amounts.length ? 0 : amounts[left]!;
    const limits = limitsOf(maxOrderAmount, maxOrdersPerHour);
    const caught = orders.filter((order) => order.fraud && rulesRefuse(order, limits)).length;
    if (!best || caught > best.caught) best = { limits, caught };
  }
  return best?.limits ?? shippedRuleLimits;
}

export interface RiskEvaluation {
  readonly orders: number;
  readonly fraudRate: number;
  readonly model: { readonly auc: number; readonly atReview: Confusion; readonly atReject: Confusion };
  /** The rules with limits tuned to refuse (at most) as many orders as the model sends to review. */
  readonly rulesAtSameRate: { readonly auc: number; readonly confusion: Confusion; readonly limits: RiskLimits };
  /** The rules with the shipped limits. */
  readonly rulesShipped: Confusion;
}

export function evaluateRisk(model: RiskModel, test: readonly LabelledOrder[]): RiskEvaluation {
  const labels = test.map(labelOf);
  const modelScores = test.map((order) => score(order.features, model).probability);
  const atReview = confusionAt(modelScores, labels, model.thresholds.review);
  const limits = tuneRuleLimits(test, atReview.flaggedRate);
  const flagsOf = (ruleLimits: RiskLimits) => test.map((order) => (rulesRefuse(order, ruleLimits) ? 1 : 0));
  return {
    orders: test.length,
    fraudRate: labels.filter((label) => label === 1).length / test.length,
    model: {
      auc: rocAuc(modelScores, labels),
      atReview,
      atReject: confusionAt(modelScores, labels, model.thresholds.reject),
    },
    rulesAtSameRate: {
      auc: rocAuc(
        test.map((order) => ruleScore(order, limits)),
        labels,
      ),
      confusion: confusionAt(flagsOf(limits), labels, 1),
      limits,
    },
    rulesShipped: confusionAt(flagsOf(shippedRuleLimits), labels, 1),
  };
}
