import { placeOrderRequest } from '../../functions/core/schemas/api-schemas';
import { orderRequest } from '../helpers/fixtures';

const order = (paymentToken: unknown) =>
  orderRequest({ items: [{ productId: 'prod_espresso_beans', quantity: 1 }], paymentToken });

describe('the payment token of an order', () => {
  it.each(['tok_visa', 'tok_chargeDeclined', 'pm_1PqR2s3T4u5V', 'tok_live_abc-DEF_123'])(
    'accepts a provider token %s',
    (token) => {
      expect(placeOrderRequest.safeParse(order(token)).success).toBe(true);
    },
  );

  it.each([
    ['a card number', '4242424242424242'],
    ['a card number with separators', '4242-4242-4242-4242'],
    ['no prefix', 'visa'],
    ['an empty id', 'tok_'],
    ['spaces', 'tok visa'],
    ['too long', `tok_${'a'.repeat(125)}`],
    ['not a string', 4242424242424242],
  ])('refuses %s', (_, token) => {
    expect(placeOrderRequest.safeParse(order(token)).success).toBe(false);
  });
});
