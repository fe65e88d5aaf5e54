import { CustomResource, Duration } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../bin/environment-config';
import { migrationChecksum } from '../../functions/core/migrations/migration';
import { migrations } from '../../functions/core/migrations/migrations';
import { dataRemovalPolicy, logRetention } from '../retention';
import { OrderFunction } from './order-function';

export interface DataMigrationsProps {
  readonly config: EnvironmentConfig;
  /** The orders table: the migrations' subject and the home of their ledger. */
  readonly table: ITableV2;
}

/** The handler module, relative to the project root (the local runtime runs the same one at start). */
export const migrationsHandlerModule = 'functions/jobs/run-migrations.ts';

/**
 * How long each party to a migration run may take, shortest first, so each failure is reported by the next one up
 * instead of leaving CloudFormation waiting for its default hour: the runner times out first; the provider's
 * function (a fixed 15 min in aws-cdk-lib) then still answers CloudFormation with the runner's error message; the
 * custom resource's service timeout ends the wait if even that answer never comes.
 */
export const migrationTimeouts = {
  runner: Duration.minutes(13),
  providerFunction: Duration.minutes(15),
  customResource: Duration.minutes(20),
} as const;

/**
 * Runs the data migrations (functions/core/migrations/) during the deployment: a custom resource whose provider
 * invokes the migration function. Its properties list every migration and the function's published version, so
 * CloudFormation updates it, and so runs the migrations, whenever a migration is added or the function's code
 * changes (a run with nothing pending reads one ledger item per migration and writes nothing). A failing migration
 * fails the resource, and the deployment rolls back.
 *
 * CloudFormation updates the functions of the stack in parallel with this resource, so a migration must keep the
 * data readable by the code before and after it (add attributes, backfill; remove only in a later release).
 */
export class DataMigrations extends Construct {
  readonly function: OrderFunction;
  readonly provider: cr.Provider;
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: DataMigrationsProps) {
    super(scope, id);
    const { config, table } = props;

    // Close to Lambda's longest run, which a migration visiting every item of a large table needs, yet below the
    // provider function's. A run cut short leaves its claim to expire and is taken over by the next deployment;
    // migrations are idempotent, so it starts over.
    this.function = new OrderFunction(this, 'Runner', {
      handlerModule: migrationsHandlerModule,
      config,
      serviceName: 'orders-jobs',
      description: 'run-migrations: applies pending data migrations during deployments',
      timeout: migrationTimeouts.runner,
      memorySize: 1024,
    })
      // Item reads and writes on the table alone (no index: migrations read through Scan), plus the Scan itself.
      .useTable(table, 'readWrite', [])
      .scanTable(table);

    // The provider's own function gets a role without AWS managed policies: it writes to its log group and invokes
    // exactly the migration function's version of this deployment (Provider grants that, and GetFunction on it).
    const providerLogs = new logs.LogGroup(this, 'ProviderLogs', {
      retention: logRetention(config),
      removalPolicy: dataRemovalPolicy(config),
    });
    const providerRole = new iam.Role(this, 'ProviderRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Custom resource provider of the data migrations',
    });
    providerLogs.grantWrite(providerRole);
    const version = this.function.function.currentVersion;
    this.provider = new cr.Provider(this, 'Provider', {
      onEventHandler: version,
      logGroup: providerLogs,
      frameworkOnEventRole: providerRole,
    });

    this.resource = new CustomResource(this, 'Run', {
      serviceToken: this.provider.serviceToken,
      resourceType: 'Custom::DataMigrations',
      // A failed run answers at once (Reason: the migration's error, then the runner's log group); this bounds the
      // wait when no answer comes at all.
      serviceTimeout: migrationTimeouts.customResource,
      properties: {
        Migrations: migrations.map((migration) => `${migration.id}:${migrationChecksum(migration).slice(0, 12)}`),
        FunctionVersion: version.version,
      },
    });
  }
}
