import type { Product } from '../core/domain/product';

/** What clients see of a product: stock counters other than `available` and the version stay inside. */
export function productView(product: Product) {
  return {
    productId: product.productId,
    name: product.name,
    description: product.description,
    price: product.price,
    available: product.available,
    active: product.active,
  };
}
