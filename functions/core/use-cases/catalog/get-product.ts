import { NotFoundError } from '../../domain/errors';
import type { CatalogReader } from '../../domain/ports';
import type { Product } from '../../domain/product';

export async function getProduct(catalog: Pick<CatalogReader, 'get'>, productId: string): Promise<Product> {
  const product = await catalog.get(productId);
  if (!product) throw new NotFoundError(`product ${productId} not found`);
  return product;
}
