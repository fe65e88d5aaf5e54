import { httpHandler } from '../core/http/http-handler';
import { routes } from './routes';

export const handler = httpHandler(routes.health, async () => ({
  statusCode: 200,
  body: { status: 'ok' },
  headers: { 'cache-control': 'no-store' },
}));
