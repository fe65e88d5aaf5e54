import * as z from 'zod/mini';
import { featureNames, type FeatureName, type RiskFeatures } from './features';

/**
 * In-process inference of the fraud model: a logistic regression over standardised features, shipped as a small
 * versioned JSON file (risk-model.json, written by `npm run train:risk`). No dependency beyond zod/mini, so it costs
 * the CheckRisk function nothing at cold start.
 */

const finite = z.number().check(z.refine(Number.isFinite, 'must be a finite number'));
const probability = z.number().check(z.gte(0), z.lte(1));

export const riskModelSchema = z
  .object({
    version: z.string().check(z.minLength(1)),
    kind: z.literal('logistic-regression'),
    features: z.array(
      z.object({ name: z.enum(featureNames), mean: finite, std: finite.check(z.positive()), weight: finite }),
    ),
    bias: finite,
    thresholds: z.object({ review: probability, reject: probability }),
    training: z.record(z.string(), z.unknown()),
  })
  .check(
    z.refine((model) => model.thresholds.review <= model.thresholds.reject, 'the review threshold exceeds reject'),
    z.refine(
      (model) => new Set(model.features.map((feature) => feature.name)).size === model.features.length,
      'a feature is listed twice',
    ),
  );
export type RiskModel = z.infer<typeof riskModelSchema>;

/** Validates a model file's content (throws a ZodError naming the bad field). */
export function parseRiskModel(json: unknown): RiskModel {
  return riskModelSchema.parse(json);
}

export type RiskDecision = 'approve' | 'review' | 'reject';

export interface FeatureContribution {
  readonly feature: FeatureName;
  readonly value: number;
  /** Added to the log-odds of fraud by this feature's distance from the training mean. */
  readonly contribution: number;
}

export interface RiskScore {
  readonly modelVersion: string;
  readonly probability: number;
  readonly decision: RiskDecision;
  /** The features that pushed the score up the most, strongest first: what support reads back to explain it. */
  readonly topContributions: readonly FeatureContribution[];
}

// Bound once: training calls sigmoid millions of times, and a global lookup of Math is slow inside a sandbox.
const { exp } = Math;

export function sigmoid(logit: number): number {
  // Written for both signs so a very negative logit does not overflow exp.
  if (logit >= 0) return 1 / (1 + exp(-logit));
  const e = exp(logit);
  return e / (1 + e);
}

export function decide(probability: number, thresholds: RiskModel['thresholds']): RiskDecision {
  if (probability >= thresholds.reject) return 'reject';
  if (probability >= thresholds.review) return 'review';
  return 'approve';
}

export function contributions(features: RiskFeatures, model: RiskModel): FeatureContribution[] {
  return model.features.map(({ name, mean, std, weight }) => ({
    feature: name,
    value: features[name],
    contribution: (weight * (features[name] - mean)) / std,
  }));
}

/** The probability of fraud, its decision and up to `top` features that raised it. */
export function score(features: RiskFeatures, model: RiskModel, top = 3): RiskScore {
  const parts = contributions(features, model);
  const logit = parts.reduce((sum, part) => sum + part.contribution, model.bias);
  const probability = sigmoid(logit);
  return {
    modelVersion: model.version,
    probability,
    decision: decide(probability, model.thresholds),
    topContributions: parts
      .filter((part) => part.contribution > 0)
      .sort((a, b) => b.contribution - a.contribution)
      .slice(0, top),
  };
}
