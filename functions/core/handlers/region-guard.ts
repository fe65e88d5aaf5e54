import { regionFence } from '../adapters/dynamodb/document-client';
import { logger } from '../observability/powertools';

/**
 * For the jobs that write (recovery, forecasts, migrations): true in a standby region (docs/regions.md), where every
 * write would be refused. The job then does nothing and says so, instead of failing on its first write and paging
 * someone: its twin in the active region does the work, and the data reaches this region by replication.
 */
export async function skippedInStandby(jobName: string): Promise<boolean> {
  const role = await regionFence.role(true);
  if (await regionFence.writesHere()) return false;
  logger.info('standby region: job skipped', { job: jobName, activeRegion: role.activeRegion, epoch: role.epoch });
  return true;
}
