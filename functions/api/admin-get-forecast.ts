import { forecastStore } from '../core/adapters/dynamodb/stores';
import { httpHandler } from '../core/handlers/http-handler';
import { getForecast } from '../core/use-cases/inventory/forecasts';
import * as contract from './route-contracts';
import { routes } from './routes';

const forecasts = forecastStore();

export const handler = httpHandler(routes.adminGetForecast, contract.adminGetForecast, async ({ path }) => {
  const forecast = await getForecast(forecasts, path.productId);
  return {
    body: { ...forecast, days: forecast.days.map((day) => ({ ...day })), inventory: { ...forecast.inventory } },
    headers: { 'cache-control': 'private, no-store' },
  };
});
