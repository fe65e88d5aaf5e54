import { catalogStore } from '../core/adapters/dynamodb/stores';
import { productEtag } from '../core/domain/product';
import { httpHandler } from '../core/http/http-handler';
import { productIdPath, updateProductRequest } from '../core/schemas/api-schemas';
import { parseOrThrow } from '../core/schemas/validation';
import { adminProductView } from './product-view';
import { routes } from './routes';

const catalog = catalogStore();

export const handler = httpHandler(routes.updateProduct, async (request) => {
  const { productId } = parseOrThrow(productIdPath, request.pathParameters, 'path');
  const changes = parseOrThrow(updateProductRequest, request.body, 'product changes');
  const product = await catalog.update(productId, changes);
  return {
    statusCode: 200,
    body: adminProductView(product),
    headers: { etag: productEtag(product), 'cache-control': 'no-store' },
  };
});
