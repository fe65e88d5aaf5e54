import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../core/adapters/dynamodb/document-client';
import { tableName } from '../core/adapters/dynamodb/stores';
import { settings } from '../core/config/settings';
import { jobHandler } from '../core/handlers/job-handler';
import { skippedInStandby } from '../core/handlers/region-guard';
import { fetchJson, mirrorSigningKeys } from '../core/identity/mirror-signing-keys';
import { signingKeysItem } from '../core/identity/mirrored-signing-keys';
import { logger } from '../core/observability/powertools';

const { userPoolId } = settings.identity();
const table = tableName();
const deps = {
  fetchJson: (url: string) => fetchJson(url),
  store: async (keys: Parameters<typeof signingKeysItem>[0]) => {
    await documentClient.send(new PutCommand({ TableName: table, Item: signingKeysItem(keys) }));
  },
  now: () => new Date(),
};

/**
 * Hourly, in the primary region only (AWS): copies the user pool's JWKS into the orders table's `IDENTITY`/`JWKS`
 * item, which the global table replicates to the standby region, where the standby's authorizer verifies tokens
 * with it while this region is down (docs/identity.md, "Regional failover").
 */
export const handler = jobHandler('mirror-signing-keys', async () => {
  // After a failover this region is a standby whose writes are refused: the last mirrored keys stay in the table.
  if (await skippedInStandby('mirror-signing-keys')) return { skipped: 'standby' as const };
  const report = await mirrorSigningKeys(deps, userPoolId);
  logger.info('mirrored the user pool signing keys', { ...report });
  return report;
});
