import { partnerLookup, webhookStore } from '../core/adapters/dynamodb/stores';
import { httpHandler } from '../core/handlers/http-handler';
import { rotateSecret, webhookOwnerOf } from '../core/use-cases/webhooks/endpoints';
import * as contract from './route-contracts';
import { routes } from './routes';
import { webhookWithSecretView } from './webhook-view';

const store = webhookStore();

export const handler = httpHandler(
  routes.rotateWebhookSecret,
  contract.rotateWebhookSecret,
  async ({ path, caller }) => {
    const rotated = await rotateSecret(store, webhookOwnerOf(caller), path.webhookId);
    return { body: webhookWithSecretView(rotated), headers: { 'cache-control': 'no-store' } };
  },
  { partners: partnerLookup() },
);
