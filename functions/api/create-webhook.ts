import { partnerLookup, webhookStore } from '../core/adapters/dynamodb/stores';
import { systemResolver } from '../core/adapters/webhook-sender';
import { settings } from '../core/config/settings';
import { httpHandler } from '../core/handlers/http-handler';
import { registerEndpoint, webhookOwnerOf } from '../core/use-cases/webhooks/endpoints';
import * as contract from './route-contracts';
import { routes } from './routes';
import { webhookWithSecretView } from './webhook-view';

const store = webhookStore();

export const handler = httpHandler(
  routes.createWebhook,
  contract.createWebhook,
  async ({ body, caller }) => {
    const deps = { store, resolve: systemResolver, allowLoopback: settings.webhooks().allowLoopback };
    const endpoint = await registerEndpoint(deps, webhookOwnerOf(caller), body);
    return {
      body: webhookWithSecretView(endpoint),
      // The secret is in this answer: no cache anywhere may keep it.
      headers: { 'cache-control': 'no-store', location: `/webhooks/${endpoint.webhookId}` },
    };
  },
  { partners: partnerLookup() },
);
