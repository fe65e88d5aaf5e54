import { partnerLookup, webhookStore } from '../core/adapters/dynamodb/stores';
import { httpHandler } from '../core/handlers/http-handler';
import { listDeliveries } from '../core/use-cases/webhooks/deliveries';
import { webhookOwnerOf } from '../core/use-cases/webhooks/endpoints';
import * as contract from './route-contracts';
import { routes } from './routes';
import { deliveryView } from './webhook-view';

const store = webhookStore();

export const handler = httpHandler(
  routes.listWebhookDeliveries,
  contract.listWebhookDeliveries,
  async ({ path, query, caller }) => {
    const page = await listDeliveries(store, webhookOwnerOf(caller), path.webhookId, {
      limit: query.limit ?? 25,
      ...(query.cursor ? { cursor: query.cursor } : {}),
    });
    return {
      body: {
        deliveries: page.deliveries.map(deliveryView),
        ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
      },
      headers: { 'cache-control': 'no-store' },
    };
  },
  { partners: partnerLookup() },
);
