import { CfnOutput, CrossStackReferences, NestedStack, ReferenceStrength, Stack, type StackProps } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type { IUserPool } from 'aws-cdk-lib/aws-cognito';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../bin/environment-config';
import type { RouteId } from '../functions/api/routes';
import type { JobName } from '../functions/jobs/schedule';
import { orderCancellation, orderSaga, type SagaPlaceholder } from '../statemachines/order-saga';
import { notifyFailedDeployments } from './constructs/alarm-topics';
import { ApiCustomDomain, type RegionRole } from './constructs/api-custom-domain';
import { ApiFirewall } from './constructs/api-firewall';
import { ChaosExperiments } from './constructs/chaos-experiments';
import { constructId } from './constructs/construct-ids';
import { DataMigrations } from './constructs/data-migrations';
import { FeatureFlags } from './constructs/feature-flags';
import { routeNeeds, sagaTaskNeeds } from './constructs/function-needs';
import { OperationsDashboard } from './constructs/operations-dashboard';
import type { OperatorAlarms } from './constructs/operator-alarms';
import { OrderApi, type ApiIdentity } from './constructs/order-api';
import { apiStageName } from './constructs/service-metrics';
import { createOrderAlarms } from './constructs/order-alarms';
import type { OrderFunction } from './constructs/order-function';
import { createAttentionQueue, createEventBus } from './constructs/order-messaging';
import { OrderWorkflows } from './constructs/order-workflows';
import { breakGlassFrom, Releases } from './constructs/releases';
import { ScheduledJobs } from './constructs/scheduled-jobs';
import { EventConsumers } from './constructs/event-consumers';
import { OutboxRelay } from './constructs/outbox-relay';
import {
  addWebhookAlarms,
  createWebhookQueues,
  createWebhookSender,
  type WebhookQueues,
} from './constructs/webhook-delivery';
import { addServiceLevelAlarms, type ServiceLevelAlarms } from './constructs/service-level-alarms';
import { addServiceOutputs } from './constructs/service-outputs';
import { createMonthlyBudget } from './constructs/monthly-budget';
import { IdentityMirror, createStandbyAuthorizer } from './constructs/regional-identity';
import { addReplicationLatencyAlarms } from './constructs/replication-alarms';

export interface ServiceStackProps extends StackProps {
  readonly envName: string;
  readonly config: EnvironmentConfig;
  readonly table: ITableV2;
  readonly tableIndexNames: readonly string[];
  /** Where idempotent routes keep their stored responses (Powertools idempotency). */
  readonly idempotencyTable: ITableV2;
  /**
   * `primary`: the region that takes the traffic first and mirrors the signing keys. `standby`: the same service
   * in a replica region on the table's replica, warm but passive (stacks/orders-app.ts): no chaos experiments or
   * budget of its own, its outbox relay created disabled, tokens verified by the standby authorizer. Its writes are
   * fenced and its writing jobs skip while the region is not the active one (docs/regions.md).
   */
  readonly role: RegionRole;
  /** The primary's user pool (primary only; a standby verifies its tokens against the mirrored signing keys). */
  readonly userPool?: IUserPool;
  /** The regions whose replicas this region's writes replicate to (for the replication-latency alarms). */
  readonly replicationTargets: readonly string[];
  /** The client apps' API keys (`config.api.clientApps`), by app name, each with its usage plan. */
  readonly apiKeys: ReadonlyMap<string, { readonly key: apigateway.IApiKey; readonly plan: string }>;
  readonly paymentApiKey: ISecret;
  readonly paymentWebhookSecret: ISecret;
}

/**
 * The stateless half: one function per route, per saga task and per scheduled job, the state machines (order saga
 * and cancellation), the event bus, the REST API with its usage plans, the needs-attention queue, the alarms and
 * (where configured) the chaos experiments. Everything here can be destroyed and redeployed without losing data: an
 * order waiting for an operator is also flagged on its item in the table (`attention`), not only queued.
 */
export class ServiceStack extends Stack {
  readonly api: apigateway.RestApi;
  /** The order saga. */
  readonly stateMachine: sfn.StateMachine;
  /** Every state machine, by its definition's name (`saga`, `cancellation`). */
  readonly stateMachines: ReadonlyMap<string, sfn.StateMachine>;
  readonly usagePlans: ReadonlyMap<string, apigateway.UsagePlan>;
  readonly eventBus: events.EventBus;
  readonly routeFunctions: ReadonlyMap<RouteId, OrderFunction>;
  /** The nested stack that holds the route functions, their releases and their alarms. */
  readonly routeFunctionsStack: NestedStack;
  readonly sagaFunctions: ReadonlyMap<SagaPlaceholder, OrderFunction>;
  readonly jobFunctions: ReadonlyMap<JobName, OrderFunction>;
  readonly jobSchedules: ReadonlyMap<JobName, events.Rule>;
  /** The data migrations, applied during each deployment by a custom resource (a standby's run skips). */
  readonly migrations: DataMigrations;
  /** The job that mirrors the user pool's signing keys into the global table (primary only). */
  readonly identityMirror?: IdentityMirror;
  /** The Lambda authorizer of the API (standby only). */
  readonly standbyAuthorizer?: OrderFunction;
  /** Orders whose compensation kept failing, for an operator: the saga's dead-letter destination. */
  readonly attentionQueue: sqs.Queue;
  /** The order-event consumers: their functions and dead-letter queues, by consumer name. */
  readonly eventConsumers: EventConsumers;
  readonly outboxRelay: OutboxRelay;
  /** The partner webhook delivery queue, its dead-letter queue and the sender that consumes it. */
  readonly webhookQueues: WebhookQueues;
  readonly webhookSender: OrderFunction;
  readonly alarms: OperatorAlarms;
  /** Only where the environment configures `chaos`. */
  readonly chaos?: ChaosExperiments;
  /** Objective, throttling and payment-provider alarms; the order failure rate gates the order path's releases. */
  readonly serviceLevelAlarms: ServiceLevelAlarms;
  /** CodeDeploy: every route, saga task and job function releases through its `live` alias. */
  readonly releases: Releases;
  readonly dashboard: OperationsDashboard;
  /** The AppConfig application, environment, flags profile and rollout strategy. */
  readonly featureFlags: FeatureFlags;
  /** The WAF web ACL on the API stage. */
  readonly firewall: ApiFirewall;
  /** Only where the environment configures `api.customDomain`. */
  readonly customDomain?: ApiCustomDomain;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props);
    const { config, envName, table, tableIndexNames, role } = props;
    const primary = role === 'primary';
    // Exports and imports: CloudFormation then refuses to delete or change a data-stack resource this stack uses.
    CrossStackReferences.of(this).consume(ReferenceStrength.STRONG);

    this.eventBus = createEventBus(this, envName, config);
    this.attentionQueue = createAttentionQueue(this, envName);
    this.webhookQueues = createWebhookQueues(this, envName);
    const shared = {
      ...props,
      eventBus: this.eventBus,
      attentionQueue: this.attentionQueue,
      webhookQueue: this.webhookQueues.deliveries,
    };
    const workflows = new OrderWorkflows(this, shared);
    this.sagaFunctions = workflows.sagaFunctions;
    this.stateMachines = workflows.stateMachines;
    this.stateMachine = workflows.machineFor(orderSaga);

    // The route functions in a nested stack of their own: one route brings about a dozen resources (function, role,
    // log group, version, alias, deployment group, alarms), and CloudFormation caps a template at 500.
    this.routeFunctionsStack = new NestedStack(this, 'RouteFunctions', {
      description: `Orders (${envName}): one function per API route, with its release and alarms`,
    });
    let identity: ApiIdentity;
    if (props.userPool) {
      identity = { userPool: props.userPool };
    } else if (!primary) {
      this.standbyAuthorizer = createStandbyAuthorizer(this, { config, table });
      identity = { standbyAuthorizer: this.standbyAuthorizer.alias };
    } else {
      throw new Error('the primary region needs the user pool');
    }
    const orderApi = new OrderApi(this, {
      ...shared,
      workflows,
      identity,
      functionsScope: this.routeFunctionsStack,
    });
    this.routeFunctions = orderApi.routeFunctions;
    this.api = orderApi.api;
    this.usagePlans = orderApi.usagePlans;
    this.firewall = new ApiFirewall(this, 'Firewall', { envName, config, stage: this.api.deploymentStage });
    const settings = config.api.customDomain;
    // A standby has the domain only with failover: it needs its own region's certificate, and the record pair.
    const certificateArn = primary ? settings?.certificateArn : settings?.failover?.replicaCertificateArns[this.region];
    if (settings && certificateArn) {
      this.customDomain = new ApiCustomDomain(this, 'CustomDomain', {
        settings,
        api: this.api,
        stageName: apiStageName,
        role,
        certificateArn,
      });
    }

    // In a standby too: the writing jobs skip while their region is not the active one (docs/regions.md), so the
    // schedules need no switching at promotion.
    const jobs = new ScheduledJobs(this, { ...shared, workflows });
    this.jobFunctions = jobs.functions;
    this.jobSchedules = jobs.schedules;
    // The order-event consumers (the sales history), on rules of the orders bus with a dead-letter queue each.
    this.eventConsumers = new EventConsumers(this, { ...shared, envName });
    // The outbox relay: the table's stream to the orders bus (every event a state change wrote with itself).
    // Disabled in a standby: its stream also carries every write replicated from the active region, which that
    // region's relay publishes.
    this.outboxRelay = new OutboxRelay(this, { ...shared, envName });
    // Partner webhooks: the sender, fed by the delivery queue the fan-out consumer fills.
    this.webhookSender = createWebhookSender(this, { ...shared, queues: this.webhookQueues });
    // In every region: the run skips in a standby (the active region's run migrates the replicas), and a region
    // deployed while it is the active one applies what the deploy brings.
    this.migrations = new DataMigrations(this, 'DataMigrations', { config, table });

    const cancellation = workflows.machineFor(orderCancellation);
    const { attentionQueue, jobFunctions } = this;
    this.alarms = createOrderAlarms(this, {
      envName,
      config,
      attentionQueue,
      saga: this.stateMachine,
      cancellation,
      jobFunctions,
    });
    this.outboxRelay.addAlarms(this.alarms);
    this.eventConsumers.addAlarms(this.alarms);
    addWebhookAlarms(this.alarms, this.webhookQueues);
    addReplicationLatencyAlarms(this.alarms, { table, receivingRegions: props.replicationTargets });
    // Only where a standby exists to read the mirror.
    if (primary && props.userPool && config.replicaRegions.length > 0) {
      this.identityMirror = new IdentityMirror(this, { config, envName, table, userPool: props.userPool });
      this.identityMirror.addAlarms(this.alarms);
    }
    // After the alarms: a flags rollout watches the saga's alarms and rolls back by itself when one fires.
    const rollbackAlarms = this.alarms.named('SagaFailed', 'OrderNeedsAttention');
    this.featureFlags = new FeatureFlags(this, 'FeatureFlags', { envName, config, rollbackAlarms });
    const flagReaders = [
      ...[...this.routeFunctions].filter(([route]) => routeNeeds[route].readsFeatureFlags),
      ...[...this.sagaFunctions].filter(([placeholder]) => sagaTaskNeeds[placeholder].readsFeatureFlags),
    ];
    for (const [, fn] of flagReaders) fn.useFeatureFlags(this.featureFlags);
    // Last, so the dashboard's alarm widget lists every alarm.
    this.serviceLevelAlarms = addServiceLevelAlarms(this.alarms, { config, api: this.api, table, tableIndexNames });
    if (config.chaos && primary) {
      // Stopped by the service level objectives (what customers feel) and by the saga's own failure signals.
      this.chaos = new ChaosExperiments(this, 'Chaos', {
        envName,
        settings: config.chaos,
        targets: new Map([...this.sagaFunctions].map(([placeholder, fn]) => [constructId(placeholder), fn])),
        stopConditions: this.alarms.named(
          'OrderCompletionSlo',
          'ApiAvailabilitySlo',
          'ApiLatencySlo',
          'SagaFailed',
          'OrderNeedsAttention',
        ),
        ...(config.replicaRegions.length > 0 ? { replicatedTable: table } : {}),
      });
    }
    // The migration runner is left out: its custom resource invokes the version of each deployment, not the alias.
    this.releases = new Releases(this, 'Releases', {
      envName,
      deploymentConfig: config.release.deploymentConfig,
      api: this.api,
      config,
      alarms: this.alarms,
      sloAlarms: [
        this.serviceLevelAlarms.orderCompletion,
        this.serviceLevelAlarms.apiAvailability,
        this.serviceLevelAlarms.apiLatency,
      ],
      businessAlarm: this.serviceLevelAlarms.orderFailureRate,
      // Recorded in the template (the post-traffic hook's environment): the next deploy without it restores the gate.
      ...breakGlassFrom(this),
      routeFunctions: this.routeFunctions,
      sagaFunctions: this.sagaFunctions,
      jobFunctions,
    });
    notifyFailedDeployments(this, envName, this.releases.application, this.alarms.topics.ticket);
    // Once per environment: the budget covers the whole account, so the standby region's spend too.
    if (primary) createMonthlyBudget(this, { envName, settings: config.budget, topic: this.alarms.topics.ticket });
    this.dashboard = new OperationsDashboard(this, 'Operations', {
      ...props,
      api: this.api,
      apiAccessLogs: orderApi.accessLogs,
      functions: {
        api: [...this.routeFunctions.values()],
        saga: [...this.sagaFunctions.values()],
        jobs: [
          ...jobFunctions.values(),
          this.migrations.function,
          ...(this.identityMirror ? [this.identityMirror.function] : []),
          this.outboxRelay.function,
        ],
      },
      saga: this.stateMachine,
      cancellation,
      attentionQueue,
      alarms: this.alarms,
    });
    addServiceOutputs(this, {
      api: this.api,
      workflows,
      eventBus: this.eventBus,
      attentionQueue,
      alarms: this.alarms,
      dashboard: this.dashboard,
      releases: this.releases,
      ...(this.customDomain ? { customDomain: this.customDomain } : {}),
      ...(this.chaos ? { chaos: this.chaos } : {}),
    });
    // What promoting a standby must switch on (and fencing an old primary switch off): its outbox relay.
    new CfnOutput(this, 'RegionRole', { description: 'The role this stack was deployed for', value: role });
    new CfnOutput(this, 'OutboxRelayMappingId', {
      description:
        "Event source mapping of the outbox relay on the table stream (it publishes only its own region's events)",
      value: this.outboxRelay.eventSourceMapping.eventSourceMappingId,
    });
  }
}
