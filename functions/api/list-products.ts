import { createHash } from 'node:crypto';
import { cachedCatalog } from '../core/adapters/catalog-cache';
import { httpHandler } from '../core/http/http-handler';
import { listProductsQuery } from '../core/schemas/api-schemas';
import { parseOrThrow } from '../core/schemas/validation';
import { productView } from './product-view';
import { routes } from './routes';

const catalog = cachedCatalog();

export const handler = httpHandler(routes.listProducts, async (request) => {
  const { limit = 50, cursor } = parseOrThrow(listProductsQuery, request.query, 'query');
  const { products, nextCursor } = await catalog.list(limit, cursor);
  const body = { products: products.map(productView), ...(nextCursor ? { nextCursor } : {}) };
  // A page has no version of its own: its validator is a digest of what it shows.
  const etag = `W/"${createHash('sha256').update(JSON.stringify(body)).digest('base64url').slice(0, 27)}"`;
  return { statusCode: 200, body, headers: { 'cache-control': 'public, max-age=30', etag } };
});
