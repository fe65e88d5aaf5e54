import type * as z from 'zod/mini';
import type { Product } from '../core/domain/product';
import type { adminProductResponse, productResponse } from '../core/schemas/api-schemas';

/** What clients see of a product: stock counters other than `available` and the version stay inside. */
export function productView(product: Product): z.output<typeof productResponse> {
  return {
    productId: product.productId,
    name: product.name,
    description: product.description,
    price: product.price,
    available: product.available,
    active: product.active,
  };
}

/** What admins see of a product: also how its stock is laid out (1: unsharded). */
export function adminProductView(product: Product): z.output<typeof adminProductResponse> {
  return { ...productView(product), stockShards: product.stockShards ?? 1 };
}
