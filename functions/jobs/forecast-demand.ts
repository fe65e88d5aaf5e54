import { skippedInStandby } from '../core/handlers/region-guard';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { catalogStore, forecastStore, salesHistory } from '../core/adapters/dynamodb/stores';
import { settings } from '../core/config/settings';
import { jobHandler } from '../core/handlers/job-handler';
import { logger, metrics } from '../core/observability/powertools';
import { metricNames } from '../core/observability/metric-names';
import { forecastAllProducts } from '../core/use-cases/jobs/forecast-demand';

const inventory = settings.inventory();
const deps = {
  catalog: catalogStore(),
  sales: salesHistory(),
  forecasts: forecastStore(),
  policy: { leadTimeDays: inventory.leadTimeDays, serviceLevel: inventory.serviceLevelPerMille / 1000 },
};

/**
 * The daily demand forecast (functions/core/use-cases/jobs/forecast-demand.ts). Publishes how many products are at or
 * below their reorder point on every run, zero included, so the low-stock alarm sees "fine" rather than "no data".
 */
export const handler = jobHandler('forecast-demand', async () => {
  if (await skippedInStandby('forecast-demand')) return { skipped: 'standby' as const };
  const report = await forecastAllProducts(deps);
  metrics.addMetric(metricNames.productsForecast, MetricUnit.Count, report.forecast);
  metrics.addMetric(metricNames.productsBelowReorderPoint, MetricUnit.Count, report.belowReorderPoint.length);
  logger.info('demand forecast finished', { ...report });
  return report;
});
