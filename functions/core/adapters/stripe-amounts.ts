import type { Money } from '../domain/money';

/**
 * The domain keeps money in ISO 4217 minor units; Stripe wants "the smallest currency unit" as IT defines it, which
 * is the same for most currencies but not all (https://docs.stripe.com/currencies#zero-decimal). Getting this wrong
 * charges 100 times too much or too little, so the conversion lives in one small pure module with its own tests.
 */

/** ISO 4217 exponents other than 2, for the currencies where it matters here. */
const isoExponents: Readonly<Record<string, number>> = {
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
};

/** Stripe's zero-decimal currencies: the amount is whole units (MGA has an ISO exponent of 2, yet Stripe's is 0). */
export const stripeZeroDecimalCurrencies: ReadonlySet<string> = new Set([
  'BIF',
  'CLP',
  'DJF',
  'GNF',
  'JPY',
  'KMF',
  'KRW',
  'MGA',
  'PYG',
  'RWF',
  'UGX',
  'VND',
  'VUV',
  'XAF',
  'XOF',
  'XPF',
]);

/** Stripe's three-decimal currencies: the amount is thousandths, and its last digit must be 0. */
export const stripeThreeDecimalCurrencies: ReadonlySet<string> = new Set(['BHD', 'JOD', 'KWD', 'OMR', 'TND']);

/** An amount Stripe cannot take in that currency (say, 1.5 JPY or a three-decimal amount not rounded to 10). */
export class UnsupportedAmountError extends RangeError {}

function isoExponent(currency: string): number {
  return isoExponents[currency] ?? 2;
}

/** Stripe's exponent; ISK is zero-decimal in ISO but Stripe still counts it in hundredths for compatibility. */
function stripeExponent(currency: string): number {
  if (stripeZeroDecimalCurrencies.has(currency)) return 0;
  if (stripeThreeDecimalCurrencies.has(currency)) return 3;
  return 2;
}

/** The domain's money as Stripe's `amount` and lower-case `currency`. */
export function toStripeAmount(money: Money): { amount: number; currency: string } {
  const currency = money.currency.toUpperCase();
  if (!Number.isSafeInteger(money.amount) || money.amount < 0) {
    throw new UnsupportedAmountError(`amount ${money.amount} is not a whole number of minor units`);
  }
  const shift = stripeExponent(currency) - isoExponent(currency);
  let amount = money.amount;
  if (shift > 0) amount = money.amount * 10 ** shift;
  if (shift < 0) {
    const divisor = 10 ** -shift;
    if (money.amount % divisor !== 0) {
      throw new UnsupportedAmountError(`${currency} ${money.amount} has minor units Stripe cannot charge`);
    }
    amount = money.amount / divisor;
  }
  if (stripeThreeDecimalCurrencies.has(currency) && amount % 10 !== 0) {
    throw new UnsupportedAmountError(`${currency} amounts must be rounded to the nearest 10 (got ${amount})`);
  }
  return { amount, currency: currency.toLowerCase() };
}

/** Stripe's `amount` and `currency` back as the domain's money. */
export function fromStripeAmount(amount: number, stripeCurrency: string): Money {
  const currency = stripeCurrency.toUpperCase();
  const shift = stripeExponent(currency) - isoExponent(currency);
  return { amount: shift >= 0 ? amount / 10 ** shift : amount * 10 ** -shift, currency };
}
