import type { CatalogReader } from '../../domain/ports';
import type { Product } from '../../domain/product';

/** A page of the catalog, 50 products unless the caller asks for another size. */
export function listProducts(
  catalog: Pick<CatalogReader, 'list'>,
  query: { readonly limit?: number | undefined; readonly cursor?: string | undefined },
): Promise<{ products: Product[]; nextCursor?: string }> {
  return catalog.list(query.limit ?? 50, query.cursor);
}
