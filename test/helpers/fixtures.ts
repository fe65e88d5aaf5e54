import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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

/** The names of a state machine's Task states (the ones fault injection and retries apply to), in file order. */
export function taskStateNames(definitionFile: string): string[] {
  const definition = JSON.parse(readFileSync(join(projectRoot, definitionFile), 'utf8')) as {
    States: Record<string, { Type: string }>;
  };
  return Object.entries(definition.States)
    .filter(([, state]) => state.Type === 'Task')
    .map(([name]) => name);
}
