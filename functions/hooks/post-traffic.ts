import { settings } from '../core/config/settings';
import { jobHandler } from '../core/handlers/job-handler';
import { logger } from '../core/observability/powertools';
import { describeAlarms, getDeployment, reportVerdict, type LifecycleEvent } from './release-apis';
import { alarmsToRead, hookSettingsSchemas, judgeAlarms, parseSetting } from './release-checks';

const config = settings.releaseHooks();
const sloAlarms = parseSetting(hookSettingsSchemas.names, 'RELEASE_SLO_ALARMS', config.sloAlarms);
const businessGroups = parseSetting(hookSettingsSchemas.names, 'RELEASE_BUSINESS_GROUPS', config.businessGroups);

/**
 * CodeDeploy's AfterAllowTraffic hook for every function: once the new version takes all traffic, reads the service
 * level alarms (and, for the order path, the order failure rate) and fails the deployment, which rolls it back,
 * when one went into ALARM during it (judgeAlarms says why an alarm already firing does not block).
 */
export const handler = jobHandler('post-traffic', async (event) => {
  const lifecycle = event as LifecycleEvent;
  return reportVerdict(
    lifecycle,
    async () => {
      const deployment = await getDeployment(lifecycle.DeploymentId);
      const names = alarmsToRead(deployment.group, {
        sloAlarms,
        businessGroups,
        ...(config.businessAlarm ? { businessAlarm: config.businessAlarm } : {}),
      });
      return judgeAlarms({
        alarms: await describeAlarms(names),
        deploymentStartedAt: deployment.createdAt,
        ...(config.breakGlass ? { breakGlass: config.breakGlass } : {}),
      });
    },
    (message, details) => logger.info(message, details),
  );
});
