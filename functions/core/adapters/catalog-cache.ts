import { settings } from '../config/settings';
import type { Product } from '../domain/product';
import type { DynamoDbCatalogStore } from './dynamodb/catalog-store';
import { catalogStore } from './dynamodb/stores';

interface Entry<T> {
  readonly value: T;
  readonly expiresAt: number;
}

/**
 * A read-through cache for public catalog reads, kept in the function instance for a few seconds
 * (CATALOG_CACHE_TTL_MS, 5 s by default): a burst of catalog traffic costs one DynamoDB read per product per
 * instance per TTL. A product entry is never replaced by an older version than the one it holds (a lagging read
 * cannot roll the cache back). Catalog changes are made by other functions, so a change shows within one TTL. Order
 * pricing never reads from here: prices for orders are always read consistently from the table.
 */
export class CatalogCache {
  private readonly products = new Map<string, Entry<Product | undefined>>();
  private readonly pages = new Map<string, Entry<{ products: Product[]; nextCursor?: string }>>();

  constructor(
    private readonly store: Pick<DynamoDbCatalogStore, 'get' | 'list'>,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async get(productId: string): Promise<Product | undefined> {
    const cached = this.products.get(productId);
    if (cached && cached.expiresAt > this.now()) return cached.value;
    const fresh = await this.store.get(productId);
    const kept = cached?.value && fresh && cached.value.version > fresh.version ? cached.value : fresh;
    this.products.set(productId, { value: kept, expiresAt: this.now() + this.ttlMs });
    return kept;
  }

  async list(limit: number, cursor?: string): Promise<{ products: Product[]; nextCursor?: string }> {
    const key = `${limit}:${cursor ?? ''}`;
    const cached = this.pages.get(key);
    if (cached && cached.expiresAt > this.now()) return cached.value;
    const page = await this.store.list(limit, cursor);
    this.pages.set(key, { value: page, expiresAt: this.now() + this.ttlMs });
    return page;
  }
}

export function cachedCatalog(): CatalogCache {
  return new CatalogCache(catalogStore(), settings.catalogCache().ttlMs);
}
