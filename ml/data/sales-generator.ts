import { createRandom, type Random } from '../lib/random';

/**
 * GENERATED daily sales, not real ones: a seeded simulation of units sold per product and day, to evaluate the
 * demand forecast. Each product has its own level (a few to tens of units a day), a slow linear trend (up to about
 * +-30 % a year), a weekly profile (most sell more at the weekend, some on weekdays), Poisson noise with a little
 * extra day-to-day variation, and occasional promotions (3-7 days, +30..100 %) that no model can foresee.
 */

export interface SalesGeneratorOptions {
  readonly seed: number;
  readonly products: number;
  readonly days: number;
}

export const defaultSalesGeneratorOptions: SalesGeneratorOptions = { seed: 17, products: 200, days: 392 };

export interface SalesHistory {
  readonly productId: string;
  /** Units sold per day, oldest first. */
  readonly units: readonly number[];
  /** The expected units per day before noise (what a perfect forecast would say outside promotions). */
  readonly expected: readonly number[];
}

const weekendProfile = [0.85, 0.9, 0.95, 1.0, 1.15, 1.35, 0.8];
const weekdayProfile = [1.15, 1.1, 1.05, 1.05, 1.0, 0.75, 0.6];

function salesHistory(random: Random, index: number, days: number): SalesHistory {
  const level = random.logNormal(15, 0.8);
  const slopePerDay = random.normal(0, 0.0008);
  const base = random.chance(0.75) ? weekendProfile : weekdayProfile;
  // Products differ in how strong their weekly pattern is.
  const strength = random.uniform(0.5, 1.5);
  const profile = base.map((factor) => 1 + strength * (factor - 1));
  const units: number[] = [];
  const expected: number[] = [];
  let promotionLeft = 0;
  let lift = 1;
  for (let day = 0; day < days; day += 1) {
    if (promotionLeft === 0 && random.chance(1 / 60)) {
      promotionLeft = random.integer(3, 7);
      lift = random.uniform(1.3, 2);
    }
    const mean = Math.max(0, level * (1 + slopePerDay * day) * profile[day % 7]!);
    expected.push(mean);
    const promoted = promotionLeft > 0 ? lift : 1;
    if (promotionLeft > 0) promotionLeft -= 1;
    units.push(random.poisson(mean * promoted * random.logNormal(1, 0.1)));
  }
  return { productId: `p${index}`, units, expected };
}

export function generateSalesHistories(options: Partial<SalesGeneratorOptions> = {}): SalesHistory[] {
  const { seed, products, days } = { ...defaultSalesGeneratorOptions, ...options };
  const random = createRandom(seed);
  return Array.from({ length: products }, (_, index) => salesHistory(random, index, days));
}
