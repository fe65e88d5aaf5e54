import { cachedCatalog } from '../core/adapters/catalog-cache';
import { NotFoundError } from '../core/domain/errors';
import { productEtag } from '../core/domain/product';
import { httpHandler } from '../core/http/http-handler';
import { productIdPath } from '../core/schemas/api-schemas';
import { parseOrThrow } from '../core/schemas/validation';
import { productView } from './product-view';
import { routes } from './routes';

const catalog = cachedCatalog();

export const handler = httpHandler(routes.getProduct, async (request) => {
  const { productId } = parseOrThrow(productIdPath, request.pathParameters, 'path');
  const product = await catalog.get(productId);
  if (!product) throw new NotFoundError(`product ${productId} not found`);
  return {
    statusCode: 200,
    body: productView(product),
    headers: { 'cache-control': 'public, max-age=30', etag: productEtag(product) },
  };
});
