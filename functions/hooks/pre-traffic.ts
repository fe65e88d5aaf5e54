import { settings } from '../core/config/settings';
import { jobHandler } from '../core/handlers/job-handler';
import { logger } from '../core/observability/powertools';
import { getDeployment, invokeVersion, reportVerdict, type LifecycleEvent } from './release-apis';
import { hookSettingsSchemas, judgeProbe, parseSetting, probeEvent, versionOf } from './release-checks';

const { probe, targets } = settings.releaseHooks();
const kind = parseSetting(hookSettingsSchemas.probe, 'RELEASE_PROBE', probe);
const versions = parseSetting(hookSettingsSchemas.targets, 'RELEASE_TARGETS', targets);

/**
 * CodeDeploy's BeforeAllowTraffic hook for the functions of one kind: invokes the version the deployment is about to
 * shift traffic to with the kind's synthetic request (release-checks.ts) and fails the deployment, before any
 * caller reaches that version, when the answer is not the one a healthy version gives.
 */
export const handler = jobHandler(`pre-traffic-${kind}`, async (event) => {
  const lifecycle = event as LifecycleEvent;
  return reportVerdict(
    lifecycle,
    async () => {
      const { group } = await getDeployment(lifecycle.DeploymentId);
      const versionArn = versions[group];
      if (!versionArn) return { status: 'Failed', reason: `no version known for deployment group ${group}` };
      const { functionName, version } = versionOf(versionArn);
      const result = await invokeVersion(functionName, version, probeEvent(kind, lifecycle.DeploymentId));
      return judgeProbe(kind, result);
    },
    (message, details) => logger.info(message, details),
  );
});
