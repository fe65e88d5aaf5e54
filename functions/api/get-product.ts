import { cachedCatalog } from '../core/adapters/catalog-cache';
import { productEtag } from '../core/domain/product';
import { httpHandler } from '../core/handlers/http-handler';
import { getProduct } from '../core/use-cases/catalog/get-product';
import * as contract from './route-contracts';
import { productView } from './product-view';
import { routes } from './routes';

const catalog = cachedCatalog();

export const handler = httpHandler(routes.getProduct, contract.getProduct, async ({ path }) => {
  const product = await getProduct(catalog, path.productId);
  return {
    body: productView(product),
    headers: { 'cache-control': 'public, max-age=30', etag: productEtag(product) },
  };
});
