import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Order } from '../../functions/core/domain/order';
import type { Product } from '../../functions/core/domain/product';

const projectRoot = join(__dirname, '../..');

/**
 * A catalog product for tests: active, in euros, never sold, version 1. Named after its id unless `overrides` says
 * otherwise, so a failing assertion shows which product it was about.
 */
export function testProduct(
  productId: string,
  price: number,
  available: number,
  overrides: Partial<Product> = {},
): Product {
  return {
    productId,
    name: productId,
    description: 'test product',
    price: { amount: price, currency: 'EUR' },
    active: true,
    available,
    sold: 0,
    version: 1,
    ...overrides,
  };
}

/**
 * The shipping address and contact email every test order sends (POST /orders requires both). Distinctive on
 * purpose: a log scan (no-secrets-in-logs.test.ts) looks for these strings.
 */
export const testShippingAddress = {
  name: 'Testa Shipwright',
  line1: 'Fixturestrasse 12',
  city: 'Berlin',
  postalCode: '10115',
  country: 'DE',
} as const;
export const testContactEmail = 'testa.shipwright@example.com';

/**
 * A POST /orders body: the given fields (items, payment token, or anything a test wants to vary or break) over the
 * test shipping address and contact email.
 */
export function orderRequest<T extends object>(
  fields: T,
): { shippingAddress: typeof testShippingAddress; contactEmail: string } & T {
  return { shippingAddress: testShippingAddress, contactEmail: testContactEmail, ...fields };
}

/**
 * A stored order for one unit of one product, in euros, version 1: the kind of item an older release or a saga that
 * died left in the table, which tests write directly. `updatedAt` is `createdAt` unless given.
 */
export function oneUnitOrder(fields: {
  orderId: string;
  customerId: string;
  status: Order['status'];
  product: { productId: string; name: string; price: number };
  createdAt: string;
  updatedAt?: string;
  paymentMethod?: string;
}): Order {
  const { productId, name, price } = fields.product;
  const euros = () => ({ amount: price, currency: 'EUR' });
  return {
    orderId: fields.orderId,
    customerId: fields.customerId,
    status: fields.status,
    items: [{ productId, name, quantity: 1, unitPrice: euros(), lineTotal: euros() }],
    total: euros(),
    createdAt: fields.createdAt,
    updatedAt: fields.updatedAt ?? fields.createdAt,
    version: 1,
    ...(fields.paymentMethod === undefined ? {} : { paymentMethod: fields.paymentMethod }),
  };
}

/** The names of a state machine's Task states (the ones fault injection and retries apply to), in file order. */
export function taskStateNames(definitionFile: string): string[] {
  const definition = JSON.parse(readFileSync(join(projectRoot, definitionFile), 'utf8')) as {
    States: Record<string, { Type: string }>;
  };
  return Object.entries(definition.States)
    .filter(([, state]) => state.Type === 'Task')
    .map(([name]) => name);
}
