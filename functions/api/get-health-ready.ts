import { SFNClient } from '@aws-sdk/client-sfn';
import { documentClient, regionFence } from '../core/adapters/dynamodb/document-client';
import { tableName } from '../core/adapters/dynamodb/stores';
import { tableProbe } from '../core/adapters/dynamodb/table-probe';
import { workflowProbe } from '../core/adapters/workflow-probe';
import { httpHandler } from '../core/handlers/http-handler';
import { settings } from '../core/config/settings';
import { tracer } from '../core/observability/powertools';
import { NotReadyError } from '../core/domain/errors';
import { writesIn } from '../core/domain/region-role';
import { checkReadiness } from '../core/use-cases/health/check-readiness';
import * as contract from './route-contracts';
import { routes } from './routes';

/** Well inside API Gateway's 29 s and a load balancer's usual probe timeout; the probes run in parallel. */
const probeTimeoutMs = 1500;
const probes = {
  table: tableProbe(documentClient, tableName()),
  // One attempt: a retry would only eat the probe's deadline, and the next probe is the retry.
  workflow: workflowProbe(
    tracer.captureAWSv3Client(new SFNClient({ maxAttempts: 1 })),
    settings.orderWorkflow().stateMachineArn,
  ),
};

/**
 * Readiness, for deploy checks, load balancers and the failover records' health checks: the orders table and the
 * order saga's state machine both answer, and the region says whether it writes (`role`, read fresh from its replica).
 * 503 (problem+json, naming the failing dependency by its logical name) when either does not, in time.
 */
export const handler = httpHandler(routes.healthReady, contract.healthReady, async () => {
  const [checks, role] = await Promise.all([
    checkReadiness(probes, probeTimeoutMs),
    regionFence.role(true).catch(() => undefined),
  ]);
  if (!role) throw new NotReadyError({ ...checks, table: 'unavailable' });
  const region = regionFence.region;
  return {
    body: {
      status: 'ready' as const,
      role: writesIn(role, region) ? ('active' as const) : ('standby' as const),
      region,
      epoch: role.epoch,
      checks,
    },
    headers: { 'cache-control': 'no-store' },
  };
});
