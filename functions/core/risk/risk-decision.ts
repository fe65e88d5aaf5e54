import { createHash } from 'node:crypto';
import type { Money } from '../domain/money';
import type { ShippingAddress } from '../domain/order';
import { assessRisk, type RiskLimits } from '../domain/risk';
import type { CallerKind } from '../domain/tenancy';
import type { RiskFeatures } from './features';
import { decide, parseRiskModel, score, type FeatureContribution, type RiskDecision, type RiskModel } from './model';
import bundledModel from './risk-model.json';

/**
 * One entry point for the CheckRisk step's decision: the fraud model when it is loaded and the order's features are
 * known, the static rules otherwise (the rules stay as the fallback). Partners' orders keep the rules: the model
 * learned from shoppers, and a partner's bulk, multi-address traffic would read as fraud to it.
 *
 * The configured limits (maximum amount, orders per hour) also stay a hard ceiling when the model decides: they are
 * an operator's explicit promise ("nothing above 10,000.00 goes through unseen"), which no score may overrule.
 */

export type RiskOutcome =
  | {
      readonly source: 'model';
      readonly decision: RiskDecision;
      readonly modelVersion: string;
      readonly probability: number;
      readonly topContributions: readonly FeatureContribution[];
    }
  | { readonly source: 'rules'; readonly decision: 'approve' | 'reject'; readonly reasons: readonly string[] };

export interface RiskDecisionInput {
  readonly total: Money;
  readonly ordersInLastHour: number;
  readonly limits: RiskLimits;
  readonly callerKind: CallerKind;
  readonly model?: RiskModel;
  readonly features?: RiskFeatures;
  /** Overrides the model's own thresholds (per environment configuration); each one left out keeps the model's. */
  readonly thresholds?: Partial<RiskModel['thresholds']>;
}

export function decideRisk(input: RiskDecisionInput): RiskOutcome {
  const { model, features } = input;
  const assessment = assessRisk(input.total, input.ordersInLastHour, input.limits, input.callerKind);
  if (model && features && input.callerKind === 'customer' && assessment.approved) {
    const thresholds = { ...model.thresholds, ...input.thresholds };
    const { modelVersion, probability, topContributions } = score(features, model);
    return { source: 'model', decision: decide(probability, thresholds), modelVersion, probability, topContributions };
  }
  return { source: 'rules', decision: assessment.approved ? 'approve' : 'reject', reasons: assessment.reasons };
}

/**
 * The model to score with, or undefined when none can be loaded: the file is missing, unreadable or invalid. The
 * CheckRisk step then decides by the static rules (and says so in every decision it records), rather than failing
 * every order because a model file is broken. `onError` reports why (a log line and a metric in the function).
 */
export function loadRiskModel(read: () => unknown, onError: (error: unknown) => void): RiskModel | undefined {
  try {
    return parseRiskModel(read());
  } catch (error) {
    onError(error);
    return undefined;
  }
}

let loaded: RiskModel | undefined;

/** The model shipped with the code, validated once per container (a bad file fails the first call loudly). */
export function bundledRiskModel(): RiskModel {
  loaded ??= parseRiskModel(bundledModel);
  return loaded;
}

/**
 * A stable fingerprint of where an order ships to, for the "new shipping address" feature without storing the
 * address again: the place only (recipient name and phone left out), case and spacing normalised, SHA-256, 16 hex.
 */
export function shippingAddressFingerprint(address: ShippingAddress): string {
  const place = [address.line1, address.line2, address.city, address.region, address.postalCode, address.country]
    .map((part) => (part ?? '').trim().toLowerCase().replace(/\s+/g, ' '))
    .join('|');
  return createHash('sha256').update(place).digest('hex').slice(0, 16);
}
