import { App, type Environment, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { selectEnvironment, type EnvironmentConfig } from '../bin/environment-config';
import { DataStack } from './data-stack';
import { ReplicaKeyStack } from './replica-key-stack';
import { ServiceStack } from './service-stack';
import { StandbyDataStack } from './standby-data-stack';

export interface OrdersApp {
  readonly app: App;
  readonly envName: string;
  readonly config: EnvironmentConfig;
  readonly replicaKeys: readonly ReplicaKeyStack[];
  readonly data: DataStack;
  readonly service: ServiceStack;
  /** Per replica region (same order as `config.replicaRegions`): its idempotency table, replica handle and API keys. */
  readonly standbyData: readonly StandbyDataStack[];
  /** Per replica region: the same service stack, standing by on the table's replica (docs/deploy.md, "Regions"). */
  readonly standbys: readonly ServiceStack[];
}

/** The name prefix of a standby region's resources: `orders-<env>-<region>-...`, so no name reads like the primary's. */
export function standbyNamePrefix(envName: string, region: string): string {
  return `${envName}-${region}`;
}

export interface BuildAppOptions {
  /** Environment to build; defaults to the `env` context value, then `dev`. */
  readonly envName?: string;
  /** Context for the App. The CLI passes cdk.json's context itself; tests pass it here. */
  readonly context?: Record<string, unknown>;
  /** Cloud assembly directory; a temporary one by default. */
  readonly outdir?: string;
}

/**
 * Builds the whole app for one environment: the replica-region keys, the stateful data stack and the stateless
 * service stack, tagged and checked by cdk-nag's AWS Solutions pack (synth fails on an unacknowledged finding).
 * The CLI entry point and the infra tests both call this, so they synthesize exactly the same thing.
 */
export function buildApp(options: BuildAppOptions = {}): OrdersApp {
  const app = new App({
    ...(options.context ? { context: options.context } : {}),
    ...(options.outdir ? { outdir: options.outdir } : {}),
  });
  const envName = options.envName ?? (app.node.tryGetContext('env') as string | undefined) ?? 'dev';
  const config = selectEnvironment(app.node.tryGetContext('environments'), envName);
  const account = config.account ?? process.env.CDK_DEFAULT_ACCOUNT;
  const envIn = (region: string): Environment => ({ account, region });
  const prefix = `Orders-${envName}`;

  const replicaKeys = config.replicaRegions.map(
    (region) =>
      new ReplicaKeyStack(app, `${prefix}-ReplicaKey-${region}`, {
        env: envIn(region),
        envName,
        config,
        description:
          `Orders (${envName}): table key for the ${region} replica` +
          (config.backup && region === config.replicaRegions[0] ? ', backup copy vault' : ''),
        terminationProtection: config.retainData,
      }),
  );
  const data = new DataStack(app, `${prefix}-Data`, {
    env: envIn(config.primaryRegion),
    envName,
    config,
    description: `Orders (${envName}): tables, user pool, API keys, payment API key`,
    terminationProtection: config.retainData,
  });
  // Each replica's key must exist before DynamoDB creates the replica.
  for (const stack of replicaKeys) data.addStackDependency(stack, 'the table replica is encrypted with its key');
  const service = new ServiceStack(app, `${prefix}-Service`, {
    env: envIn(config.primaryRegion),
    envName,
    config,
    description: `Orders (${envName}): functions, state machines, jobs, event bus, REST API, usage plans, alarms`,
    table: data.table,
    tableIndexNames: data.tableIndexNames,
    idempotencyTable: data.idempotencyTable,
    role: 'primary',
    replicationTargets: config.replicaRegions,
    userPool: data.userPool,
    apiKeys: data.apiKeys,
    paymentApiKey: data.paymentApiKey,
    paymentWebhookSecret: data.paymentWebhookSecret,
  });

  // The standby regions: the same service on each replica, deployed with the environment (`cdk deploy --all`).
  const standbyData: StandbyDataStack[] = [];
  const standbys: ServiceStack[] = [];
  config.replicaRegions.forEach((region, index) => {
    const replicaKey = replicaKeys[index]!;
    const handles = new StandbyDataStack(app, `${prefix}-StandbyData-${region}`, {
      env: envIn(region),
      envName,
      config,
      tableKey: replicaKey.key,
      description: `Orders (${envName}): standby data in ${region}: idempotency table, replica stream, API keys`,
      terminationProtection: config.retainData,
    });
    // The replica, the secrets' replicas and the primary's API keys are made by the data stack's deployment.
    handles.addStackDependency(data, 'reads the table replica, the replicated secrets and the primary API keys');
    const standby = new ServiceStack(app, `${prefix}-Standby-${region}`, {
      env: envIn(region),
      envName: standbyNamePrefix(envName, region),
      config,
      description: `Orders (${envName}): standby service in ${region} on the table replica (same code as Service)`,
      role: 'standby',
      replicationTargets: [config.primaryRegion, ...config.replicaRegions.filter((other) => other !== region)],
      table: handles.table,
      tableIndexNames: data.tableIndexNames,
      idempotencyTable: handles.idempotencyTable,
      apiKeys: handles.apiKeys,
      paymentApiKey: handles.paymentApiKey,
      paymentWebhookSecret: handles.paymentWebhookSecret,
    });
    standbyData.push(handles);
    standbys.push(standby);
  });

  // The cost-allocation tags (docs/deploy.md, "Costs"): every taggable resource of every stack carries them.
  const costAllocationTags = {
    service: config.costAllocation.service,
    environment: envName,
    owner: config.costAllocation.owner,
    'cost-center': config.costAllocation.costCenter,
  };
  for (const [key, value] of Object.entries(costAllocationTags)) Tags.of(app).add(key, value);
  Tags.of(app).add('project', 'orders');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, envName, config, replicaKeys, data, service, standbyData, standbys };
}
