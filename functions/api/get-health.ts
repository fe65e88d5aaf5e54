import { httpHandler } from '../core/handlers/http-handler';
import * as contract from './route-contracts';
import { routes } from './routes';

export const handler = httpHandler(routes.health, contract.health, async () => ({
  body: { status: 'ok' as const },
  headers: { 'cache-control': 'no-store' },
}));
