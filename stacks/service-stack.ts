import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CfnOutput,
  CrossStackReferences,
  Duration,
  ReferenceStrength,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { IUserPool } from 'aws-cdk-lib/aws-cognito';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as xray from 'aws-cdk-lib/aws-xray';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../bin/environment-config';
import { gatewayProblem, gatewayResponses, type GatewayResponseDefinition } from '../functions/api/gateway-responses';
import { authorizationScopes, routeList, type RouteDefinition, type RouteId } from '../functions/api/routes';
import { jobs, type JobName } from '../functions/jobs/schedule';
import {
  orderCancellation,
  orderSaga,
  placeholdersIn,
  sagaTasks,
  stateMachines,
  type SagaPlaceholder,
  type StateMachineDefinition,
} from '../statemachines/order-saga';
import { ApiCustomDomain } from './constructs/api-custom-domain';
import { ApiFirewall } from './constructs/api-firewall';
import { ChaosExperiments } from './constructs/chaos-experiments';
import { DataMigrations } from './constructs/data-migrations';
import { FeatureFlags } from './constructs/feature-flags';
import { OperationsDashboard } from './constructs/operations-dashboard';
import { OperatorAlarms } from './constructs/operator-alarms';
import { OrderFunction, projectRoot, type TableAccess } from './constructs/order-function';
import { Releases } from './constructs/releases';
import { addServiceLevelAlarms, type ServiceLevelAlarms } from './constructs/service-level-alarms';
import { apiStageName } from './constructs/service-metrics';
import { planId } from './data-stack';
import { requestModel } from './request-models';
import { dataRemovalPolicy, logRetention } from './retention';
import { routeCache, stageCacheOptions } from './stage-cache';
import { metricNames, ordersNamespace } from '../functions/core/observability/metric-names';

export interface ServiceStackProps extends StackProps {
  readonly envName: string;
  readonly config: EnvironmentConfig;
  readonly table: ITableV2;
  readonly tableIndexNames: readonly string[];
  /** Where idempotent routes keep their stored responses (Powertools idempotency). */
  readonly idempotencyTable: ITableV2;
  readonly userPool: IUserPool;
  /** One API key per usage plan in `config.api.usagePlans`, by plan name. */
  readonly apiKeys: ReadonlyMap<string, apigateway.IApiKey>;
  readonly paymentApiKey: ISecret;
}

/** What a handler touches besides its own logs. Each flag maps to one binding method of OrderFunction. */
interface FunctionNeeds {
  readonly table?: TableAccess;
  readonly holdsStock?: boolean;
  readonly publishesEvents?: boolean;
  readonly callsPaymentProvider?: boolean;
  /** Reads the environment's risk limits (CheckRisk). */
  readonly checksRisk?: boolean;
  /** Sends to the needs-attention queue (FlagForAttention). */
  readonly flagsForAttention?: boolean;
  /** Reads the runtime feature flags from AppConfig. */
  readonly readsFeatureFlags?: boolean;
}

/**
 * Only API functions and jobs start workflows (a task starting a state machine could loop). Routes with
 * `idempotent: true` in the route table also get the idempotency table; that is read from the route itself, not
 * repeated here.
 */
interface RouteNeeds extends FunctionNeeds {
  readonly startsWorkflow?: StateMachineDefinition;
  /** May only describe this state machine (DescribeStateMachine): the readiness check. */
  readonly describesWorkflow?: StateMachineDefinition;
  /** Reads items of the table but none of its indexes: the readiness check's probe. */
  readonly probesTable?: boolean;
  /** A second state machine it starts (recovery runs the cancellation workflow's compensations again). */
  readonly alsoStartsWorkflow?: StateMachineDefinition;
  /** Gets RECOVERY_AFTER_SECONDS. */
  readonly recoversOrders?: boolean;
}

/** A scheduled job: its access (as for routes) and how it runs. */
interface JobNeeds extends RouteNeeds {
  /** The whole-table Scan of the reconciliation; no other function gets it. */
  readonly scansTable?: boolean;
  /** Gets the environment's RECONCILE_* overrides. */
  readonly reconciles?: boolean;
  /** Shorter than the schedule's period, so scheduled runs never overlap. */
  readonly timeout: Duration;
  readonly memorySize?: number;
  readonly reservedConcurrentExecutions?: number;
  /** Pages when the job's function fails (Lambda Errors, timeouts included) this often within `period`. */
  readonly errorAlarm: { readonly period: Duration; readonly threshold: number };
}

// The whole access model in two tables. Keyed by route id and saga placeholder, so a new route or task does not
// compile until its needs are declared here.
const routeNeeds: Record<RouteId, RouteNeeds> = {
  health: {},
  // Readiness: a GetItem of a key that never holds an item, and DescribeStateMachine on the saga.
  healthReady: { probesTable: true, describesWorkflow: orderSaga },
  // Serves the API description built at cold start from the route table and schemas: no AWS access.
  openApi: {},
  listProducts: { table: 'read' },
  getProduct: { table: 'read' },
  createProduct: { table: 'readWrite' },
  updateProduct: { table: 'readWrite' },
  adjustStock: { table: 'readWrite' },
  // Reads acceptingOrders and maxItemsPerOrder before anything else.
  placeOrder: { table: 'readWrite', startsWorkflow: orderSaga, publishesEvents: true, readsFeatureFlags: true },
  listOrders: { table: 'read' },
  getOrder: { table: 'read' },
  // Moves the order to CANCELLED; the cancellation workflow then reverses the payment and releases the stock.
  // Its deadline (RECOVERY_AFTER_SECONDS) is written with the cancellation: recovery reruns a workflow that died.
  cancelOrder: { table: 'readWrite', startsWorkflow: orderCancellation, publishesEvents: true, recoversOrders: true },
  getOrderHistory: { table: 'read' },
  adminListOrders: { table: 'read' },
  // Captures the payment, then commits the stock holds.
  adminFulfillOrder: { table: 'readWrite', callsPaymentProvider: true, publishesEvents: true },
};

const sagaTaskNeeds: Record<SagaPlaceholder, FunctionNeeds> = {
  // Reads the order and counts the customer's recent orders (Query on GSI1): nothing else.
  // The riskCheck flag can switch the rules off.
  CheckRiskFunctionArn: { table: 'read', checksRisk: true, readsFeatureFlags: true },
  ReserveStockFunctionArn: { table: 'readWrite', holdsStock: true },
  ReleaseStockFunctionArn: { table: 'readWrite', holdsStock: true },
  // Authorize also records the authorization on the order, hence table writes.
  AuthorizePaymentFunctionArn: { table: 'readWrite', callsPaymentProvider: true },
  VoidPaymentFunctionArn: { table: 'readWrite', callsPaymentProvider: true },
  ConfirmOrderFunctionArn: { table: 'readWrite', publishesEvents: true },
  MarkOrderFailedFunctionArn: { table: 'readWrite', publishesEvents: true },
  // Flags the order (UpdateItem) and queues it for an operator.
  FlagForAttentionFunctionArn: { table: 'readWrite', flagsForAttention: true },
};

// Keyed by job name, so a job added to functions/jobs/schedule.ts does not compile until its needs are declared.
const jobNeeds: Record<JobName, JobNeeds> = {
  // Lists in-flight orders by status (Query on GSI2) and restarts their sagas, fails orders whose holds expired,
  // and reruns the compensations (cancellation workflow) of orders whose pending entry is due.
  'recover-orders': {
    table: 'readWrite',
    // HOLD_MINUTES: in-flight orders older than their holds are failed (RESERVATION_EXPIRED), not resumed.
    holdsStock: true,
    startsWorkflow: orderSaga,
    alsoStartsWorkflow: orderCancellation,
    recoversOrders: true,
    timeout: Duration.seconds(50),
    // Runs every minute: one failed run is retried by the next; three in five minutes is an outage.
    errorAlarm: { period: Duration.minutes(5), threshold: 3 },
  },
  // Reads the whole table and lists the provider's payments: read-only, long, and one run at a time.
  reconcile: {
    scansTable: true,
    callsPaymentProvider: true,
    reconciles: true,
    timeout: Duration.minutes(5),
    memorySize: 1024,
    reservedConcurrentExecutions: 1,
    errorAlarm: { period: Duration.hours(1), threshold: 1 },
  },
};

/** The period of a `rate(...)` schedule expression; undefined for `cron(...)`. */
export function ratePeriod(expression: string): Duration | undefined {
  const match = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (!match) return undefined;
  const value = Number(match[1]);
  const unit = match[2]!.replace(/s$/, '');
  return unit === 'minute' ? Duration.minutes(value) : unit === 'hour' ? Duration.hours(value) : Duration.days(value);
}

/** `placeOrder` -> `PlaceOrder`; `ReserveStockFunctionArn` -> `ReserveStock`; `recover-orders` -> `RecoverOrders`. */
function constructId(name: string): string {
  return name
    .replace(/FunctionArn$/, '')
    .replace(/-([a-z])/g, (_match, letter: string) => letter.toUpperCase())
    .replace(/^./, (first) => first.toUpperCase());
}

/** `CANCELLATION_STATE_MACHINE_ARN` -> `CancellationStateMachineArn` (the stack output of that ARN). */
function outputId(variableName: string): string {
  return variableName
    .toLowerCase()
    .replace(/(^|_)([a-z])/g, (_match, _underscore: string, letter: string) => letter.toUpperCase());
}

interface AslTaskState {
  readonly Type: string;
  readonly Resource?: string;
  readonly TimeoutSeconds?: number;
}

interface LoadedDefinition {
  readonly definition: StateMachineDefinition;
  readonly file: string;
  /** The machine's own TimeoutSeconds (Express workflows stop at 300 s without one). */
  readonly timeLimitSeconds: number;
  /** The state timeout of each task placeholder (the shortest, if a placeholder is used by several states). */
  readonly taskTimeouts: ReadonlyMap<string, number>;
}

/**
 * Reads an ASL file once and checks it uses exactly the task placeholders its definition declares: a missing
 * substitution would only fail at deploy time, an extra one would invoke a function nobody granted.
 */
function loadDefinition(definition: StateMachineDefinition): LoadedDefinition {
  const file = path.join(projectRoot, definition.definitionFile);
  const text = fs.readFileSync(file, 'utf8');
  const used = placeholdersIn(text);
  const declared = [...definition.tasks].sort();
  if (used.join() !== declared.join()) {
    throw new Error(`${definition.definitionFile} uses ${used.join(', ')} but declares ${declared.join(', ')}`);
  }
  const parsed = JSON.parse(text) as { TimeoutSeconds?: number; States: Record<string, AslTaskState> };
  const states = parsed.States;
  const taskTimeouts = new Map<string, number>();
  for (const state of Object.values(states)) {
    const placeholder = state.Resource && placeholdersIn(state.Resource)[0];
    if (state.Type === 'Task' && placeholder && state.TimeoutSeconds !== undefined) {
      taskTimeouts.set(placeholder, Math.min(state.TimeoutSeconds, taskTimeouts.get(placeholder) ?? Infinity));
    }
  }
  return { definition, file, taskTimeouts, timeLimitSeconds: parsed.TimeoutSeconds ?? 300 };
}

/** The API's one stage, also the base path of the custom domain. */

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
  readonly sagaFunctions: ReadonlyMap<SagaPlaceholder, OrderFunction>;
  readonly jobFunctions: ReadonlyMap<JobName, OrderFunction>;
  readonly jobSchedules: ReadonlyMap<JobName, events.Rule>;
  /** The data migrations, applied during each deployment by a custom resource. */
  readonly migrations: DataMigrations;
  /** Orders whose compensation kept failing, for an operator: the saga's dead-letter destination. */
  readonly attentionQueue: sqs.Queue;
  readonly alarms: OperatorAlarms;
  /** Only where the environment configures `chaos`. */
  readonly chaos?: ChaosExperiments;
  /** Objective, throttling and payment-provider alarms; the order failure rate rolls releases back. */
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
    const { config, envName } = props;
    // Exports and imports: CloudFormation then refuses to delete or change a data-stack resource this stack uses.
    CrossStackReferences.of(this).consume(ReferenceStrength.STRONG);

    this.eventBus = new events.EventBus(this, 'EventBus', {
      eventBusName: `orders-${envName}`,
      description: `Order lifecycle events (${envName})`,
    });
    // Replays after an incident or a new consumer's backfill; kept as long as the environment keeps its logs.
    this.eventBus.archive('Archive', {
      archiveName: `orders-${envName}`,
      description: `Every event on orders-${envName}`,
      eventPattern: { account: [this.account] },
      retention: Duration.days(config.logRetentionDays),
    });

    // The dead-letter destination of the saga itself: an order lands here when its compensation kept failing, and
    // stays until an operator has repaired it and deletes the message. Nothing consumes it automatically, so it
    // needs no dead-letter queue of its own; the alarm on its depth pages someone instead.
    this.attentionQueue = new sqs.Queue(this, 'AttentionQueue', {
      queueName: `orders-${envName}-needs-attention`,
      // Messages carry an order id, a reason and the failed step's error: no card data. SSE-SQS encrypts them at
      // rest without a key that the sender and every operator would need grants on.
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      // An operator reads a message while working the order; five minutes of invisibility is plenty for that.
      visibilityTimeout: Duration.minutes(5),
    });
    Validations.of(this.attentionQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter destination of the order saga (orders whose compensation failed). ' +
        'No consumer receives from it automatically, so no message can fail processing; operators delete each ' +
        'message once the order is repaired, and an alarm pages on any message in it.',
    });

    const bind = (fn: OrderFunction, needs: FunctionNeeds): OrderFunction => {
      if (needs.table) fn.useTable(props.table, needs.table, props.tableIndexNames);
      if (needs.holdsStock) fn.holdStockFor(config.holdMinutes);
      if (needs.publishesEvents) fn.publishEvents(this.eventBus);
      if (needs.callsPaymentProvider) fn.callPaymentProvider(config.payment, props.paymentApiKey);
      if (needs.checksRisk) fn.applyRiskLimits(config.risk);
      if (needs.flagsForAttention) fn.sendToAttentionQueue(this.attentionQueue);
      return fn;
    };

    // Saga tasks (one function per placeholder, shared by every machine that uses it) and the state machines.
    const definitions = stateMachines.map(loadDefinition);
    const sagaFunctions = new Map<SagaPlaceholder, OrderFunction>();
    for (const [placeholder, handlerModule] of Object.entries(sagaTasks) as [SagaPlaceholder, string][]) {
      const timeouts = definitions.flatMap(({ taskTimeouts }) => taskTimeouts.get(placeholder) ?? []);
      const stateTimeout = timeouts.length > 0 ? Math.min(...timeouts) : 10;
      const fn = new OrderFunction(this, `Saga${constructId(placeholder)}`, {
        handlerModule,
        config,
        serviceName: 'orders-saga',
        // Ends before the state's own timeout, so a retry never overlaps an attempt that is still running.
        timeout: Duration.seconds(Math.max(3, stateTimeout - 2)),
      });
      sagaFunctions.set(placeholder, bind(fn, sagaTaskNeeds[placeholder]));
    }
    this.sagaFunctions = sagaFunctions;

    const machines = new Map<string, sfn.StateMachine>();
    for (const loaded of definitions) machines.set(loaded.definition.name, this.createStateMachine(loaded, props));
    this.stateMachines = machines;
    this.stateMachine = this.machineFor(orderSaga);

    // API functions.
    const routeFunctions = new Map<RouteId, OrderFunction>();
    for (const route of routeList) {
      const fn = new OrderFunction(this, `Api${constructId(route.id)}`, {
        handlerModule: route.handler,
        config,
        serviceName: 'orders-api',
        description: `${route.method} ${route.path}: ${route.summary}`,
      });
      const needs = routeNeeds[route.id];
      const workflow = needs.startsWorkflow;
      if (workflow) fn.startWorkflow(this.machineFor(workflow), workflow.arnEnvName);
      const described = needs.describesWorkflow;
      if (described) fn.describeWorkflow(this.machineFor(described), described.arnEnvName);
      if (needs.probesTable) fn.useTable(props.table, 'read', []);
      if (needs.recoversOrders) fn.recoverOrdersAfter(config.jobs.recoveryAfterSeconds);
      if (route.idempotent) fn.useIdempotencyTable(props.idempotencyTable);
      routeFunctions.set(route.id, bind(fn, needs));
    }
    this.routeFunctions = routeFunctions;

    this.api = this.createApi(props, routeFunctions);
    this.usagePlans = this.createUsagePlans(props, this.api);
    this.firewall = new ApiFirewall(this, 'Firewall', { envName, config, stage: this.api.deploymentStage });
    if (config.api.customDomain) {
      this.customDomain = new ApiCustomDomain(this, 'CustomDomain', {
        settings: config.api.customDomain,
        api: this.api,
        stageName: apiStageName,
      });
    }

    // Scheduled jobs, in the primary region only (this stack's region): they read and restart what the primary
    // region writes, and a second region running them would race the first.
    const sagaTimeLimit = definitions.find(({ definition }) => definition === orderSaga)?.timeLimitSeconds ?? 300;
    if (config.jobs.recoveryAfterSeconds <= sagaTimeLimit) {
      throw new Error(
        `jobs.recoveryAfterSeconds (${config.jobs.recoveryAfterSeconds}) must exceed the saga's time limit ` +
          `(${sagaTimeLimit} s), or recover-orders would restart sagas that are still running`,
      );
    }
    const jobFunctions = new Map<JobName, OrderFunction>();
    const jobSchedules = new Map<JobName, events.Rule>();
    for (const [name, job] of Object.entries(jobs) as [JobName, (typeof jobs)[JobName]][]) {
      const needs = jobNeeds[name];
      const period = ratePeriod(job.schedule);
      if (period && needs.timeout.toSeconds() >= period.toSeconds()) {
        throw new Error(`job ${name} may run longer than its schedule's period (${job.schedule})`);
      }
      const id = `Job${constructId(name)}`;
      const fn = new OrderFunction(this, id, {
        handlerModule: job.handler,
        config,
        serviceName: 'orders-jobs',
        description: `${name}: ${job.description}`,
        timeout: needs.timeout,
        ...(needs.memorySize ? { memorySize: needs.memorySize } : {}),
        ...(needs.reservedConcurrentExecutions
          ? { reservedConcurrentExecutions: needs.reservedConcurrentExecutions }
          : {}),
      });
      if (needs.startsWorkflow) {
        fn.startWorkflow(this.machineFor(needs.startsWorkflow), needs.startsWorkflow.arnEnvName);
      }
      if (needs.alsoStartsWorkflow) {
        fn.startWorkflow(this.machineFor(needs.alsoStartsWorkflow), needs.alsoStartsWorkflow.arnEnvName);
      }
      if (needs.scansTable) fn.scanTable(props.table);
      if (needs.recoversOrders) fn.recoverOrdersAfter(config.jobs.recoveryAfterSeconds);
      if (needs.reconciles) fn.reconcileWith(config.jobs.reconcile ?? {});
      bind(fn, needs);
      // A failed run is not retried by Lambda: the next scheduled run is the retry, and the error alarm pages.
      // A run that cannot start at once (reserved concurrency busy) waits at most one period.
      const maxEventAge = period && period.toSeconds() <= 6 * 3600 ? period : Duration.hours(6);
      fn.alias.configureAsyncInvoke({ retryAttempts: 0, maxEventAge });
      jobSchedules.set(
        name,
        new events.Rule(this, `${id}Schedule`, {
          ruleName: `orders-${envName}-${name}`,
          description: job.description,
          schedule: events.Schedule.expression(job.schedule),
          targets: [new eventTargets.LambdaFunction(fn.alias, { retryAttempts: 2, maxEventAge })],
        }),
      );
      jobFunctions.set(name, fn);
    }
    this.jobFunctions = jobFunctions;
    this.jobSchedules = jobSchedules;
    this.migrations = new DataMigrations(this, 'DataMigrations', { config, table: props.table });

    this.alarms = this.createAlarms(props);
    // After the alarms: a flags rollout watches the saga's alarms and rolls back by itself when one fires.
    this.featureFlags = new FeatureFlags(this, 'FeatureFlags', {
      envName,
      config,
      rollbackAlarms: ['SagaFailed', 'OrderNeedsAttention'].map((alarmId) => {
        const alarm = this.alarms.alarms.get(alarmId);
        if (!alarm) throw new Error(`no alarm ${alarmId}`);
        return alarm;
      }),
    });
    const flagReaders = [
      ...[...routeFunctions].filter(([id]) => routeNeeds[id].readsFeatureFlags),
      ...[...sagaFunctions].filter(([placeholder]) => sagaTaskNeeds[placeholder].readsFeatureFlags),
    ];
    for (const [, fn] of flagReaders) fn.useFeatureFlags(this.featureFlags);
    if (config.chaos) {
      const alarms = this.alarms.alarms;
      const stopConditions = ['AttentionQueueDepth', 'OrderNeedsAttention', 'SagaFailed', 'CancellationFailed'].map(
        (alarmId) => {
          const alarm = alarms.get(alarmId);
          if (!alarm) throw new Error(`no alarm ${alarmId}`);
          return alarm;
        },
      );
      this.chaos = new ChaosExperiments(this, 'Chaos', {
        envName,
        settings: config.chaos,
        targets: new Map([...sagaFunctions].map(([placeholder, fn]) => [constructId(placeholder), fn])),
        stopConditions,
      });
    }

    // Last, so the dashboard's alarm widget lists every alarm.
    this.serviceLevelAlarms = addServiceLevelAlarms(this.alarms, {
      config,
      api: this.api,
      table: props.table,
      tableIndexNames: props.tableIndexNames,
    });
    // The migration runner is left out: its custom resource invokes the version of each deployment, not the alias.
    this.releases = new Releases(this, 'Releases', {
      envName,
      deploymentConfig: config.release.deploymentConfig,
      api: this.api,
      alarms: this.alarms,
      rollbackAlarms: [this.serviceLevelAlarms.orderFailureRate],
      routeFunctions,
      sagaFunctions,
      jobFunctions,
    });
    const apiAccessLogs = this.node.tryFindChild('ApiAccessLogs');
    if (!(apiAccessLogs instanceof logs.LogGroup)) throw new Error('no ApiAccessLogs log group in the service stack');
    this.dashboard = new OperationsDashboard(this, 'Operations', {
      envName,
      config,
      api: this.api,
      apiAccessLogs,
      functions: {
        api: [...routeFunctions.values()],
        saga: [...sagaFunctions.values()],
        jobs: [...jobFunctions.values(), this.migrations.function],
      },
      saga: this.stateMachine,
      cancellation: this.machineFor(orderCancellation),
      attentionQueue: this.attentionQueue,
      table: props.table,
      tableIndexNames: props.tableIndexNames,
      idempotencyTable: props.idempotencyTable,
      alarms: this.alarms,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url });
    if (this.customDomain) {
      const domain = this.customDomain.domainName;
      new CfnOutput(this, 'ApiCustomDomainUrl', { value: this.customDomain.url });
      new CfnOutput(this, 'ApiCustomDomainTarget', {
        description: 'Regional domain name to point the custom domain at (alias or CNAME) when no hosted zone is set',
        value: domain.domainNameAliasDomainName,
      });
    }
    for (const { definition } of definitions) {
      new CfnOutput(this, outputId(definition.arnEnvName), {
        value: this.machineFor(definition).stateMachineArn,
      });
    }
    new CfnOutput(this, 'EventBusName', { value: this.eventBus.eventBusName });
    new CfnOutput(this, 'AttentionQueueUrl', { value: this.attentionQueue.queueUrl });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarms.topic.topicArn });
    new CfnOutput(this, 'DashboardUrl', {
      value: `https://${this.region}.console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards:name=${this.dashboard.dashboard.dashboardName}`,
    });
    new CfnOutput(this, 'DeploymentApplication', {
      description: 'CodeDeploy application of the functions: aws deploy list-deployments --application-name <value>',
      value: this.releases.application.applicationName,
    });
    for (const [name, template] of this.chaos?.templates ?? []) {
      new CfnOutput(this, `ChaosExperiment${name}`, {
        description: 'FIS experiment template id: aws fis start-experiment --experiment-template-id <value>',
        value: template.ref,
      });
    }
  }

  /**
   * The alarms that page an operator, each with its runbook. Metric names and dimensions are the ones the handlers
   * emit through Powertools: namespace `Orders`, dimension `service` (POWERTOOLS_SERVICE_NAME of the emitting
   * function).
   */
  private createAlarms(props: ServiceStackProps): OperatorAlarms {
    const alarms = new OperatorAlarms(this, 'Alarms', { envName: props.envName, config: props.config });
    const oneMinute = Duration.minutes(1);
    const ordersMetric = (metricName: string, service: string, period: Duration) =>
      new cloudwatch.Metric({
        namespace: ordersNamespace,
        metricName,
        dimensionsMap: { service },
        statistic: cloudwatch.Stats.SUM,
        period,
      });

    alarms.add('AttentionQueueDepth', {
      metric: this.attentionQueue.metricApproximateNumberOfMessagesVisible({
        period: oneMinute,
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: 1,
      summary:
        `At least one order is waiting for an operator in ${this.attentionQueue.queueName}: a compensation kept ` +
        'failing, so the order may still hold stock or a payment authorization.',
      runbook: 'orderNeedsAttention',
    });
    // Emitted by functions/saga/flag-for-attention.ts each time an order is flagged (new flags, not the backlog).
    alarms.add('OrderNeedsAttention', {
      metric: ordersMetric(metricNames.orderNeedsAttention, 'orders-saga', oneMinute),
      threshold: 1,
      summary: 'An order was flagged for attention after a compensation kept failing.',
      runbook: 'orderNeedsAttention',
    });
    alarms.add('SagaFailed', {
      metric: this.machineFor(orderSaga).metricFailed({ period: oneMinute, statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      summary: 'An order saga execution failed (CompensationFailed, or a step failed past its Catch).',
      runbook: 'compensationFailed',
    });
    alarms.add('CancellationFailed', {
      metric: this.machineFor(orderCancellation).metricFailed({ period: oneMinute, statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      summary: 'A cancellation workflow execution failed: a cancelled order may keep its stock or payment.',
      runbook: 'orderNeedsAttention',
    });
    // Emitted by functions/jobs/reconcile.ts on every run (zeros included), hourly.
    alarms.add('ReconciliationViolations', {
      metric: ordersMetric(metricNames.reconciliationViolations, 'orders-jobs', Duration.hours(1)),
      threshold: 1,
      summary: 'The reconciliation job found data that breaks an invariant (stock, holds, payments or orders).',
      runbook: 'reconciliationViolations',
    });
    for (const [name, fn] of this.jobFunctions) {
      const { period, threshold } = jobNeeds[name].errorAlarm;
      alarms.add(`Job${constructId(name)}Errors`, {
        metric: fn.function.metricErrors({ period, statistic: cloudwatch.Stats.SUM }),
        threshold,
        summary: `The scheduled job ${name} failed ${threshold === 1 ? 'a run' : `${threshold} runs`} (errors or timeouts).`,
        runbook: 'jobFailed',
      });
    }
    return alarms;
  }

  private machineFor(definition: StateMachineDefinition): sfn.StateMachine {
    const machine = this.stateMachines.get(definition.name);
    if (!machine) throw new Error(`no state machine ${definition.name}`);
    return machine;
  }

  /** One state machine from its ASL file, each task placeholder substituted with its function's live alias. */
  private createStateMachine({ definition, file }: LoadedDefinition, props: ServiceStackProps): sfn.StateMachine {
    const { config, envName } = props;
    const name = constructId(definition.name);
    const express = config.sagaWorkflowType === 'EXPRESS';
    // Express workflows keep no execution history, so their log is the only record of a run: log everything.
    // Standard workflows keep history in Step Functions; outside DEBUG environments errors are enough.
    const logLevel = express || config.logLevel === 'DEBUG' ? sfn.LogLevel.ALL : sfn.LogLevel.ERROR;
    const logGroup = new logs.LogGroup(this, `${name}Logs`, {
      // The /aws/vendedlogs/ prefix keeps CloudWatch's account-wide resource policy from growing per log group.
      logGroupName: `/aws/vendedlogs/states/orders-${envName}-${definition.name}`,
      retention: logRetention(config),
      removalPolicy: dataRemovalPolicy(config),
    });
    const tasks = definition.tasks.map((placeholder) => {
      const fn = this.sagaFunctions.get(placeholder);
      if (!fn) throw new Error(`no function for task ${placeholder} of ${definition.name}`);
      return [placeholder, fn] as const;
    });
    const machine = new sfn.StateMachine(this, `Order${name}`, {
      stateMachineName: `orders-${envName}-${definition.name}`,
      stateMachineType: express ? sfn.StateMachineType.EXPRESS : sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromFile(file),
      definitionSubstitutions: Object.fromEntries(
        tasks.map(([placeholder, fn]) => [placeholder, fn.alias.functionArn]),
      ),
      tracingEnabled: true,
      logs: { destination: logGroup, level: logLevel, includeExecutionData: true },
    });
    // fromFile ships the ASL as is and infers no permissions: invoking each task's alias is granted explicitly.
    for (const [, fn] of tasks) fn.alias.grantInvoke(machine);
    Validations.of(machine).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'CloudWatch Logs delivery (logs:CreateLogDelivery and related) and X-Ray (xray:PutTraceSegments and related) ' +
        'support no resource-level permissions; Lambda invocations are granted per alias.',
    });
    if (logLevel !== sfn.LogLevel.ALL) {
      Validations.of(machine).acknowledge({
        id: 'AwsSolutions-SF1',
        reason:
          'A Standard workflow keeps the full execution history in Step Functions for 90 days; logging ALL events ' +
          'outside DEBUG environments would duplicate it at CloudWatch prices. Errors are logged.',
      });
    }
    return machine;
  }

  private createApi(props: ServiceStackProps, functions: ReadonlyMap<RouteId, OrderFunction>): apigateway.RestApi {
    const { config, envName } = props;
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: logRetention(config),
      removalPolicy: dataRemovalPolicy(config),
    });
    const logging: apigateway.MethodDeploymentOptions = {
      metricsEnabled: true,
      loggingLevel:
        config.logLevel === 'DEBUG' ? apigateway.MethodLoggingLevel.INFO : apigateway.MethodLoggingLevel.ERROR,
      // Request and response bodies carry customer data and payment tokens: never in execution logs.
      dataTraceEnabled: false,
    };
    // A method's settings replace the stage-wide ones instead of merging with them, so each override repeats them.
    const methodOptions: Record<string, apigateway.MethodDeploymentOptions> = {};
    for (const route of routeList) {
      const caching = routeCache(config, route)?.methodOptions;
      if (route.throttle || caching) {
        methodOptions[`${route.path}/${route.method}`] = {
          ...logging,
          ...(route.throttle
            ? { throttlingRateLimit: route.throttle.rateLimit, throttlingBurstLimit: route.throttle.burstLimit }
            : {}),
          ...caching,
        };
      }
    }
    const stageName = apiStageName;
    const api = new apigateway.RestApi(this, 'Api', {
      restApiName: `orders-${envName}`,
      description: `Orders API (${envName})`,
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      // Kept on by default even with a custom domain: mTLS on that domain would ask every caller, customers' apps
      // included, for a client certificate. Turning it off makes the custom domain the only way in.
      ...(config.api.customDomain?.disableExecuteApiEndpoint ? { disableExecuteApiEndpoint: true } : {}),
      // Execution and access logging need the account-level API Gateway role. It is kept on stack deletion because
      // every REST API in the account and region uses it.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName,
        throttlingRateLimit: config.api.throttle.rateLimit,
        throttlingBurstLimit: config.api.throttle.burstLimit,
        methodOptions,
        ...logging,
        ...stageCacheOptions(config),
        tracingEnabled: true,
        accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.custom(JSON.stringify(accessLogFields())),
      },
    });
    // The ApiUrl output below replaces the one RestApi adds under a generated name.
    api.node.tryRemoveChild('Endpoint');
    const cloudWatchRole = api.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole) {
      Validations.of(cloudWatchRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          'The account-level role API Gateway assumes to write execution and access logs for every REST API in the ' +
          'region; the AWS managed policy is the documented one and follows the log actions API Gateway needs.',
      });
    }

    const authorizer = new apigateway.CognitoUserPoolsAuthorizer(this, 'Authorizer', {
      authorizerName: `orders-${envName}-cognito`,
      cognitoUserPools: [props.userPool],
      identitySource: apigateway.IdentitySource.header('Authorization'),
    });
    // Checks the path parameters each method declares and JSON bodies against the models generated from the zod
    // schemas the handlers validate with. The gateway check is a cheap first filter (no Lambda invocation for a
    // malformed body); the handler's zod check stays authoritative (refinements, trimming, other content types).
    const validator = api.addRequestValidator('Validator', {
      requestValidatorName: 'parameters-and-body',
      validateRequestParameters: true,
      validateRequestBody: true,
    });

    for (const route of routeList) {
      const fn = functions.get(route.id);
      if (!fn) throw new Error(`no function for route ${route.id}`);
      const resource = api.root.resourceForPath(route.path);
      const cache = routeCache(config, route);
      const bodySchema = requestModel(route.id);
      const model =
        bodySchema &&
        api.addModel(`${constructId(route.id)}Body`, {
          modelName: `${constructId(route.id)}Request`,
          contentType: 'application/json',
          description: `Request body of ${route.method} ${route.path} (generated from functions/api/contract.ts)`,
          schema: bodySchema,
        });
      const method = resource.addMethod(
        route.method,
        new apigateway.LambdaIntegration(fn.alias, {
          proxy: true,
          allowTestInvoke: false,
          ...(cache ? { cacheKeyParameters: [...cache.cacheKeyParameters] } : {}),
        }),
        {
          ...authorization(route, authorizer),
          apiKeyRequired: route.apiKeyRequired,
          requestValidator: validator,
          requestParameters: cache ? { ...cache.requestParameters } : pathParameters(route.path),
          ...(model ? { requestModels: { 'application/json': model } } : {}),
        },
      );
      if (route.access === 'public') {
        const keyNote = route.apiKeyRequired
          ? '; it still requires an API key, so every caller is under a usage plan throttle and daily quota'
          : '; it serves no data from the tables';
        const reason = `${route.method} ${route.path} is public by design (route table: access "public")${keyNote}.`;
        Validations.of(method).acknowledge({ id: 'AwsSolutions-APIG4', reason }, { id: 'AwsSolutions-COG4', reason });
      }
    }

    addGatewayResponses(api);

    // API Gateway makes the sampling decision for the whole request (Lambda follows it), so this rule is what
    // applies the environment's tracing sample rate.
    new xray.CfnSamplingRule(this, 'ApiTraceSampling', {
      samplingRule: {
        ruleName: `orders-${envName}-api`,
        priority: 100,
        fixedRate: config.tracingSampleRate,
        reservoirSize: 1,
        serviceName: `orders-${envName}/${stageName}`,
        serviceType: 'AWS::ApiGateway::Stage',
        host: '*',
        httpMethod: '*',
        urlPath: '*',
        resourceArn: '*',
        version: 1,
      },
    });
    return api;
  }

  /**
   * One usage plan per `config.api.usagePlans` entry, bound to the stage, with that plan's API key (created in the
   * data stack). Methods with `apiKeyRequired` refuse requests without a key of some plan; the plan then throttles
   * the key and caps its requests per day (the quota resets at 00:00 UTC).
   */
  private createUsagePlans(props: ServiceStackProps, api: apigateway.RestApi): Map<string, apigateway.UsagePlan> {
    const { config, envName } = props;
    const plans = new Map<string, apigateway.UsagePlan>();
    for (const [planName, plan] of Object.entries(config.api.usagePlans)) {
      const usagePlan = api.addUsagePlan(`UsagePlan${planId(planName)}`, {
        name: `orders-${envName}-${planName}`,
        description: plan.description,
        throttle: { rateLimit: plan.rateLimit, burstLimit: plan.burstLimit },
        quota: { limit: plan.quotaPerDay, period: apigateway.Period.DAY },
        apiStages: [{ api, stage: api.deploymentStage }],
      });
      const key = props.apiKeys.get(planName);
      if (!key) throw new Error(`no API key for usage plan ${planName}`);
      usagePlan.addApiKey(key);
      plans.set(planName, usagePlan);
    }
    return plans;
  }
}

function authorization(
  route: RouteDefinition,
  authorizer: apigateway.IAuthorizer,
): Pick<apigateway.MethodOptions, 'authorizationType' | 'authorizer' | 'authorizationScopes'> {
  if (route.access === 'public') return { authorizationType: apigateway.AuthorizationType.NONE };
  // With OAuth scopes on the method the authorizer takes access tokens only, and only with one of these scopes:
  // any signed-in user's (aws.cognito.signin.user.admin) or the route's partner scopes. Which groups may call the
  // route is then checked by the handler (the route table's `mayCall`).
  return {
    authorizationType: apigateway.AuthorizationType.COGNITO,
    authorizer,
    authorizationScopes: authorizationScopes(route),
  };
}

/** A problem-shaped body (the handlers' error shape) for a response API Gateway answers by itself. */
function problemTemplate(response: GatewayResponseDefinition, detail = response.detail): string {
  return JSON.stringify(gatewayProblem(response, '$context.requestId', detail));
}

/**
 * What API Gateway answers by itself (before any handler runs), from the table the local gateway answers from too
 * (functions/api/gateway-responses.ts). Browsers may read every error (CORS), 429s say when to come back
 * (Retry-After), and the answers a client is expected to act on carry the handlers' problem shape.
 */
function addGatewayResponses(api: apigateway.RestApi): void {
  // No allowed-origin list in the environment config yet: errors may be read by any origin. They carry no data.
  const cors = { 'Access-Control-Allow-Origin': "'*'" };
  const problem = (definition: GatewayResponseDefinition, detail?: string) => ({
    statusCode: String(definition.status),
    responseHeaders: {
      ...cors,
      ...(definition.retryAfterSeconds === undefined
        ? {}
        : { 'Access-Control-Expose-Headers': "'Retry-After'", 'Retry-After': `'${definition.retryAfterSeconds}'` }),
    },
    templates: { 'application/json': problemTemplate(definition, detail) },
  });
  api.addGatewayResponse('Throttled', {
    type: apigateway.ResponseType.THROTTLED,
    ...problem(gatewayResponses.throttled),
  });
  api.addGatewayResponse('QuotaExceeded', {
    type: apigateway.ResponseType.QUOTA_EXCEEDED,
    ...problem(gatewayResponses.quotaExceeded),
  });
  // Every method here is authorized by Cognito or public, never by IAM, so API Gateway sends this only for a path
  // or method that does not exist: a 404, not the misleading 403 "Missing Authentication Token".
  api.addGatewayResponse('NotFound', {
    type: apigateway.ResponseType.MISSING_AUTHENTICATION_TOKEN,
    ...problem(gatewayResponses.notFound),
  });
  // A body the request model rejects: the same status and code as the handler's own validation.
  api.addGatewayResponse('BadRequestBody', {
    type: apigateway.ResponseType.BAD_REQUEST_BODY,
    ...problem(gatewayResponses.badRequestBody, '$context.error.validationErrorString'),
  });
  // Everything else keeps API Gateway's status and body ({"message": ...}) and only gains the CORS header.
  api.addGatewayResponse('Default4xx', { type: apigateway.ResponseType.DEFAULT_4XX, responseHeaders: cors });
  api.addGatewayResponse('Default5xx', { type: apigateway.ResponseType.DEFAULT_5XX, responseHeaders: cors });
}

function pathParameters(resourcePath: string): Record<string, boolean> | undefined {
  const names = [...resourcePath.matchAll(/\{([^}+]+)\+?\}/g)].map((match) => match[1]);
  if (names.length === 0) return undefined;
  return Object.fromEntries(names.map((name) => [`method.request.path.${name}`, true]));
}

function accessLogFields(): Record<string, string> {
  const field = apigateway.AccessLogField;
  return {
    requestId: field.contextRequestId(),
    extendedRequestId: field.contextExtendedRequestId(),
    requestTime: field.contextRequestTime(),
    ip: field.contextIdentitySourceIp(),
    userAgent: field.contextIdentityUserAgent(),
    caller: field.contextAuthorizerClaims('sub'),
    httpMethod: field.contextHttpMethod(),
    resourcePath: field.contextResourcePath(),
    status: field.contextStatus(),
    protocol: field.contextProtocol(),
    responseLength: field.contextResponseLength(),
    responseLatency: field.contextResponseLatency(),
    integrationLatency: field.contextIntegrationLatency(),
    integrationStatus: field.contextIntegrationStatus(),
    errorMessage: field.contextErrorMessage(),
    xrayTraceId: field.contextXrayTraceId(),
    // WAF_ALLOW or WAF_BLOCK: requests the web ACL blocked are logged here too.
    wafResponseCode: field.contextWafResponseCode(),
  };
}
