import type { CatalogStore, ProductChanges } from '../../domain/ports';
import type { Product } from '../../domain/product';

/** Changes a product's catalog fields or how its stock is sharded. */
export function updateProduct(
  catalog: Pick<CatalogStore, 'update'>,
  productId: string,
  changes: ProductChanges,
): Promise<Product> {
  return catalog.update(productId, changes);
}
