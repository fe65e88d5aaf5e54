import { forecastStore } from '../core/adapters/dynamodb/stores';
import { httpHandler } from '../core/handlers/http-handler';
import { listReorders } from '../core/use-cases/inventory/forecasts';
import * as contract from './route-contracts';
import { routes } from './routes';

const forecasts = forecastStore();

export const handler = httpHandler(routes.adminListReorders, contract.adminListReorders, async ({ query }) => ({
  body: await listReorders(forecasts, query),
  headers: { 'cache-control': 'private, no-store' },
}));
