import { fromStripeAmount, toStripeAmount, UnsupportedAmountError } from '../../functions/core/adapters/stripe-amounts';

describe('Stripe amounts', () => {
  it.each([
    ['EUR', 1999, 1999, 'eur'],
    ['USD', 0, 0, 'usd'],
    ['JPY', 1500, 1500, 'jpy'],
    ['KRW', 25000, 25000, 'krw'],
    ['BHD', 12340, 12340, 'bhd'],
    ['KWD', 500, 500, 'kwd'],
    // ISK: ISO counts whole krónur, Stripe hundredths.
    ['ISK', 1200, 120000, 'isk'],
    // MGA: ISO counts hundredths, Stripe whole ariary.
    ['MGA', 500000, 5000, 'mga'],
  ])('%s %i minor units are %i at Stripe', (currency, amount, stripeAmount, stripeCurrency) => {
    expect(toStripeAmount({ amount, currency })).toEqual({ amount: stripeAmount, currency: stripeCurrency });
    expect(fromStripeAmount(stripeAmount, stripeCurrency)).toEqual({ amount, currency });
  });

  it.each([
    ['a three-decimal amount not rounded to 10', { amount: 12345, currency: 'BHD' }],
    ['MGA with fractions Stripe cannot charge', { amount: 150, currency: 'MGA' }],
    ['a fractional amount', { amount: 1.5, currency: 'JPY' }],
    ['a negative amount', { amount: -1, currency: 'EUR' }],
  ])('refuses %s', (_name, money) => {
    expect(() => toStripeAmount(money)).toThrow(UnsupportedAmountError);
  });
});
