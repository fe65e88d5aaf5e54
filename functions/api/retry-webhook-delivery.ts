import { partnerLookup, webhookStore } from '../core/adapters/dynamodb/stores';
import { deliveryQueue } from '../core/adapters/webhook-queue';
import { httpHandler } from '../core/handlers/http-handler';
import { retryDelivery } from '../core/use-cases/webhooks/deliveries';
import { webhookOwnerOf } from '../core/use-cases/webhooks/endpoints';
import * as contract from './route-contracts';
import { routes } from './routes';
import { deliveryView } from './webhook-view';

const deps = { store: webhookStore(), queue: deliveryQueue() };

export const handler = httpHandler(
  routes.retryWebhookDelivery,
  contract.retryWebhookDelivery,
  async ({ path, caller }) => {
    const delivery = await retryDelivery(deps, webhookOwnerOf(caller), path.webhookId, path.deliveryId);
    return { body: deliveryView(delivery), headers: { 'cache-control': 'no-store' } };
  },
  { partners: partnerLookup() },
);
