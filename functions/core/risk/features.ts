/**
 * The fraud model's features: a pure function from an order and the customer's history summary to named numbers.
 * The same function feeds training (ml/train-risk.ts, on generated data) and, later, the CheckRisk step, so the
 * model never sees a feature computed two ways. Amounts are minor units of the order's currency.
 */

const hourMs = 3_600_000;
const dayMs = 24 * hourMs;

/** One earlier order of the customer, as much of it as the features need. */
export interface PastOrder {
  readonly placedAt: string;
  readonly amount: number;
  /** A fingerprint of the payment method (never the card number): equal fingerprints mean the same card. */
  readonly paymentMethod: string;
  /** A fingerprint of the normalised shipping address. */
  readonly shippingAddress: string;
}

/** What the features need to know about the customer before this order; `summarizeHistory` builds it. */
export interface CustomerHistorySummary {
  readonly accountCreatedAt: string;
  readonly orderCount: number;
  /** Median order amount so far (the customer's "usual"); undefined without earlier orders. */
  readonly usualAmount: number | undefined;
  readonly ordersLastHour: number;
  readonly ordersLastDay: number;
  /** Distinct shipping address fingerprints ever used. */
  readonly knownShippingAddresses: readonly string[];
  /** Distinct payment method fingerprints used in the last 30 days. */
  readonly paymentMethodsLast30Days: readonly string[];
}

/** The order being scored. */
export interface OrderSignals {
  readonly placedAt: string;
  readonly amount: number;
  readonly paymentMethod: string;
  readonly shippingAddress: string;
  /** ISO 3166-1 alpha-2 codes. The IP country comes from the edge (CloudFront/API Gateway geo header). */
  readonly billingCountry: string;
  readonly shippingCountry: string;
  readonly ipCountry: string;
}

export const featureNames = [
  'amountVsUsual',
  'logAmount',
  'ordersLastHour',
  'ordersLastDay',
  'accountAgeDays',
  'priorOrders',
  'newShippingAddress',
  'newPaymentMethod',
  'paymentMethods30Days',
  'ipBillingCountryMismatch',
  'shippingBillingCountryMismatch',
] as const;
export type FeatureName = (typeof featureNames)[number];
export type RiskFeatures = Readonly<Record<FeatureName, number>>;

/**
 * A customer without history has no "usual": the amount is then compared with this typical first order (100.00 in
 * major units), so the feature still says "large" for a first order of 5,000.00 without needing a per-currency table.
 */
export const typicalFirstOrderAmount = 10_000;

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Summarises the orders placed before `now` (later ones are ignored, so a replay scores as it did then). */
export function summarizeHistory(
  accountCreatedAt: string,
  orders: readonly PastOrder[],
  now: string,
): CustomerHistorySummary {
  const nowMs = Date.parse(now);
  const earlier = orders
    .map((order) => ({ ...order, atMs: Date.parse(order.placedAt) }))
    .filter((order) => order.atMs < nowMs);
  const within = (ms: number) => earlier.filter((order) => nowMs - order.atMs <= ms);
  return {
    accountCreatedAt,
    orderCount: earlier.length,
    usualAmount: median(earlier.map((order) => order.amount)),
    ordersLastHour: within(hourMs).length,
    ordersLastDay: within(dayMs).length,
    knownShippingAddresses: [...new Set(earlier.map((order) => order.shippingAddress))],
    paymentMethodsLast30Days: [...new Set(within(30 * dayMs).map((order) => order.paymentMethod))],
  };
}

const flag = (condition: boolean) => (condition ? 1 : 0);

/**
 * Counts and ratios are log-scaled: one order more matters between 0 and 3, much less between 30 and 33, and a
 * logistic regression is linear in its inputs.
 */
export function extractFeatures(order: OrderSignals, history: CustomerHistorySummary): RiskFeatures {
  const usual = history.usualAmount ?? typicalFirstOrderAmount;
  const ageDays = Math.max(0, Date.parse(order.placedAt) - Date.parse(history.accountCreatedAt)) / dayMs;
  const newPaymentMethod = !history.paymentMethodsLast30Days.includes(order.paymentMethod);
  return {
    amountVsUsual: Math.log((order.amount + 1) / (usual + 1)),
    logAmount: Math.log1p(order.amount / 100),
    ordersLastHour: Math.log1p(history.ordersLastHour),
    ordersLastDay: Math.log1p(history.ordersLastDay),
    accountAgeDays: Math.log1p(ageDays),
    priorOrders: Math.log1p(history.orderCount),
    newShippingAddress: flag(!history.knownShippingAddresses.includes(order.shippingAddress)),
    newPaymentMethod: flag(newPaymentMethod),
    paymentMethods30Days: history.paymentMethodsLast30Days.length + flag(newPaymentMethod),
    ipBillingCountryMismatch: flag(order.ipCountry !== order.billingCountry),
    shippingBillingCountryMismatch: flag(order.shippingCountry !== order.billingCountry),
  };
}
