import type { Money } from './money';

export interface Product {
  readonly productId: string;
  readonly name: string;
  readonly description: string;
  readonly price: Money;
  readonly active: boolean;
  /** Units that can still be reserved; never negative (every decrement is conditional). */
  readonly available: number;
  /** Units sold (holds committed at fulfilment). Held units live in hold items until then. */
  readonly sold: number;
  /** Incremented by every change to the catalog fields (name, description, price, active), not by stock. */
  readonly version: number;
  /**
   * Over how many shard items the available stock is split (hot products, flash sales); absent or 1: all of it is on
   * the product item. `available` and `sold` above are always the product's totals. See domain/stock-shards.ts.
   */
  readonly stockShards?: number;
}

/** Cache validator for a product: changes with the catalog fields (version) and with the stock on the shelf. */
export function productEtag(product: Pick<Product, 'version' | 'available'>): string {
  return `"${product.version}.${product.available}"`;
}
