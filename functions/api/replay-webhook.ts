import { partnerLookup, webhookStore } from '../core/adapters/dynamodb/stores';
import { deliveryQueue } from '../core/adapters/webhook-queue';
import { httpHandler } from '../core/handlers/http-handler';
import { replayDeliveries } from '../core/use-cases/webhooks/deliveries';
import { webhookOwnerOf } from '../core/use-cases/webhooks/endpoints';
import * as contract from './route-contracts';
import { routes } from './routes';

const deps = { store: webhookStore(), queue: deliveryQueue() };

export const handler = httpHandler(
  routes.replayWebhook,
  contract.replayWebhook,
  async ({ path, body, caller }) => {
    const result = await replayDeliveries(deps, webhookOwnerOf(caller), path.webhookId, body);
    return { body: result, headers: { 'cache-control': 'no-store' } };
  },
  { partners: partnerLookup() },
);
