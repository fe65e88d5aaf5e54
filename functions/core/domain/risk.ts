import type { Money } from './money';
import type { CallerKind } from './tenancy';

/**
 * Explainable risk rules, checked before any stock is held or money is touched. Each rule that fires gives a
 * reason a support agent can read back to the customer.
 */
/** The limits come from the CheckRisk function's settings (RISK_* in functions/core/config/settings.ts). */
export interface RiskLimits {
  /** Largest order total per currency in minor units; `*` applies to currencies not listed. */
  readonly maxOrderAmount: Readonly<Record<string, number>>;
  /** Most orders one caller may place within an hour (this one included), by kind of caller. */
  readonly maxOrdersPerHour: Readonly<Record<CallerKind, number>>;
}

export interface RiskAssessment {
  readonly approved: boolean;
  readonly reasons: readonly string[];
}

export function assessRisk(
  total: Money,
  ordersInLastHour: number,
  limits: RiskLimits,
  callerKind: CallerKind,
): RiskAssessment {
  const reasons: string[] = [];
  const maxAmount = limits.maxOrderAmount[total.currency] ?? limits.maxOrderAmount['*'];
  if (maxAmount !== undefined && total.amount > maxAmount) {
    reasons.push(`order total ${total.amount} ${total.currency} exceeds the limit of ${maxAmount}`);
  }
  const maxOrders = limits.maxOrdersPerHour[callerKind];
  if (ordersInLastHour + 1 > maxOrders) {
    reasons.push(`more than ${maxOrders} orders within an hour`);
  }
  return { approved: reasons.length === 0, reasons };
}
