import { monotonicFactory } from 'ulid';
import { catalogStore } from '../core/adapters/dynamodb/stores';
import { productEtag, type Product } from '../core/domain/product';
import { httpHandler } from '../core/http/http-handler';
import { idempotentExecutor } from '../core/http/idempotency';
import { createProductRequest } from '../core/schemas/api-schemas';
import { parseOrThrow } from '../core/schemas/validation';
import { adminProductView } from './product-view';
import { routes } from './routes';

const catalog = catalogStore();
const newId = monotonicFactory();

export const handler = httpHandler(
  routes.createProduct,
  async (request) => {
    const body = parseOrThrow(createProductRequest, request.body, 'product');
    const product: Product = {
      productId: body.productId ?? `prod_${newId()}`,
      name: body.name,
      description: body.description ?? '',
      price: body.price,
      active: body.active ?? true,
      available: body.initialStock,
      sold: 0,
      version: 1,
      ...(body.stockShards && body.stockShards > 1 ? { stockShards: body.stockShards } : {}),
    };
    await catalog.create(product, request.caller.principalId);
    return {
      statusCode: 201,
      body: adminProductView(product),
      headers: { location: `/products/${product.productId}`, etag: productEtag(product), 'cache-control': 'no-store' },
    };
  },
  { idempotency: idempotentExecutor('create-product') },
);
