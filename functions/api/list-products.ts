import { createHash } from 'node:crypto';
import { cachedCatalog } from '../core/adapters/catalog-cache';
import { httpHandler } from '../core/handlers/http-handler';
import { listProducts } from '../core/use-cases/catalog/list-products';
import * as contract from './route-contracts';
import { productView } from './product-view';
import { routes } from './routes';

const catalog = cachedCatalog();

export const handler = httpHandler(routes.listProducts, contract.listProducts, async ({ query }) => {
  const { products, nextCursor } = await listProducts(catalog, query);
  const body = { products: products.map(productView), ...(nextCursor ? { nextCursor } : {}) };
  // A page has no version of its own: its validator is a digest of what it shows.
  const etag = `W/"${createHash('sha256').update(JSON.stringify(body)).digest('base64url').slice(0, 27)}"`;
  return { body, headers: { 'cache-control': 'public, max-age=30', etag } };
});
