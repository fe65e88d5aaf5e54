import type { Money } from './money';

/**
 * Explainable risk rules, checked before any stock is held or money is touched. Each rule that fires gives a
 * reason a support agent can read back to the customer.
 */
export interface RiskLimits {
  /** Largest order total per currency in minor units; `*` applies to currencies not listed. */
  readonly maxOrderAmount: Readonly<Record<string, number>>;
  /** Most orders one customer may place within an hour (this one included). */
  readonly maxOrdersPerHour: number;
}

export interface RiskAssessment {
  readonly approved: boolean;
  readonly reasons: readonly string[];
}

export function assessRisk(total: Money, ordersInLastHour: number, limits: RiskLimits): RiskAssessment {
  const reasons: string[] = [];
  const maxAmount = limits.maxOrderAmount[total.currency] ?? limits.maxOrderAmount['*'];
  if (maxAmount !== undefined && total.amount > maxAmount) {
    reasons.push(`order total ${total.amount} ${total.currency} exceeds the limit of ${maxAmount}`);
  }
  if (ordersInLastHour + 1 > limits.maxOrdersPerHour) {
    reasons.push(`more than ${limits.maxOrdersPerHour} orders within an hour`);
  }
  return { approved: reasons.length === 0, reasons };
}

export const defaultRiskLimits: RiskLimits = { maxOrderAmount: { '*': 1_000_000 }, maxOrdersPerHour: 20 };

/** The variables that carry the limits to the CheckRisk function (set by CDK and by the local runtime). */
export const riskEnvNames = {
  maxOrderAmount: 'RISK_MAX_ORDER_AMOUNT',
  maxOrdersPerHour: 'RISK_MAX_ORDERS_PER_HOUR',
} as const;

/** Reads the limits from RISK_MAX_ORDER_AMOUNT (JSON map currency → minor units) and RISK_MAX_ORDERS_PER_HOUR. */
export function riskLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): RiskLimits {
  const rawAmounts = env[riskEnvNames.maxOrderAmount];
  const amounts = rawAmounts ? (JSON.parse(rawAmounts) as unknown) : undefined;
  if (amounts !== undefined) {
    const valid =
      amounts !== null &&
      typeof amounts === 'object' &&
      Object.values(amounts).every((value) => Number.isInteger(value) && (value as number) >= 0);
    if (!valid) throw new Error('RISK_MAX_ORDER_AMOUNT must be a JSON object of currency → integer minor units');
  }
  const rawPerHour = env[riskEnvNames.maxOrdersPerHour];
  const perHour = rawPerHour ? Number(rawPerHour) : undefined;
  if (perHour !== undefined && (!Number.isInteger(perHour) || perHour < 1)) {
    throw new Error('RISK_MAX_ORDERS_PER_HOUR must be an integer >= 1');
  }
  return {
    maxOrderAmount: (amounts as Record<string, number> | undefined) ?? defaultRiskLimits.maxOrderAmount,
    maxOrdersPerHour: perHour ?? defaultRiskLimits.maxOrdersPerHour,
  };
}
