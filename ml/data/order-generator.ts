import {
  extractFeatures,
  summarizeHistory,
  type OrderSignals,
  type PastOrder,
  type RiskFeatures,
} from '../../functions/core/risk/features';
import { createRandom, type Random } from '../lib/random';

/**
 * GENERATED data, not real orders: a seeded simulation of customers and fraud, so the fraud model can be trained
 * and evaluated without any personal data. docs/models.md describes the patterns. Every order's features come from
 * the real feature extraction over the customer's simulated history, as they will in the CheckRisk step.
 *
 * Legitimate customers order at their own pace around their own usual amount, mostly with one card and one
 * address, sometimes with a second card, a work address, a gift address, abroad (travel or a VPN), a big purchase
 * or a quick second order. Fraud comes in three patterns:
 *   - account-takeover: a stolen card on an existing account: a burst of orders well above the usual amount, to a
 *     new address, often from another country's IP, with one or several new cards;
 *   - new-account: an account opened hours before a burst of large orders with several cards;
 *   - subtle: one order at a normal amount with a stolen card and little else, the noise that keeps the problem
 *     from being separable.
 */

export type Pattern = 'legitimate' | 'account-takeover' | 'new-account' | 'subtle';

export interface LabelledOrder {
  readonly orderId: string;
  readonly customerId: string;
  readonly placedAt: string;
  /** Minor units (EUR). */
  readonly amount: number;
  /** Earlier orders of the customer in the hour before: what today's velocity rule counts. */
  readonly ordersInLastHour: number;
  readonly features: RiskFeatures;
  readonly fraud: boolean;
  readonly pattern: Pattern;
}

export interface OrderGeneratorOptions {
  readonly seed: number;
  readonly customers: number;
  readonly days: number;
  readonly start: string;
}

export const defaultOrderGeneratorOptions: OrderGeneratorOptions = {
  seed: 17,
  customers: 4000,
  days: 120,
  start: '2026-01-01T00:00:00.000Z',
};

const minuteMs = 60_000;
const dayMs = 24 * 60 * minuteMs;
const countries = ['GB', 'DE', 'FR', 'NL', 'ES', 'IT', 'IE', 'US'] as const;

interface Customer {
  readonly id: string;
  readonly country: string;
  readonly createdAtMs: number;
  readonly usualAmount: number;
  /** Mean days between orders. */
  readonly meanGapDays: number;
}

interface DraftOrder extends OrderSignals {
  readonly fraud: boolean;
  readonly pattern: Pattern;
}

function otherCountry(random: Random, country: string): string {
  return random.pick(countries.filter((candidate) => candidate !== country));
}

function legitimateOrders(random: Random, customer: Customer, startMs: number, endMs: number): DraftOrder[] {
  const orders: DraftOrder[] = [];
  let newCards = 0;
  let giftAddresses = 0;
  let atMs = Math.max(startMs, customer.createdAtMs) + random.exponential(customer.meanGapDays * dayMs);
  while (atMs < endMs) {
    const burst = random.chance(0.04) ? random.integer(1, 3) : 0;
    for (let extra = 0; extra <= burst; extra += 1) {
      const placedMs = atMs + extra * random.uniform(3, 40) * minuteMs;
      const paymentDraw = random.next();
      const paymentMethod =
        paymentDraw < 0.88 ? 'card-1' : paymentDraw < 0.97 ? 'card-2' : `card-new-${(newCards += 1)}`;
      const addressDraw = random.next();
      const gift = addressDraw >= 0.95;
      const shippingAddress = addressDraw < 0.87 ? 'home' : gift ? `gift-${(giftAddresses += 1)}` : 'work';
      const bigPurchase = random.chance(0.03) ? random.uniform(3, 8) : 1;
      orders.push({
        placedAt: new Date(placedMs).toISOString(),
        amount: Math.round(customer.usualAmount * bigPurchase * random.logNormal(1, 0.45)),
        paymentMethod: `${customer.id}:${paymentMethod}`,
        shippingAddress: `${customer.id}:${shippingAddress}`,
        billingCountry: customer.country,
        shippingCountry: gift && random.chance(0.3) ? otherCountry(random, customer.country) : customer.country,
        ipCountry: random.chance(0.07) ? otherCountry(random, customer.country) : customer.country,
        fraud: false,
        pattern: 'legitimate',
      });
    }
    atMs += random.exponential(customer.meanGapDays * dayMs);
  }
  return orders;
}

/** A fraudster's burst of `count` orders from `atMs`, spaced minutes apart. */
function fraudBurst(
  random: Random,
  customer: Customer,
  atMs: number,
  count: number,
  pattern: Pattern,
  amount: () => number,
): DraftOrder[] {
  const tag = `${customer.id}:fraud-${Math.round(atMs)}`;
  const shippingAddress = random.chance(0.9) ? `${tag}:drop` : `${customer.id}:home`;
  const shippingCountry = random.chance(0.3) ? otherCountry(random, customer.country) : customer.country;
  const ipCountry = random.chance(0.6) ? otherCountry(random, customer.country) : customer.country;
  const cardPerOrder = random.chance(0.5);
  const orders: DraftOrder[] = [];
  let placedMs = atMs;
  for (let index = 0; index < count; index += 1) {
    orders.push({
      placedAt: new Date(placedMs).toISOString(),
      amount: Math.round(amount()),
      paymentMethod: `${tag}:stolen-${cardPerOrder ? index : 0}`,
      shippingAddress,
      billingCountry: customer.country,
      shippingCountry,
      ipCountry,
      fraud: true,
      pattern,
    });
    placedMs += random.uniform(2, 25) * minuteMs;
  }
  return orders;
}

function newCustomer(random: Random, index: number, startMs: number, days: number): Customer {
  const openedBefore = random.chance(0.8);
  return {
    id: `c${index}`,
    country: random.pick(countries),
    createdAtMs: openedBefore
      ? startMs - random.uniform(1, 1500) * dayMs
      : startMs + random.uniform(0, days * 0.9) * dayMs,
    usualAmount: random.logNormal(6000, 0.8),
    meanGapDays: random.logNormal(15, 0.7),
  };
}

/** Labels and features for one customer's orders, in time order, each summarised over the orders before it. */
function labelled(customer: Customer, drafts: DraftOrder[]): LabelledOrder[] {
  const sorted = [...drafts].sort((a, b) => Date.parse(a.placedAt) - Date.parse(b.placedAt));
  const accountCreatedAt = new Date(customer.createdAtMs).toISOString();
  const past: PastOrder[] = [];
  return sorted.map((draft, index) => {
    const history = summarizeHistory(accountCreatedAt, past, draft.placedAt);
    past.push(draft);
    return {
      orderId: `${customer.id}-${index + 1}`,
      customerId: customer.id,
      placedAt: draft.placedAt,
      amount: draft.amount,
      ordersInLastHour: history.ordersLastHour,
      features: extractFeatures(draft, history),
      fraud: draft.fraud,
      pattern: draft.pattern,
    };
  });
}

/** The whole generated data set, deterministic for `options.seed`. */
export function generateOrders(options: Partial<OrderGeneratorOptions> = {}): LabelledOrder[] {
  const { seed, customers, days, start } = { ...defaultOrderGeneratorOptions, ...options };
  const random = createRandom(seed);
  const startMs = Date.parse(start);
  const endMs = startMs + days * dayMs;
  const orders: LabelledOrder[] = [];
  for (let index = 0; index < customers; index += 1) {
    const customer = newCustomer(random, index, startMs, days);
    const drafts = legitimateOrders(random, customer, startMs, endMs);
    const fromMs = Math.max(startMs, customer.createdAtMs);
    const draw = random.next();
    if (draw < 0.05 && customer.createdAtMs < startMs) {
      const atMs = random.uniform(fromMs, endMs);
      drafts.push(
        ...fraudBurst(random, customer, atMs, random.integer(1, 5), 'account-takeover', () =>
          random.logNormal(customer.usualAmount * 4, 0.7),
        ),
      );
    } else if (draw < 0.065) {
      const atMs = random.uniform(fromMs, endMs);
      drafts.push(
        ...fraudBurst(random, customer, atMs, 1, 'subtle', () => random.logNormal(customer.usualAmount, 0.45)),
      );
    }
    orders.push(...labelled(customer, drafts));
  }
  // Accounts opened to commit fraud: fresh, no history, a burst soon after sign-up.
  const fraudsters = Math.round(customers * 0.015);
  for (let index = 0; index < fraudsters; index += 1) {
    const createdAtMs = startMs + random.uniform(0, days - 4) * dayMs;
    const fraudster: Customer = {
      id: `f${index}`,
      country: random.pick(countries),
      createdAtMs,
      usualAmount: random.logNormal(20_000, 0.6),
      meanGapDays: 0,
    };
    const atMs = createdAtMs + random.uniform(0.1, 72) * 60 * minuteMs;
    const drafts = fraudBurst(random, fraudster, atMs, random.integer(1, 6), 'new-account', () =>
      random.logNormal(fraudster.usualAmount, 0.5),
    );
    orders.push(...labelled(fraudster, drafts));
  }
  return orders;
}

/** Customers (not orders) go to one side: no customer's history leaks from training into evaluation. */
export function splitByCustomer(
  orders: readonly LabelledOrder[],
  seed: number,
  heldOutShare = 0.3,
): { train: LabelledOrder[]; test: LabelledOrder[] } {
  const customerIds = [...new Set(orders.map((order) => order.customerId))].sort();
  const shuffled = createRandom(seed ^ 0x5eed).shuffle(customerIds);
  const heldOut = new Set(shuffled.slice(0, Math.round(shuffled.length * heldOutShare)));
  return {
    train: orders.filter((order) => !heldOut.has(order.customerId)),
    test: orders.filter((order) => heldOut.has(order.customerId)),
  };
}
