import { queryPartitionPrefix } from '../../functions/core/adapters/dynamodb/pagination';
import { keys } from '../../functions/core/data/table-design';
import { startTestSystem, type TestSystem } from '../helpers/local-system';
import { orderRequest } from '../helpers/fixtures';

let system: TestSystem;
let admin: string;
let alice: string;

beforeAll(async () => {
  system = await startTestSystem({ catalogCacheTtlMs: 0 });
  [admin, alice] = await Promise.all([system.tokenFor('admin', ['admins']), system.tokenFor('alice')]);
});

afterAll(async () => {
  await system?.stop();
});

const newProduct = (overrides: Record<string, unknown> = {}) => ({
  name: 'Cold brew bottle',
  description: '1 l glass bottle',
  price: { amount: 1890, currency: 'EUR' },
  initialStock: 40,
  ...overrides,
});

async function movements(productId: string) {
  const { documentClient, tableName } = system.runtime;
  const items = await queryPartitionPrefix(
    documentClient,
    tableName,
    keys.product(productId).PK,
    keys.stockMovementPrefix,
  );
  return items.map((item) => ({ delta: item.delta as number, reason: item.reason as string }));
}

describe('reading the catalog', () => {
  it('serves one product with an ETag and answers 304 to If-None-Match', async () => {
    const first = await system.call('GET', '/products/prod_espresso_beans');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ productId: 'prod_espresso_beans', price: { amount: 2490, currency: 'EUR' } });
    expect(first.body).not.toHaveProperty('version');
    const etag = first.headers.get('etag')!;
    expect(first.headers.get('cache-control')).toMatch(/public/);
    const again = await system.call('GET', '/products/prod_espresso_beans', { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    const weak = await system.call('GET', '/products/prod_espresso_beans', {
      headers: { 'if-none-match': `W/${etag}` },
    });
    expect(weak.status).toBe(304);
  });

  it('answers 404 for an unknown product and 400 for an invalid id', async () => {
    expect((await system.call('GET', '/products/prod_nope')).status).toBe(404);
    expect((await system.call('GET', '/products/%24%7Bjndi%7D')).status).toBe(400);
  });

  it('pages through the catalog with an opaque cursor', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await system.call<{ products: { productId: string }[]; nextCursor?: string }>(
        'GET',
        `/products?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.products.map((p) => p.productId));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toContain('prod_espresso_beans');
    expect(seen).not.toContain('prod_retired_scale');
  });

  it('needs an API key', async () => {
    const refused = await system.call('GET', '/products', { apiKey: null });
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ message: 'Forbidden' });
    expect((await system.call('GET', '/products', { apiKey: 'not-a-key' })).status).toBe(403);
    expect((await system.call('GET', '/health', { apiKey: null })).status).toBe(200);
  });
});

describe('managing the catalog (admins)', () => {
  it('creates a product with its initial stock recorded, then refuses the same id', async () => {
    const created = await system.call('POST', '/products', {
      token: admin,
      body: newProduct({ productId: 'prod_cold_brew' }),
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/products/prod_cold_brew');
    expect(created.body).toMatchObject({ productId: 'prod_cold_brew', available: 40, active: true });
    expect(await movements('prod_cold_brew')).toEqual([{ delta: 40, reason: 'initial stock' }]);

    const again = await system.call('POST', '/products', {
      token: admin,
      body: newProduct({ productId: 'prod_cold_brew' }),
    });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'PRODUCT_EXISTS' });
  });

  it('generates an id when none is given', async () => {
    const created = await system.call('POST', '/products', { token: admin, body: newProduct() });
    expect(created.status).toBe(201);
    expect(created.body.productId).toMatch(/^prod_[0-9A-Z]{26}$/);
  });

  it.each([
    ['a negative price', { price: { amount: -1, currency: 'EUR' } }],
    ['a lowercase currency', { price: { amount: 100, currency: 'eur' } }],
    ['a fractional price', { price: { amount: 1.5, currency: 'EUR' } }],
    ['an empty name', { name: '   ' }],
    ['an unknown field', { colour: 'red' }],
  ])('rejects %s with 400 and creates nothing', async (_name, overrides) => {
    const response = await system.call('POST', '/products', {
      token: admin,
      body: newProduct({ productId: 'prod_bad', ...overrides }),
    });
    expect(response.status).toBe(400);
    expect((await system.call('GET', '/products/prod_bad')).status).toBe(404);
  });

  it('updates name, price and active; a deactivated product leaves the listing and cannot be ordered', async () => {
    await system.call('POST', '/products', { token: admin, body: newProduct({ productId: 'prod_tote' }) });
    const before = await system.call('GET', '/products/prod_tote');
    const updated = await system.call('PATCH', '/products/prod_tote', {
      token: admin,
      body: { name: 'Canvas tote', price: { amount: 1500, currency: 'EUR' } },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ name: 'Canvas tote', price: { amount: 1500, currency: 'EUR' } });
    expect(updated.headers.get('etag')).not.toBe(before.headers.get('etag'));

    const placed = await system.call('POST', '/orders', {
      token: alice,
      body: orderRequest({ items: [{ productId: 'prod_tote', quantity: 2 }], paymentToken: 'pm_card_visa' }),
    });
    expect(placed.body.total).toEqual({ amount: 3000, currency: 'EUR' });

    expect((await system.call('PATCH', '/products/prod_tote', { token: admin, body: { active: false } })).status).toBe(
      200,
    );
    const listing = await system.call<{ products: { productId: string }[] }>('GET', '/products?limit=100');
    expect(listing.body.products.map((p) => p.productId)).not.toContain('prod_tote');
    const refused = await system.call('POST', '/orders', {
      token: alice,
      body: orderRequest({ items: [{ productId: 'prod_tote', quantity: 1 }], paymentToken: 'pm_card_visa' }),
    });
    expect(refused.status).toBe(422);
  });

  it('rejects an empty or unknown-field PATCH, and PATCH of an unknown product', async () => {
    expect((await system.call('PATCH', '/products/prod_espresso_beans', { token: admin, body: {} })).status).toBe(400);
    expect(
      (await system.call('PATCH', '/products/prod_espresso_beans', { token: admin, body: { available: 1e6 } })).status,
    ).toBe(400);
    expect((await system.call('PATCH', '/products/prod_missing', { token: admin, body: { name: 'x' } })).status).toBe(
      404,
    );
  });

  it('restocks and corrects stock with a recorded reason, never below zero', async () => {
    await system.call('POST', '/products', {
      token: admin,
      body: newProduct({ productId: 'prod_filters_xl', initialStock: 5 }),
    });
    const restocked = await system.call('POST', '/products/prod_filters_xl/stock', {
      token: admin,
      body: { delta: 20, reason: 'delivery 4711' },
    });
    expect(restocked.status).toBe(200);
    expect(restocked.body.available).toBe(25);

    const tooMuch = await system.call('POST', '/products/prod_filters_xl/stock', {
      token: admin,
      body: { delta: -26, reason: 'stock count' },
    });
    expect(tooMuch.status).toBe(409);
    expect(tooMuch.body).toMatchObject({ code: 'INSUFFICIENT_STOCK' });

    const corrected = await system.call('POST', '/products/prod_filters_xl/stock', {
      token: admin,
      body: { delta: -3, reason: 'damaged in storage' },
    });
    expect(corrected.body.available).toBe(22);
    expect(await movements('prod_filters_xl')).toEqual([
      { delta: 5, reason: 'initial stock' },
      { delta: 20, reason: 'delivery 4711' },
      { delta: -3, reason: 'damaged in storage' },
    ]);
    expect(
      (
        await system.call('POST', '/products/prod_filters_xl/stock', {
          token: admin,
          body: { delta: 0, reason: 'noop' },
        })
      ).status,
    ).toBe(400);
    expect(
      (await system.call('POST', '/products/prod_nope/stock', { token: admin, body: { delta: 1, reason: 'delivery' } }))
        .status,
    ).toBe(404);
  });

  it('refuses customers on every admin catalog route with 403', async () => {
    expect((await system.call('POST', '/products', { token: alice, body: newProduct() })).status).toBe(403);
    expect(
      (await system.call('PATCH', '/products/prod_espresso_beans', { token: alice, body: { name: 'x' } })).status,
    ).toBe(403);
    expect(
      (
        await system.call('POST', '/products/prod_espresso_beans/stock', {
          token: alice,
          body: { delta: 5, reason: 'gift' },
        })
      ).status,
    ).toBe(403);
  });
});
