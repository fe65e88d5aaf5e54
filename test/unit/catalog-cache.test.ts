import { CatalogCache } from '../../functions/core/adapters/catalog-cache';
import type { Product } from '../../functions/core/domain/product';
import { testProduct } from '../helpers/fixtures';

const product = (version: number, available = 10): Product =>
  testProduct('p1', 100, available, { name: `v${version}`, version });

function fakeStore(initial: Product) {
  let current: Product | undefined = initial;
  const calls = { get: 0, list: 0 };
  return {
    calls,
    set: (next: Product | undefined) => (current = next),
    store: {
      get: async () => {
        calls.get++;
        return current;
      },
      list: async () => {
        calls.list++;
        return { products: current ? [current] : [] };
      },
    },
  };
}

/** A cache over a store holding `first`, read once at time 0; then the store holds `next` and the clock is `clock.now`. */
async function cachedThenChanged(first: number, next: number, ttlMs: number) {
  const clock = { now: 0 };
  const fake = fakeStore(product(first));
  const cache = new CatalogCache(fake.store, ttlMs, () => clock.now);
  await cache.get('p1');
  fake.set(product(next));
  return { clock, fake, cache };
}

describe('CatalogCache', () => {
  it('serves reads from memory until the TTL passes, then reads through', async () => {
    const { clock, fake, cache } = await cachedThenChanged(1, 2, 5000);
    expect((await cache.get('p1'))?.version).toBe(1);
    expect(fake.calls.get).toBe(1);
    clock.now = 5001;
    expect((await cache.get('p1'))?.version).toBe(2);
    expect(fake.calls.get).toBe(2);
  });

  it('never rolls a product back to an older version from a lagging read', async () => {
    const { clock, cache } = await cachedThenChanged(3, 2, 1000);
    clock.now = 2000;
    expect((await cache.get('p1'))?.version).toBe(3);
  });

  it('caches list pages per limit and cursor', async () => {
    const fake = fakeStore(product(1));
    const cache = new CatalogCache(fake.store, 5000, () => 0);
    await cache.list(10);
    await cache.list(10);
    await cache.list(20);
    expect(fake.calls.list).toBe(2);
  });

  it('with a TTL of 0 reads through every time', async () => {
    const fake = fakeStore(product(1));
    const cache = new CatalogCache(fake.store, 0, () => 0);
    await cache.get('p1');
    await cache.get('p1');
    expect(fake.calls.get).toBe(2);
  });
});
