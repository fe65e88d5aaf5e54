import { catalogStore } from '../core/adapters/dynamodb/stores';
import { productEtag } from '../core/domain/product';
import { httpHandler } from '../core/http/http-handler';
import { idempotentExecutor } from '../core/http/idempotency';
import { adjustStockRequest, productIdPath } from '../core/schemas/api-schemas';
import { parseOrThrow } from '../core/schemas/validation';
import { adminProductView } from './product-view';
import { routes } from './routes';

const catalog = catalogStore();

export const handler = httpHandler(
  routes.adjustStock,
  async (request) => {
    const { productId } = parseOrThrow(productIdPath, request.pathParameters, 'path');
    const { delta, reason } = parseOrThrow(adjustStockRequest, request.body, 'stock adjustment');
    const product = await catalog.adjustStock(productId, delta, reason, request.caller.principalId);
    return {
      statusCode: 200,
      body: adminProductView(product),
      headers: { etag: productEtag(product), 'cache-control': 'no-store' },
    };
  },
  { idempotency: idempotentExecutor('adjust-stock') },
);
