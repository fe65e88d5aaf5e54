import { NotFoundError } from '../../domain/errors';
import type { ForecastStore, ProductForecast } from '../../domain/ports';

/** A product's latest forecast; 404 when the job has not forecast it (unknown, inactive, or not run yet). */
export async function getForecast(forecasts: Pick<ForecastStore, 'get'>, productId: string): Promise<ProductForecast> {
  const forecast = await forecasts.get(productId);
  if (!forecast) throw new NotFoundError(`no forecast for product ${productId}`);
  return forecast;
}

/** The products at or below their reorder point at the last forecast run, a page at a time (by product id). */
export async function listReorders(
  forecasts: Pick<ForecastStore, 'listBelowReorderPoint'>,
  query: { readonly limit?: number; readonly cursor?: string },
) {
  const page = await forecasts.listBelowReorderPoint(query.limit ?? 50, query.cursor);
  return {
    products: page.forecasts.map((forecast) => ({
      productId: forecast.productId,
      name: forecast.name,
      forecastAt: forecast.generatedAt,
      ...forecast.inventory,
    })),
    ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
  };
}
