import { CurrencyMismatchError, ProductUnavailableError, ValidationError } from '../../functions/core/domain/errors';
import { priceOrder } from '../../functions/core/domain/order';
import type { Product } from '../../functions/core/domain/product';
import { testProduct } from '../helpers/fixtures';

const product = (productId: string, amount: number, overrides: Partial<Product> = {}): Product =>
  testProduct(productId, amount, 10, overrides);

const catalog = new Map(
  [
    product('a', 250),
    product('b', 1999),
    product('off', 100, { active: false }),
    product('usd', 100, { price: { amount: 100, currency: 'USD' } }),
  ].map((p) => [p.productId, p]),
);

describe('priceOrder', () => {
  it('prices every line from the catalog and totals in minor units', () => {
    const { items, total } = priceOrder(
      [
        { productId: 'a', quantity: 3 },
        { productId: 'b', quantity: 1 },
      ],
      catalog,
    );
    expect(items.map((item) => [item.productId, item.unitPrice.amount, item.lineTotal.amount])).toEqual([
      ['a', 250, 750],
      ['b', 1999, 1999],
    ]);
    expect(total).toEqual({ amount: 2749, currency: 'EUR' });
  });

  it('merges repeated products into one line', () => {
    const { items } = priceOrder(
      [
        { productId: 'a', quantity: 1 },
        { productId: 'a', quantity: 4 },
      ],
      catalog,
    );
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ quantity: 5, lineTotal: { amount: 1250 } });
  });

  it.each([
    ['an unknown product', 'nope', ProductUnavailableError],
    ['an inactive product', 'off', ProductUnavailableError],
  ])('refuses %s', (_name, productId, errorClass) => {
    expect(() => priceOrder([{ productId, quantity: 1 }], catalog)).toThrow(errorClass);
  });

  it('refuses mixed currencies', () => {
    expect(() =>
      priceOrder(
        [
          { productId: 'a', quantity: 1 },
          { productId: 'usd', quantity: 1 },
        ],
        catalog,
      ),
    ).toThrow(CurrencyMismatchError);
  });

  it('refuses an empty order', () => {
    expect(() => priceOrder([], catalog)).toThrow(ValidationError);
  });
});
