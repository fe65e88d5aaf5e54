import { catalogStore } from '../core/adapters/dynamodb/stores';
import { productEtag } from '../core/domain/product';
import { httpHandler } from '../core/handlers/http-handler';
import { idempotentExecutor } from '../core/http/idempotency';
import { adjustStock } from '../core/use-cases/catalog/adjust-stock';
import * as contract from './route-contracts';
import { adminProductView } from './product-view';
import { routes } from './routes';

const catalog = catalogStore();

export const handler = httpHandler(
  routes.adjustStock,
  contract.adjustStock,
  async ({ path, body, caller }) => {
    const product = await adjustStock(catalog, path.productId, body, caller.principalId);
    return { body: adminProductView(product), headers: { etag: productEtag(product), 'cache-control': 'no-store' } };
  },
  { idempotency: idempotentExecutor('adjust-stock') },
);
