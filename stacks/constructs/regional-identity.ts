import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { IUserPool } from 'aws-cdk-lib/aws-cognito';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../bin/environment-config';
import { envNames } from '../../functions/core/config/settings';
import { keys } from '../../functions/core/data/table-design';
import { signingKeysItemKey } from '../../functions/core/identity/mirrored-signing-keys';
import type { OperatorAlarms } from './operator-alarms';
import { OrderFunction } from './order-function';
import { grantPartitionItems } from './table-grants';

/** The mirror job's cadence: Cognito publishes a new signing key well before it signs with it. */
export const mirrorSchedule = 'rate(1 hour)';

export interface IdentityMirrorProps {
  readonly config: EnvironmentConfig;
  readonly envName: string;
  readonly table: ITableV2;
  readonly userPool: IUserPool;
}

/**
 * The primary region's mirror-signing-keys job (functions/jobs/mirror-signing-keys.ts): hourly, it copies the user
 * pool's JWKS into the orders table's `IDENTITY`/`JWKS` item, which replication carries to the standby regions, whose
 * authorizer verifies tokens with it (docs/identity.md). It may write that one partition and nothing else. Not a
 * construct of its own, so the logical ids stay the stack's direct children's.
 */
export class IdentityMirror {
  readonly function: OrderFunction;
  readonly schedule: events.Rule;

  constructor(scope: Construct, props: IdentityMirrorProps) {
    const period = Duration.hours(1);
    this.function = new OrderFunction(scope, 'JobMirrorSigningKeys', {
      handlerModule: 'functions/jobs/mirror-signing-keys.ts',
      config: props.config,
      serviceName: 'orders-jobs',
      description: "mirror-signing-keys: copies the user pool's signing keys into the global table for the standby",
      timeout: Duration.seconds(30),
    });
    this.function.function.addEnvironment(envNames.identity.userPoolId, props.userPool.userPoolId);
    this.function.function.addEnvironment(envNames.table.tableName, props.table.tableName);
    grantPartitionItems(this.function.role, props.table, signingKeysItemKey.PK, 'put');
    // The write fence reads the region role before a single-item write (docs/regions.md).
    grantPartitionItems(this.function.role, props.table, keys.regionRole.PK, 'get');
    // As the other jobs: no Lambda retry, the next run is the retry.
    this.function.alias.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: period });
    this.schedule = new events.Rule(scope, 'JobMirrorSigningKeysSchedule', {
      ruleName: `orders-${props.envName}-mirror-signing-keys`,
      description: "Copies the user pool's signing keys (JWKS) into the global table for the standby region",
      schedule: events.Schedule.expression(mirrorSchedule),
      targets: [new eventTargets.LambdaFunction(this.function.alias, { retryAttempts: 2, maxEventAge: period })],
    });
  }

  /** A ticket after three failed runs in a row: the standby keeps the last good keys, but they age. */
  addAlarms(alarms: OperatorAlarms): void {
    alarms.add('MirrorSigningKeysFailing', {
      metric: this.function.function.metricErrors({ period: Duration.hours(1), statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      evaluationPeriods: 3,
      summary:
        "The job copying the user pool's signing keys into the global table has failed for three hours: after a key " +
        'rotation the standby region would refuse the new tokens during a failover.',
      runbook: 'regionalFailover',
      severity: 'ticket',
    });
  }
}

export interface StandbyAuthorizerProps {
  readonly config: EnvironmentConfig;
  /** The orders table's replica in the standby's region. */
  readonly table: ITableV2;
}

/**
 * The standby region's REST API authorizer function (functions/authorizers/standby-authorizer.ts): reads the mirrored
 * signing keys from the region's own replica (that one item only) and verifies each request's token against them.
 */
export function createStandbyAuthorizer(scope: Construct, props: StandbyAuthorizerProps): OrderFunction {
  const fn = new OrderFunction(scope, 'StandbyAuthorizerFunction', {
    handlerModule: 'functions/authorizers/standby-authorizer.ts',
    config: props.config,
    serviceName: 'orders-api',
    description: 'Verifies Cognito access tokens against the primary user pool signing keys mirrored into the table',
    timeout: Duration.seconds(5),
  });
  fn.function.addEnvironment(envNames.table.tableName, props.table.tableName);
  grantPartitionItems(fn.role, props.table, signingKeysItemKey.PK, 'get');
  return fn;
}
