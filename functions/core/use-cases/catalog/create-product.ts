import { monotonicUlids } from '../../ulids';
import type { CatalogStore } from '../../domain/ports';
import type { Product } from '../../domain/product';
import type { CreateProductRequest } from '../../schemas/api-schemas';

const newId = monotonicUlids();

/** Adds a product with its initial stock; without an id of its own it gets a fresh `prod_<ulid>`. */
export async function createProduct(
  catalog: Pick<CatalogStore, 'create'>,
  request: CreateProductRequest,
  actor: string,
): Promise<Product> {
  const product: Product = {
    productId: request.productId ?? `prod_${newId()}`,
    name: request.name,
    description: request.description ?? '',
    price: request.price,
    active: request.active ?? true,
    available: request.initialStock,
    sold: 0,
    version: 1,
    ...(request.stockShards && request.stockShards > 1 ? { stockShards: request.stockShards } : {}),
  };
  await catalog.create(product, actor);
  return product;
}
