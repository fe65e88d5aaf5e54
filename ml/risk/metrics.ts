/** Classification figures for the fraud model and the rules it replaces. Labels: 1 = fraud, 0 = legitimate. */

/**
 * ROC AUC as the probability that a random fraud scores above a random legitimate order (Mann-Whitney U, ties
 * counted half): exact, no curve sampling.
 */
export function rocAuc(scores: readonly number[], labels: readonly number[]): number {
  const order = scores.map((value, index) => ({ value, label: labels[index]! })).sort((a, b) => a.value - b.value);
  let positives = 0;
  let rankSum = 0;
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end < order.length && order[end]!.value === order[start]!.value) end += 1;
    // Ranks start..end-1 (1-based: start+1..end) share their average.
    const averageRank = (start + 1 + end) / 2;
    for (let k = start; k < end; k += 1) {
      if (order[k]!.label === 1) {
        positives += 1;
        rankSum += averageRank;
      }
    }
    start = end;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

export interface Confusion {
  readonly flagged: number;
  readonly flaggedRate: number;
  readonly precision: number;
  readonly recall: number;
}

/** Orders with a score at or above the threshold are flagged. */
export function confusionAt(scores: readonly number[], labels: readonly number[], threshold: number): Confusion {
  let flagged = 0;
  let truePositives = 0;
  let positives = 0;
  scores.forEach((value, index) => {
    const fraud = labels[index] === 1;
    if (fraud) positives += 1;
    if (value >= threshold) {
      flagged += 1;
      if (fraud) truePositives += 1;
    }
  });
  return {
    flagged,
    flaggedRate: scores.length === 0 ? 0 : flagged / scores.length,
    precision: flagged === 0 ? Number.NaN : truePositives / flagged,
    recall: positives === 0 ? Number.NaN : truePositives / positives,
  };
}

/** The threshold that flags (about) `rate` of the orders: the score at that quantile from the top. */
export function thresholdForRate(scores: readonly number[], rate: number): number {
  const sorted = [...scores].sort((a, b) => b - a);
  const count = Math.max(1, Math.round(sorted.length * rate));
  return sorted[Math.min(count, sorted.length) - 1]!;
}

/** The lowest threshold whose precision reaches `target` (scanning from the top); +Infinity if none does. */
export function thresholdForPrecision(scores: readonly number[], labels: readonly number[], target: number): number {
  const order = scores.map((value, index) => ({ value, label: labels[index]! })).sort((a, b) => b.value - a.value);
  let truePositives = 0;
  let best = Number.POSITIVE_INFINITY;
  order.forEach((item, index) => {
    if (item.label === 1) truePositives += 1;
    const nextDiffers = index === order.length - 1 || order[index + 1]!.value !== item.value;
    if (nextDiffers && truePositives / (index + 1) >= target) best = item.value;
  });
  return best;
}
