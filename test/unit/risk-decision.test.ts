import { featureNames, type RiskFeatures } from '../../functions/core/risk/features';
import {
  bundledRiskModel,
  decideRisk,
  loadRiskModel,
  shippingAddressFingerprint,
} from '../../functions/core/risk/risk-decision';
import type { RiskLimits } from '../../functions/core/domain/risk';

const limits: RiskLimits = { maxOrderAmount: { '*': 50_000 }, maxOrdersPerHour: { customer: 3, partner: 100 } };
const quiet = Object.fromEntries(featureNames.map((name) => [name, 0])) as Record<
  (typeof featureNames)[number],
  number
>;
/** A first order of 900.00 to a new address, third card this month, IP abroad, two orders in the last hour. */
const suspicious: RiskFeatures = {
  ...quiet,
  amountVsUsual: Math.log(90_001 / 10_001),
  logAmount: Math.log(901),
  ordersLastHour: Math.log(3),
  ordersLastDay: Math.log(3),
  accountAgeDays: Math.log1p(0.1),
  priorOrders: Math.log(3),
  newShippingAddress: 1,
  newPaymentMethod: 1,
  paymentMethods30Days: 3,
  ipBillingCountryMismatch: 1,
};
/** A regular customer's usual order. */
const regular: RiskFeatures = {
  ...quiet,
  logAmount: Math.log(61),
  accountAgeDays: Math.log(401),
  priorOrders: Math.log(13),
  paymentMethods30Days: 1,
};

describe('the risk decision', () => {
  const model = bundledRiskModel();
  const base = {
    total: { amount: 45_000, currency: 'EUR' },
    ordersInLastHour: 0,
    limits,
    callerKind: 'customer' as const,
  };

  it('uses the shipped model for a customer when the features are known, and explains a high score', () => {
    const outcome = decideRisk({ ...base, model, features: suspicious });
    expect(outcome.source).toBe('model');
    if (outcome.source !== 'model') return;
    expect(outcome.decision).toBe('reject');
    expect(outcome.modelVersion).toBe(model.version);
    expect(outcome.topContributions.length).toBeGreaterThan(0);
    expect(outcome.topContributions.every((part) => part.contribution > 0)).toBe(true);

    const usual = decideRisk({ ...base, total: { amount: 6000, currency: 'EUR' }, model, features: regular });
    expect(usual).toMatchObject({ source: 'model', decision: 'approve' });
  });

  it('falls back to the static rules without a model or without features', () => {
    expect(decideRisk({ ...base, ordersInLastHour: 3, features: suspicious })).toEqual({
      source: 'rules',
      decision: 'reject',
      reasons: ['more than 3 orders within an hour'],
    });
    expect(decideRisk({ ...base, total: { amount: 100, currency: 'EUR' }, model })).toEqual({
      source: 'rules',
      decision: 'approve',
      reasons: [],
    });
  });

  it('keeps the configured limits as a ceiling the model cannot overrule, and applies threshold overrides', () => {
    const overLimit = decideRisk({ ...base, total: { amount: 60_000, currency: 'EUR' }, model, features: regular });
    expect(overLimit).toMatchObject({ source: 'rules', decision: 'reject' });
    const strict = decideRisk({ ...base, model, features: regular, thresholds: { review: 0, reject: 1e-9 } });
    expect(strict).toMatchObject({ source: 'model', decision: 'reject' });
  });

  it('loads no model from a missing or invalid file, and reports why', () => {
    const errors: unknown[] = [];
    expect(
      loadRiskModel(
        () => ({ version: 'x' }),
        (error) => errors.push(error),
      ),
    ).toBeUndefined();
    const missing = () => {
      throw new Error('ENOENT: no such file');
    };
    expect(loadRiskModel(missing, (error) => errors.push(error))).toBeUndefined();
    expect(errors).toHaveLength(2);
    expect(
      loadRiskModel(
        () => model,
        (error) => errors.push(error),
      ),
    ).toEqual(model);
  });

  it('keeps the rules for partners, whose traffic the model never learned', () => {
    const outcome = decideRisk({ ...base, callerKind: 'partner', ordersInLastHour: 0, model, features: suspicious });
    expect(outcome.source).toBe('rules');
  });
});

describe('the shipping address fingerprint', () => {
  const address = { name: 'Ada', line1: '1 High Street', city: 'London', postalCode: 'SW1A 1AA', country: 'GB' };

  it('is the same place whatever the case, spacing or recipient', () => {
    const fingerprint = shippingAddressFingerprint(address);
    expect(fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(shippingAddressFingerprint({ ...address, name: 'Bob', line1: ' 1  high street ', city: 'LONDON' })).toBe(
      fingerprint,
    );
    expect(shippingAddressFingerprint({ ...address, line1: '2 High Street' })).not.toBe(fingerprint);
  });
});
