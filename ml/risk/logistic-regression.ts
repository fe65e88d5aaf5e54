import { sigmoid } from '../../functions/core/risk/model';

/**
 * Logistic regression by full-batch gradient descent on the mean log-loss plus an L2 penalty (the bias is not
 * penalised), over standardised features so one learning rate suits every feature. Deterministic: no random
 * initialisation, no shuffling.
 */
export interface TrainingOptions {
  readonly l2: number;
  readonly learningRate: number;
  readonly maxIterations: number;
  /** Stop when the gradient's largest component falls below this. */
  readonly tolerance: number;
}

export const defaultTrainingOptions: TrainingOptions = {
  l2: 0.001,
  learningRate: 2,
  maxIterations: 5000,
  tolerance: 1e-4,
};

export interface Standardisation {
  readonly means: number[];
  readonly stds: number[];
}

export interface FittedLogisticRegression extends Standardisation {
  readonly weights: number[];
  readonly bias: number;
  readonly iterations: number;
  readonly finalLoss: number;
}

export function standardisation(rows: readonly (readonly number[])[]): Standardisation {
  const width = rows[0]?.length ?? 0;
  const means = Array.from({ length: width }, (_, j) => rows.reduce((sum, row) => sum + row[j]!, 0) / rows.length);
  const stds = means.map((mean, j) => {
    const variance = rows.reduce((sum, row) => sum + (row[j]! - mean) ** 2, 0) / rows.length;
    // A constant feature gets std 1: it then contributes nothing rather than dividing by zero.
    return variance > 1e-12 ? Math.sqrt(variance) : 1;
  });
  return { means, stds };
}

export function trainLogisticRegression(
  rows: readonly (readonly number[])[],
  labels: readonly number[],
  options: TrainingOptions = defaultTrainingOptions,
): FittedLogisticRegression {
  if (rows.length === 0 || rows.length !== labels.length) throw new RangeError('need as many labels as rows (> 0)');
  const { means, stds } = standardisation(rows);
  const width = means.length;
  const n = rows.length;
  // One flat typed array, row after row: the loop below runs n x width x iterations times, and this keeps it fast.
  const x = new Float64Array(n * width);
  rows.forEach((row, i) => row.forEach((value, j) => (x[i * width + j] = (value - means[j]!) / stds[j]!)));
  const weights = new Array<number>(width).fill(0);
  // Local bindings: the loop runs n x iterations times, and a global lookup of Math inside a sandbox (as Jest
  // runs tests) or a CommonJS-compiled import's getter on every call makes training several times slower.
  const { log, max } = Math;
  const logistic = sigmoid;
  let bias = 0;
  let iterations = 0;
  let finalLoss = Number.NaN;
  for (; iterations < options.maxIterations; iterations += 1) {
    const gradient = new Array<number>(width).fill(0);
    let gradientBias = 0;
    let loss = 0;
    for (let i = 0; i < n; i += 1) {
      const offset = i * width;
      let logit = bias;
      for (let j = 0; j < width; j += 1) logit += weights[j]! * x[offset + j]!;
      const p = logistic(logit);
      const error = p - labels[i]!;
      loss -= labels[i]! === 1 ? log(max(p, 1e-15)) : log(max(1 - p, 1e-15));
      gradientBias += error;
      for (let j = 0; j < width; j += 1) gradient[j]! += error * x[offset + j]!;
    }
    let largest = Math.abs(gradientBias / n);
    for (let j = 0; j < width; j += 1) {
      gradient[j] = gradient[j]! / n + options.l2 * weights[j]!;
      largest = Math.max(largest, Math.abs(gradient[j]!));
    }
    finalLoss = loss / n + (options.l2 / 2) * weights.reduce((sum, weight) => sum + weight * weight, 0);
    if (largest < options.tolerance) break;
    bias -= options.learningRate * (gradientBias / n);
    for (let j = 0; j < width; j += 1) weights[j] = weights[j]! - options.learningRate * gradient[j]!;
  }
  return { means, stds, weights, bias, iterations, finalLoss };
}
