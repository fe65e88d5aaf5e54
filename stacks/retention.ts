import { RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { EnvironmentConfig } from '../bin/environment-config';

const retentionByDays: Record<EnvironmentConfig['logRetentionDays'], logs.RetentionDays> = {
  7: logs.RetentionDays.ONE_WEEK,
  14: logs.RetentionDays.TWO_WEEKS,
  30: logs.RetentionDays.ONE_MONTH,
  90: logs.RetentionDays.THREE_MONTHS,
  365: logs.RetentionDays.ONE_YEAR,
};

/** Log retention of the environment, for every log group the stacks create. */
export function logRetention(config: EnvironmentConfig): logs.RetentionDays {
  return retentionByDays[config.logRetentionDays];
}

/** Tables, keys, user pools, secrets and logs outlive their stack where the environment retains data. */
export function dataRemovalPolicy(config: EnvironmentConfig): RemovalPolicy {
  return config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
}
