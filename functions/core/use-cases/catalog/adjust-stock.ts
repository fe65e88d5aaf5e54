import type { CatalogStore } from '../../domain/ports';
import type { Product } from '../../domain/product';

/** Restocks or corrects the stock on the shelf; the movement is recorded with its reason and who made it. */
export function adjustStock(
  catalog: Pick<CatalogStore, 'adjustStock'>,
  productId: string,
  adjustment: { readonly delta: number; readonly reason: string },
  actor: string,
): Promise<Product> {
  return catalog.adjustStock(productId, adjustment.delta, adjustment.reason, actor);
}
