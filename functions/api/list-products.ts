import * as z from 'zod/mini';
import { catalogStore } from '../core/adapters/dynamodb/stores';
import { httpHandler } from '../core/http/http-handler';
import { parseOrThrow } from '../core/schemas/validation';
import { routes } from './routes';

const catalog = catalogStore();
const query = z.strictObject({
  limit: z.optional(z.coerce.number().check(z.int(), z.gte(1), z.lte(100))),
  cursor: z.optional(z.string().check(z.maxLength(1024))),
});

export const handler = httpHandler(routes.listProducts, async (request) => {
  const { limit = 50, cursor } = parseOrThrow(query, request.query, 'query');
  const { products, nextCursor } = await catalog.list(limit, cursor);
  return {
    statusCode: 200,
    body: {
      products: products.map(({ version: _version, ...product }) => product),
      ...(nextCursor ? { nextCursor } : {}),
    },
    headers: { 'cache-control': 'public, max-age=30' },
  };
});
