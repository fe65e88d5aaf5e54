import { partnerLookup, webhookStore } from '../core/adapters/dynamodb/stores';
import { httpHandler } from '../core/handlers/http-handler';
import { deleteEndpoint, webhookOwnerOf } from '../core/use-cases/webhooks/endpoints';
import * as contract from './route-contracts';
import { routes } from './routes';
import { webhookView } from './webhook-view';

const store = webhookStore();

export const handler = httpHandler(
  routes.deleteWebhook,
  contract.deleteWebhook,
  async ({ path, caller }) => {
    const ownerId = webhookOwnerOf(caller);
    await deleteEndpoint(store, ownerId, path.webhookId);
    const remaining = await store.listEndpoints(ownerId);
    return { body: { webhooks: remaining.map(webhookView) }, headers: { 'cache-control': 'no-store' } };
  },
  { partners: partnerLookup() },
);
