import { mulberry32 } from '../../functions/core/seeded-random';
/**
 * A small seedable pseudo-random generator for the data generators: the same seed gives the same data set on every
 * machine and Node version (Math.random cannot be seeded). mulberry32 (Tommy Ettinger, public domain): 32-bit state,
 * period 2^32, good enough statistical quality for simulation, not for anything secret.
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  uniform(min: number, max: number): number;
  /** Integer in [min, max], both included. */
  integer(min: number, max: number): number;
  chance(probability: number): boolean;
  /** Standard normal draw scaled to mean/sd (Box-Muller). */
  normal(mean?: number, sd?: number): number;
  /** exp(normal(log(median), sigma)): positive, right-skewed, like order amounts. */
  logNormal(median: number, sigma: number): number;
  /** Exponential waiting time with the given mean. */
  exponential(mean: number): number;
  poisson(mean: number): number;
  pick<T>(items: readonly T[]): T;
  shuffle<T>(items: readonly T[]): T[];
}

export { mulberry32 };

export function createRandom(seed: number): Random {
  const next = mulberry32(seed);
  const random: Random = {
    next,
    uniform: (min, max) => min + (max - min) * next(),
    integer: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (probability) => next() < probability,
    normal: (mean = 0, sd = 1) => {
      // 1 - next() is in (0, 1]: log never sees 0.
      const u = 1 - next();
      const v = next();
      return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    logNormal: (median, sigma) => median * Math.exp(random.normal(0, sigma)),
    exponential: (mean) => -mean * Math.log(1 - next()),
    poisson: (mean) => {
      if (mean <= 0) return 0;
      // Knuth's method for small means; a rounded normal approximation above 30, where it is accurate enough here.
      if (mean > 30) return Math.max(0, Math.round(random.normal(mean, Math.sqrt(mean))));
      const limit = Math.exp(-mean);
      let count = 0;
      let product = next();
      while (product > limit) {
        count += 1;
        product *= next();
      }
      return count;
    },
    pick: (items) => {
      if (items.length === 0) throw new RangeError('cannot pick from an empty list');
      return items[Math.floor(next() * items.length)]!;
    },
    shuffle: (items) => {
      const copy = [...items];
      for (let i = copy.length - 1; i > 0; i -= 1) {
        const j = Math.floor(next() * (i + 1));
        [copy[i], copy[j]] = [copy[j]!, copy[i]!];
      }
      return copy;
    },
  };
  return random;
}
