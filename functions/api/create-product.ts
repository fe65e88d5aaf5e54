import { catalogStore } from '../core/adapters/dynamodb/stores';
import { productEtag } from '../core/domain/product';
import { httpHandler } from '../core/handlers/http-handler';
import { idempotentExecutor } from '../core/http/idempotency';
import { createProduct } from '../core/use-cases/catalog/create-product';
import * as contract from './route-contracts';
import { adminProductView } from './product-view';
import { routes } from './routes';

const catalog = catalogStore();

export const handler = httpHandler(
  routes.createProduct,
  contract.createProduct,
  async ({ body, caller }) => {
    const product = await createProduct(catalog, body, caller.principalId);
    return {
      body: adminProductView(product),
      headers: { location: `/products/${product.productId}`, etag: productEtag(product), 'cache-control': 'no-store' },
    };
  },
  { idempotency: idempotentExecutor('create-product') },
);
