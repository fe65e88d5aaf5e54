/** Money is always integer minor units (cents) with an ISO 4217 currency code; never floating point. */
export interface Money {
  readonly amount: number;
  readonly currency: string;
}

export function multiply(money: Money, factor: number): Money {
  return { amount: money.amount * factor, currency: money.currency };
}

export function sum(values: readonly Money[], currency: string): Money {
  let amount = 0;
  for (const value of values) {
    if (value.currency !== currency) throw new RangeError(`cannot add ${value.currency} to ${currency}`);
    amount += value.amount;
  }
  if (!Number.isSafeInteger(amount)) throw new RangeError('amount exceeds the safe integer range');
  return { amount, currency };
}
