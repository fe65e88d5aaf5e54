import { catalogStore } from '../core/adapters/dynamodb/stores';
import { productEtag } from '../core/domain/product';
import { httpHandler } from '../core/handlers/http-handler';
import { updateProduct } from '../core/use-cases/catalog/update-product';
import * as contract from './route-contracts';
import { adminProductView } from './product-view';
import { routes } from './routes';

const catalog = catalogStore();

export const handler = httpHandler(routes.updateProduct, contract.updateProduct, async ({ path, body }) => {
  const product = await updateProduct(catalog, path.productId, body);
  return { body: adminProductView(product), headers: { etag: productEtag(product), 'cache-control': 'no-store' } };
});
