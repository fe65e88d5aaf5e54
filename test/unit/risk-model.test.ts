import { generateOrders, splitByCustomer } from '../../ml/data/order-generator';
import { createRandom, mulberry32 } from '../../ml/lib/random';
import { trainLogisticRegression } from '../../ml/risk/logistic-regression';
import { confusionAt, rocAuc, thresholdForPrecision } from '../../ml/risk/metrics';
import {
  defaultRiskTrainingOptions,
  evaluateRisk,
  rulesRefuse,
  ruleScore,
  shippedRuleLimits,
  trainRiskModel,
  tuneRuleLimits,
} from '../../ml/risk/risk-training';
import {
  extractFeatures,
  featureNames,
  summarizeHistory,
  typicalFirstOrderAmount,
  type OrderSignals,
  type PastOrder,
} from '../../functions/core/risk/features';
import { parseRiskModel, score, sigmoid, type RiskModel } from '../../functions/core/risk/model';
import shippedModel from '../../functions/core/risk/risk-model.json';

const at = (minutesAfter: number) =>
  new Date(Date.parse('2026-03-01T12:00:00.000Z') + minutesAfter * 60_000).toISOString();

const order = (overrides: Partial<OrderSignals> = {}): OrderSignals => ({
  placedAt: at(0),
  amount: 12_000,
  paymentMethod: 'card-a',
  shippingAddress: 'home',
  billingCountry: 'GB',
  shippingCountry: 'GB',
  ipCountry: 'GB',
  ...overrides,
});

const past = (
  minutesBefore: number,
  amount: number,
  paymentMethod = 'card-a',
  shippingAddress = 'home',
): PastOrder => ({
  placedAt: at(-minutesBefore),
  amount,
  paymentMethod,
  shippingAddress,
});

describe('the seeded generators', () => {
  it('mulberry32 gives the same sequence for a seed and another for another seed', () => {
    const first = mulberry32(42);
    const again = mulberry32(42);
    const other = mulberry32(43);
    const a = [first(), first(), first()];
    expect([again(), again(), again()]).toEqual(a);
    expect([other(), other(), other()]).not.toEqual(a);
    a.forEach((value) => expect(value >= 0 && value < 1).toBe(true));
  });

  it('draws integers within their bounds, both included', () => {
    const random = createRandom(1);
    const seen = new Set(Array.from({ length: 500 }, () => random.integer(2, 4)));
    expect([...seen].sort()).toEqual([2, 3, 4]);
  });

  it('generates the same labelled orders for the same seed, and different ones for another', () => {
    const one = generateOrders({ seed: 5, customers: 150 });
    expect(generateOrders({ seed: 5, customers: 150 })).toEqual(one);
    expect(generateOrders({ seed: 6, customers: 150 })).not.toEqual(one);
  });

  it('generates every fraud pattern beside legitimate orders, fraud a small minority', () => {
    const orders = generateOrders({ seed: 17, customers: 1500 });
    const patterns = new Set(orders.map((generated) => generated.pattern));
    expect([...patterns].sort()).toEqual(['account-takeover', 'legitimate', 'new-account', 'subtle']);
    const fraudRate = orders.filter((generated) => generated.fraud).length / orders.length;
    expect(fraudRate).toBeGreaterThan(0.005);
    expect(fraudRate).toBeLessThan(0.05);
  });

  it('keeps each customer on one side of the split', () => {
    const { train, test } = splitByCustomer(generateOrders({ seed: 3, customers: 300 }), 3);
    const trainCustomers = new Set(train.map((generated) => generated.customerId));
    expect(test.some((generated) => trainCustomers.has(generated.customerId))).toBe(false);
    expect(test.length / (train.length + test.length)).toBeGreaterThan(0.2);
  });
});

describe('risk features', () => {
  it('summarises only the orders placed before the scored one', () => {
    const history = summarizeHistory(
      '2025-01-01T00:00:00.000Z',
      [past(30, 1000), past(120, 3000, 'card-b'), past(60 * 24 * 40, 2000, 'card-old', 'old-home'), past(-5, 99_999)],
      at(0),
    );
    expect(history).toEqual({
      accountCreatedAt: '2025-01-01T00:00:00.000Z',
      orderCount: 3,
      usualAmount: 2000,
      ordersLastHour: 1,
      ordersLastDay: 2,
      knownShippingAddresses: ['home', 'old-home'],
      paymentMethodsLast30Days: ['card-a', 'card-b'],
    });
  });

  it('computes every named feature of a hand-made stolen-card order', () => {
    const history = summarizeHistory(
      at(-60 * 24 * 10),
      [past(20, 2000), past(40, 2000), past(60 * 20, 2000, 'card-b')],
      at(0),
    );
    const features = extractFeatures(
      order({
        amount: 20_000,
        paymentMethod: 'card-x',
        shippingAddress: 'drop',
        ipCountry: 'NL',
        shippingCountry: 'FR',
      }),
      history,
    );
    expect(Object.keys(features)).toEqual([...featureNames]);
    expect(features.amountVsUsual).toBeCloseTo(Math.log(20_001 / 2001), 10);
    expect(features.logAmount).toBeCloseTo(Math.log(201), 10);
    expect(features.ordersLastHour).toBeCloseTo(Math.log(3), 10);
    expect(features.ordersLastDay).toBeCloseTo(Math.log(4), 10);
    expect(features.accountAgeDays).toBeCloseTo(Math.log(11), 10);
    expect(features.priorOrders).toBeCloseTo(Math.log(4), 10);
    expect(features.newShippingAddress).toBe(1);
    expect(features.newPaymentMethod).toBe(1);
    expect(features.paymentMethods30Days).toBe(3);
    expect(features.ipBillingCountryMismatch).toBe(1);
    expect(features.shippingBillingCountryMismatch).toBe(1);
  });

  it('scores a familiar order as unremarkable, and compares a first order with the typical first order', () => {
    const regular = extractFeatures(
      order({ amount: 2000 }),
      summarizeHistory(at(-60 * 24 * 365), [past(60 * 24 * 20, 2000)], at(0)),
    );
    expect(regular).toMatchObject({
      amountVsUsual: 0,
      newShippingAddress: 0,
      newPaymentMethod: 0,
      paymentMethods30Days: 1,
      ipBillingCountryMismatch: 0,
      shippingBillingCountryMismatch: 0,
      ordersLastHour: 0,
    });
    const first = extractFeatures(order({ amount: typicalFirstOrderAmount }), summarizeHistory(at(-5), [], at(0)));
    expect(first.amountVsUsual).toBe(0);
    expect(first.priorOrders).toBe(0);
    expect(first.newShippingAddress).toBe(1);
    expect(first.accountAgeDays).toBeCloseTo(Math.log1p(5 / (60 * 24)), 10);
  });
});

describe('scoring with a JSON model', () => {
  const model: RiskModel = parseRiskModel({
    version: 'test-1',
    kind: 'logistic-regression',
    features: featureNames
      .map((name) => ({ name, mean: 0, std: 1, weight: 0 }))
      .map((feature) =>
        feature.name === 'amountVsUsual'
          ? { ...feature, mean: 1, std: 2, weight: 3 }
          : feature.name === 'newPaymentMethod'
            ? { ...feature, weight: 1.5 }
            : feature.name === 'priorOrders'
              ? { ...feature, weight: -1 }
              : feature,
      ),
    bias: -2,
    thresholds: { review: 0.3, reject: 0.9 },
    training: {},
  });
  const features = Object.fromEntries(featureNames.map((name) => [name, 0])) as Record<
    (typeof featureNames)[number],
    number
  >;

  it('computes the probability from standardised features, weights and bias, and names what raised it', () => {
    const result = score({ ...features, amountVsUsual: 3, newPaymentMethod: 1, priorOrders: 2 }, model);
    // logit = -2 + 3 * (3 - 1) / 2 + 1.5 * 1 - 1 * 2 = 0.5
    expect(result.probability).toBeCloseTo(1 / (1 + Math.exp(-0.5)), 12);
    expect(result.decision).toBe('review');
    expect(result.modelVersion).toBe('test-1');
    expect(result.topContributions).toEqual([
      { feature: 'amountVsUsual', value: 3, contribution: 3 },
      { feature: 'newPaymentMethod', value: 1, contribution: 1.5 },
    ]);
  });

  it('decides approve, review and reject at the thresholds', () => {
    expect(score({ ...features }, model).decision).toBe('approve');
    expect(score({ ...features, amountVsUsual: 1 + (2 * (2 + Math.log(9))) / 3 }, model).decision).toBe('reject');
  });

  it('refuses a model file with a missing threshold, an unknown feature or a zero std', () => {
    expect(() => parseRiskModel({ ...model, thresholds: { review: 0.5 } })).toThrow();
    expect(() => parseRiskModel({ ...model, features: [{ name: 'shoeSize', mean: 0, std: 1, weight: 1 }] })).toThrow();
    expect(() => parseRiskModel({ ...model, features: [{ name: 'logAmount', mean: 0, std: 0, weight: 1 }] })).toThrow();
    expect(() => parseRiskModel({ ...model, thresholds: { review: 0.9, reject: 0.3 } })).toThrow();
  });

  it('keeps the sigmoid finite at extreme logits', () => {
    expect(sigmoid(-1000)).toBe(0);
    expect(sigmoid(1000)).toBe(1);
    expect(sigmoid(0)).toBe(0.5);
  });

  it('the checked-in model is valid, covers every feature and is what training with its seed writes', () => {
    const shipped = parseRiskModel(shippedModel);
    expect(shipped.features.map((feature) => feature.name)).toEqual([...featureNames]);
    expect(shipped.training['data']).toMatch(/generated/);
    const { model: retrained } = trainRiskModel(defaultRiskTrainingOptions);
    expect(JSON.parse(JSON.stringify(retrained))).toEqual(shippedModel);
  });
});

describe('training and evaluation', () => {
  it('recovers known weights from data drawn from a logistic model', () => {
    const random = createRandom(9);
    const rows = Array.from({ length: 4000 }, () => [random.normal(), random.normal(3, 2)]);
    const labels = rows.map(([x1, x2]) => (random.next() < sigmoid(-1 + 2 * x1! - 0.5 * (x2! - 3)) ? 1 : 0));
    const fit = trainLogisticRegression(rows, labels, { l2: 0, learningRate: 1, maxIterations: 5000, tolerance: 1e-6 });
    // Weights are per standard deviation: x2's true -0.5 per unit is -1 per std of 2.
    expect(fit.weights[0]).toBeCloseTo(2, 0);
    expect(fit.weights[1]! / fit.stds[1]!).toBeCloseTo(-0.5, 1);
    expect(fit.bias).toBeCloseTo(-1, 0);
  });

  it('computes ROC AUC with ties counted half, and precision and recall at a threshold', () => {
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.75, 12);
    expect(rocAuc([0.5, 0.5], [0, 1])).toBe(0.5);
    expect(confusionAt([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1], 0.35)).toEqual({
      flagged: 3,
      flaggedRate: 0.75,
      precision: 2 / 3,
      recall: 1,
    });
    expect(thresholdForPrecision([0.9, 0.8, 0.7, 0.6], [1, 0, 1, 0], 0.6)).toBe(0.7);
  });

  it('scores the rules exactly as CheckRisk applies them', () => {
    const orders = generateOrders({ seed: 2, customers: 200 });
    for (const generated of orders) expect(ruleScore(generated) > 1).toBe(rulesRefuse(generated));
    const tuned = tuneRuleLimits(orders, 0.05);
    expect(orders.filter((generated) => rulesRefuse(generated, tuned)).length).toBeLessThanOrEqual(
      Math.round(orders.length * 0.05),
    );
    expect(tuned).not.toEqual(shippedRuleLimits);
  });

  it('reaches a held-out ROC AUC of at least 0.9 on the generated data, beating the rules at the same review rate', () => {
    const { model, test } = trainRiskModel({ ...defaultRiskTrainingOptions, seed: 23, customers: 1500 });
    const evaluation = evaluateRisk(model, test);
    expect(evaluation.model.auc).toBeGreaterThanOrEqual(0.9);
    expect(evaluation.model.auc).toBeGreaterThan(evaluation.rulesAtSameRate.auc);
    expect(evaluation.model.atReview.precision).toBeGreaterThan(evaluation.rulesAtSameRate.confusion.precision);
    expect(evaluation.rulesAtSameRate.confusion.flaggedRate).toBeLessThanOrEqual(
      evaluation.model.atReview.flaggedRate + 1e-9,
    );
    expect(model.thresholds.review).toBeLessThanOrEqual(model.thresholds.reject);
  });
});
