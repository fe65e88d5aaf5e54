import { partnerLookup, webhookStore } from '../core/adapters/dynamodb/stores';
import { httpHandler } from '../core/handlers/http-handler';
import { webhookOwnerOf } from '../core/use-cases/webhooks/endpoints';
import * as contract from './route-contracts';
import { routes } from './routes';
import { webhookView } from './webhook-view';

const store = webhookStore();

export const handler = httpHandler(
  routes.listWebhooks,
  contract.listWebhooks,
  async ({ caller }) => {
    const endpoints = await store.listEndpoints(webhookOwnerOf(caller));
    return { body: { webhooks: endpoints.map(webhookView) }, headers: { 'cache-control': 'no-store' } };
  },
  { partners: partnerLookup() },
);
