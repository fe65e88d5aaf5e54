import './polyfills';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { routeList, routes } from '../../functions/api/routes';
import { DynamoDbCatalogStore } from '../../functions/core/adapters/dynamodb/catalog-store';
import { featureFlagsDocument } from '../../functions/core/config/feature-flags';
import { envNames, type SettingsEnvironment } from '../../functions/core/config/settings';
import { ordersNamespace } from '../../functions/core/observability/metric-names';
import { idempotencyTableDesign, ordersTableDesign } from '../../functions/core/data/table-design';
import type { Product } from '../../functions/core/domain/product';
import type { FaultInjectionConfig } from '../../functions/core/observability/fault-injection';
import { LocalAwsEmulator } from '../emulators/aws-services';
import { startDynamoDbLocal, type DynamoDbLocal } from '../emulators/dynamodb-local';
import { startGateway, type LocalGateway } from '../emulators/api-gateway';
import { lambdaContext, loadHandler, type LambdaHandler } from '../emulators/lambda-context';
import { jobs, type JobDefinition } from '../../functions/jobs/schedule';
import { subscribeConsumers } from '../emulators/event-consumers';
import { LocalStreamRelay } from '../emulators/stream-relay';
import { outboxRelay } from '../../functions/relays/definitions';
import { pollQueue } from '../emulators/queue-poller';
import { webhookDeliveryWorker } from '../../functions/consumers/subscriptions';
import { remoteStripeSandbox, startStripeSandbox, type StripeSandbox } from '../emulators/stripe-sandbox';
import { LocalSesMailbox } from '../emulators/ses-mailbox';
import { LocalSagaRunner } from '../emulators/saga-runner';
import {
  orderCancellation,
  orderContinuation,
  orderSaga,
  type StateMachineDefinition,
} from '../../statemachines/order-saga';
import { demoCatalog } from './seed-data';
import {
  devEnvironment,
  localApiKeys,
  localCorsOrigins,
  localEmail,
  localRateLimitOverrides,
  type LocalApiKey,
} from './dev-config';
import { rateLimitsFor, RateLimiter, type RateLimitOverrides, type RateLimits } from '../emulators/rate-limiter';
import { ensureTable } from './ensure-table';
import { localUserPool, LocalTokenIssuer, signingKeyFromFile } from '../emulators/token-issuer';
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDbPartnerDirectory } from '../../functions/core/adapters/dynamodb/partner-directory';
import { LocalApiKeyRegistry } from '../emulators/api-key-registry';
import { LocalAppClients } from '../emulators/cognito-app-clients';
import { seedDevPartners, type DevPartnerCredentials } from './dev-partners';
import type { LocalUserPool } from '../emulators/cognito-idp';
import { startLocalIdentity } from '../emulators/local-identity';
import type { MigrationRunEntry } from '../../functions/core/use-cases/jobs/run-migrations';
import { redactedForConsole } from '../../functions/core/observability/redaction';

/** The data migrations' handler: the function the service stack runs at deploy time. */
export const migrationsHandler = 'functions/jobs/run-migrations.ts';

export const projectRoot = resolve(__dirname, '..', '..');

/** The local webhook endpoint's signing secret (Stripe's are `whsec_…`); not a secret: it signs sandbox events only. */
export const localWebhookSecret = 'whsec_local_sandbox';

/** This runtime's place among the table's regions (docs/regions.md); absent: one region, nothing fenced. */
export interface LocalRegionPlacement {
  /** The region this runtime plays (AWS_REGION of every function). */
  readonly region: string;
  /** The region that writes until a promotion says otherwise. */
  readonly primaryRegion: string;
  readonly standbyRegions: readonly string[];
}

export interface LocalRuntimeOptions {
  readonly regions?: LocalRegionPlacement;
  /** Gateway port; 0 picks a free one. */
  readonly port: number;
  readonly inMemory: boolean;
  readonly dataDirectory?: string;
  /** An already running DynamoDB endpoint (tests share one); otherwise DynamoDB Local is started. */
  readonly dynamoDbEndpoint?: string;
  readonly dynamoDbPort?: number;
  readonly tableName?: string;
  readonly paymentApiKey?: string;
  /**
   * A payment provider that runs elsewhere (`paymentApiKey` is its key): no sandbox is started. The two regions of the
   * failover drill share one, as both AWS regions call the one Stripe; its owner registers the webhook endpoint.
   */
  readonly paymentApiUrl?: string;
  /**
   * A PEM file holding the token issuer's signing key (made when missing): runtimes given the same file accept each
   * other's tokens. A key made for this process alone when absent.
   */
  readonly tokenSigningKeyFile?: string;
  readonly paymentTimeoutMs?: number;
  /** How long the sandbox's pm_card_sandbox_timeout keeps the caller waiting. */
  readonly paymentHangMs?: number;
  /**
   * How long after a failed payment the recovery job voids again what the provider may have authorized late
   * (PAYMENT_SETTLE_SECONDS, 120 s by default as in AWS).
   */
  readonly paymentSettleSeconds?: number;
  /**
   * How long a customer has to finish 3-D Secure (PAYMENT_AUTHENTICATION_DEADLINE_SECONDS); cdk.json's dev
   * `payment.authenticationDeadlineMinutes` when absent.
   */
  readonly paymentAuthenticationDeadlineSeconds?: number;
  /** How long an order may wait for its risk review (RISK_REVIEW_DEADLINE_SECONDS); cdk.json's dev value when absent. */
  readonly reviewDeadlineSeconds?: number;
  /** The fraud model's thresholds (RISK_REVIEW_THRESHOLD / _REJECT_); cdk.json's dev `risk.thresholds` when absent. */
  readonly riskThresholds?: { readonly review?: number; readonly reject?: number };
  /**
   * The payment sandbox's journal, so its payments survive a restart; by default stripe-sandbox.jsonl next to the
   * DynamoDB data directory (.local-data/), none when `inMemory`.
   */
  readonly paymentDataFile?: string;
  /** The payment adapter's circuit breaker (PAYMENT_BREAKER_*); the adapter's production defaults when absent. */
  readonly paymentBreaker?: { readonly threshold?: number; readonly halfOpenAfterMs?: number };
  /**
   * Faults to inject into every saga task and the payment adapter (FAULT_INJECTION, docs/fault-injection.md). When
   * absent, a FAULT_INJECTION the shell exports applies.
   */
  readonly faults?: FaultInjectionConfig;
  readonly retryIntervalMs?: number;
  readonly workflowType?: 'EXPRESS' | 'STANDARD';
  readonly logLevel?: string;
  readonly seedCatalog?: readonly Product[];
  /** Run the scheduled jobs on their offline cadence (npm start does; tests run jobs explicitly). */
  readonly schedules?: boolean;
  /** How long function instances cache public catalog reads (CATALOG_CACHE_TTL_MS); 0 turns the cache off. */
  readonly catalogCacheTtlMs?: number;
  /**
   * Lowers the gateway's throttles and quotas below the dev environment's; when given, the LOCAL_RATE_LIMIT_SCALE,
   * LOCAL_THROTTLE_*, LOCAL_QUOTA_PER_DAY and LOCAL_USER_THROTTLE_* variables are ignored. `{}` means cdk.json as is.
   */
  readonly rateLimits?: RateLimitOverrides;
  /**
   * `false` serves without usage-plan and method throttles: only for load and failure tests of the saga, which must
   * drive more concurrency through one machine than any single API key is allowed in AWS.
   */
  readonly throttling?: false;
  /**
   * The feature flags document the handlers read (an AppConfig feature-flag document). Edits show at the next
   * request, without a restart. Default: FEATURE_FLAGS_FILE from the shell, else the checked-in
   * functions/core/config/feature-flags.json.
   */
  readonly featureFlagsFile?: string;
  /**
   * RISK_MODEL_FILE: the fraud model CheckRisk loads instead of the bundled one. A file that does not exist leaves
   * CheckRisk on the static rules (as in AWS when a model file is broken). Default: whatever the shell exports.
   */
  readonly riskModelFile?: string;
  /**
   * Seconds between webhook delivery attempts (WEBHOOK_RETRY_SCHEDULE_SECONDS): tests shorten the production
   * schedule (functions/core/domain/webhooks.ts) to seconds. Also WEBHOOK_DISABLE_AFTER_SECONDS.
   */
  readonly webhookRetryScheduleSeconds?: readonly number[];
  readonly webhookDisableAfterSeconds?: number;
}

export interface LocalRuntime {
  readonly apiUrl: string;
  /** What the data migrations did at start (functions/core/migrations/): applied now or already before. */
  readonly migrations: readonly MigrationRunEntry[];
  /** Orders found in flight at start (their executor died with the previous process) whose saga was restarted. */
  readonly resumedOrders: readonly string[];
  /** Runs a scheduled job now (undefined for an unknown job name). */
  runJob(name: string, event?: Record<string, unknown>): Promise<unknown>;
  /** The dev API key of each client app and dev partner. */
  readonly apiKeys: readonly LocalApiKey[];
  /** The seeded dev partners with their client ids, secrets and API keys. */
  readonly partners: readonly DevPartnerCredentials[];
  /** The local user pool's app clients (Cognito's protocol, at `aws.url`). */
  readonly appClients: LocalAppClients;
  /** API keys and usage plans (API Gateway's protocol, at its `url`). */
  readonly apiKeyRegistry: LocalApiKeyRegistry;
  /** The throttles and quotas the gateway enforces (cdk.json's dev values, possibly lowered). */
  readonly rateLimits: RateLimits;
  readonly dynamoDbEndpoint: string;
  readonly tableName: string;
  readonly tokens: LocalTokenIssuer;
  /** The user-pool emulator's directory (sign-ups, dev users, groups), served on `aws.url` to the Cognito SDK. */
  readonly users: LocalUserPool;
  readonly aws: LocalAwsEmulator;
  /** The webhook delivery queue and its dead-letter queue (URLs in `aws`). */
  readonly webhookQueues: { readonly deliveries: string; readonly deadLetters: string };
  /** SES v2 offline: the customer emails sent (also at GET /local/mail). */
  readonly mailbox: LocalSesMailbox;
  readonly payments: StripeSandbox;
  readonly saga: LocalSagaRunner;
  readonly cancellations: LocalSagaRunner;
  /** The continuation workflow of held orders (ACTION_REQUIRED). */
  readonly continuations: LocalSagaRunner;
  /** The outbox relay reading the table's stream (stop and start it to play an outage). */
  readonly relay: LocalStreamRelay;
  /** Resolves when every running execution of every state machine has finished (or the deadline passed). */
  drain(timeoutMs: number): Promise<boolean>;
  readonly documentClient: DynamoDBDocumentClient;
  /** Waits for running sagas, then stops every service (the JVM included). */
  stop(): Promise<void>;
}

function riskThresholdVariables(thresholds: { readonly review?: number; readonly reject?: number } | undefined) {
  return {
    ...(thresholds?.review === undefined ? {} : { [envNames.risk.reviewThreshold]: String(thresholds.review) }),
    ...(thresholds?.reject === undefined ? {} : { [envNames.risk.rejectThreshold]: String(thresholds.reject) }),
  };
}

const localArn = (machine: StateMachineDefinition) =>
  `arn:aws:states:us-east-1:000000000000:stateMachine:orders-local-${machine.name}`;

/**
 * Starts the whole system on this machine: DynamoDB Local, the payment sandbox, the Step Functions/EventBridge
 * emulator running the saga's ASL file, and the API gateway, all wired to the same handler modules CDK deploys.
 * Handlers read the same environment variables as in AWS, so the process environment is set here, once: one
 * runtime per process.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse())
      await stop().catch((error: unknown) => console.error(redactedForConsole(error)));
  };
  // Before anything starts, so a bad override fails at once instead of after the JVM is up.
  const rateLimits = rateLimitsFor(
    devEnvironment(projectRoot).api,
    routes,
    options.rateLimits ?? localRateLimitOverrides(),
  );
  const featureFlagsFile = resolve(
    options.featureFlagsFile ?? process.env[envNames.featureFlags.file] ?? join(projectRoot, featureFlagsDocument),
  );
  if (!existsSync(featureFlagsFile)) throw new Error(`the feature flags file ${featureFlagsFile} does not exist`);
  try {
    let dynamoDb: DynamoDbLocal | undefined;
    if (!options.dynamoDbEndpoint) {
      dynamoDb = await startDynamoDbLocal({
        inMemory: options.inMemory,
        port: options.dynamoDbPort ?? 0,
        ...(options.dataDirectory ? { dataDirectory: options.dataDirectory } : {}),
      });
      stops.push(() => dynamoDb!.stop());
    }
    const dynamoDbEndpoint = options.dynamoDbEndpoint ?? dynamoDb!.endpoint;

    const paymentDataFile =
      options.paymentDataFile ??
      (options.inMemory
        ? undefined
        : join(dirname(resolve(options.dataDirectory ?? '.local-data/dynamodb')), 'stripe-sandbox.jsonl'));
    const payments = options.paymentApiUrl
      ? remoteStripeSandbox(options.paymentApiUrl, options.paymentApiKey ?? 'sk_test_local')
      : await startStripeSandbox({
          port: 0,
          apiKey: options.paymentApiKey ?? 'sk_test_local',
          ...(options.paymentHangMs ? { hangMs: options.paymentHangMs } : {}),
          ...(paymentDataFile ? { dataFile: paymentDataFile } : {}),
        });
    stops.push(() => payments.stop());

    const aws = new LocalAwsEmulator();
    await aws.start(0);
    stops.push(() => aws.stop());

    const config = devEnvironment(projectRoot);
    const email = localEmail(config);
    const mailbox = new LocalSesMailbox(email.templatePrefix);
    await mailbox.start(0);
    stops.push(() => mailbox.stop());
    // Usage plans as the stack names them (`orders-<env>-<tier>`, the environment here being `local`).
    const apiKeyRegistry = new LocalApiKeyRegistry(
      new Map(
        Object.keys(config.api.usagePlans).map((plan) => [plan, { id: `local-${plan}`, name: `orders-local-${plan}` }]),
      ),
    );
    await apiKeyRegistry.start(0);
    stops.push(() => apiKeyRegistry.stop());
    const clientAppKeys = localApiKeys(config);
    for (const { owner, plan, value } of clientAppKeys) {
      const key = apiKeyRegistry.createKey({ name: `orders-local-${owner}`, value, enabled: true });
      apiKeyRegistry.addToPlan(key.id, `local-${plan}`);
    }
    const appClients = new LocalAppClients(localUserPool.userPoolId);
    aws.serve(appClients.operations);
    const allowedOrigins = localCorsOrigins(config);
    const tableName = options.tableName ?? 'orders-local';
    // As the stack declares them (stacks/constructs/webhook-delivery.ts): a visibility timeout, and the redrive to
    // the dead-letter queue of messages whose handling kept failing.
    const webhookDeadLetters = aws.createQueue('orders-local-webhook-deliveries-dlq');
    const webhookQueues = {
      deliveries: aws.createQueue('orders-local-webhook-deliveries', {
        visibilityTimeoutSeconds: webhookDeliveryWorker.visibilityTimeoutSeconds,
        deadLetter: { url: webhookDeadLetters, maxReceiveCount: webhookDeliveryWorker.maxReceiveCount },
      }),
      deadLetters: webhookDeadLetters,
    };
    const idempotencyTableName = `${tableName}-idempotency`;
    const environment: SettingsEnvironment = {
      AWS_REGION: options.regions?.region ?? 'us-east-1',
      ...(options.regions
        ? {
            [envNames.regions.primaryRegion]: options.regions.primaryRegion,
            [envNames.regions.standbyRegions]: options.regions.standbyRegions.join(','),
          }
        : {}),
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: dynamoDbEndpoint,
      AWS_ENDPOINT_URL_SFN: aws.url,
      AWS_ENDPOINT_URL_EVENTBRIDGE: aws.url,
      AWS_ENDPOINT_URL_SQS: aws.url,
      AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: aws.url,
      AWS_ENDPOINT_URL_API_GATEWAY: apiKeyRegistry.url,
      AWS_ENDPOINT_URL_SESV2: mailbox.url,
      [envNames.email.fromAddress]: email.fromAddress,
      [envNames.email.templatePrefix]: email.templatePrefix,
      [envNames.email.configurationSetName]: email.configurationSetName,
      [envNames.attentionQueue.queueUrl]: aws.createQueue('orders-local-attention'),
      [envNames.table.tableName]: tableName,
      [envNames.webhookQueue.queueUrl]: webhookQueues.deliveries,
      [envNames.webhookDeadLetters.queueUrl]: webhookQueues.deadLetters,
      // Offline receivers listen on this machine: plain http to loopback is allowed here, and only here.
      [envNames.webhooks.allowLoopback]: 'true',
      ...(options.webhookRetryScheduleSeconds
        ? { [envNames.webhooks.retryScheduleSeconds]: options.webhookRetryScheduleSeconds.join(',') }
        : {}),
      ...(options.webhookDisableAfterSeconds === undefined
        ? {}
        : { [envNames.webhooks.disableAfterSeconds]: String(options.webhookDisableAfterSeconds) }),
      [envNames.idempotency.tableName]: idempotencyTableName,
      [orderSaga.arnEnvName]: localArn(orderSaga),
      [orderCancellation.arnEnvName]: localArn(orderCancellation),
      [orderContinuation.arnEnvName]: localArn(orderContinuation),
      [envNames.paymentAuthentication.deadlineSeconds]: String(
        options.paymentAuthenticationDeadlineSeconds ?? config.payment.authenticationDeadlineMinutes * 60,
      ),
      [envNames.events.eventBusName]: 'orders-local',
      [envNames.payment.apiUrl]: payments.url,
      [envNames.payment.apiKey]: payments.apiKey,
      [envNames.paymentWebhooks.signingSecret]: localWebhookSecret,
      [envNames.payment.timeoutMs]: String(options.paymentTimeoutMs ?? config.payment.timeoutMs),
      ...(options.paymentSettleSeconds === undefined
        ? {}
        : { [envNames.paymentSettlement.settleSeconds]: String(options.paymentSettleSeconds) }),
      ...(options.paymentBreaker?.threshold === undefined
        ? {}
        : { [envNames.payment.breakerThreshold]: String(options.paymentBreaker.threshold) }),
      ...(options.paymentBreaker?.halfOpenAfterMs === undefined
        ? {}
        : { [envNames.payment.breakerHalfOpenMs]: String(options.paymentBreaker.halfOpenAfterMs) }),
      ...(options.faults ? { [envNames.faultInjection.config]: JSON.stringify(options.faults) } : {}),
      ...(options.riskModelFile ? { [envNames.risk.modelFile]: options.riskModelFile } : {}),
      [envNames.stockHolds.holdMinutes]: String(config.holdMinutes),
      [envNames.catalogCache.ttlMs]: String(options.catalogCacheTtlMs ?? 5000),
      [envNames.risk.maxOrderAmount]: JSON.stringify(config.risk.maxOrderAmount),
      [envNames.risk.maxOrdersPerHour]: String(config.risk.maxOrdersPerHour.customer),
      [envNames.risk.maxPartnerOrdersPerHour]: String(config.risk.maxOrdersPerHour.partner),
      ...riskThresholdVariables(options.riskThresholds ?? config.risk.thresholds),
      [envNames.risk.reviewDeadlineSeconds]: String(
        options.reviewDeadlineSeconds ?? config.risk.reviewDeadlineHours * 3600,
      ),
      [envNames.inventory.leadTimeDays]: String(config.inventory.leadTimeDays),
      [envNames.inventory.serviceLevelPerMille]: String(Math.round(config.inventory.serviceLevel * 1000)),
      [envNames.recovery.afterSeconds]: String(config.jobs.recoveryAfterSeconds),
      [envNames.featureFlags.file]: featureFlagsFile,
      [envNames.cors.allowedOrigins]: allowedOrigins.join(','),
      // No cache: the file source re-reads only when the file changed, so an edit applies to the next request.
      [envNames.featureFlags.maxAgeSeconds]: '0',
      POWERTOOLS_SERVICE_NAME: 'orders',
      POWERTOOLS_METRICS_NAMESPACE: ordersNamespace,
      POWERTOOLS_LOG_LEVEL: options.logLevel ?? 'INFO',
      POWERTOOLS_TRACE_ENABLED: 'false',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_DEV: 'true',
    };
    Object.assign(process.env, environment);

    const client = new DynamoDBClient({});
    stops.push(async () => client.destroy());
    const documentClient = DynamoDBDocumentClient.from(client);
    await ensureTable(client, ordersTableDesign, tableName);
    await ensureTable(client, idempotencyTableDesign, idempotencyTableName);
    // The same handler the deploy-time custom resource invokes, before anything reads or writes items: data left
    // by an older version (the persisted .local-data/) is brought up to date first, as a deployment does.
    const runMigrations = await loadHandler(projectRoot, migrationsHandler);
    // Five minutes of deadline, so that a claim left by a crashed start frees itself within six.
    const migrationRun = await runMigrations({ RequestType: 'Update' }, lambdaContext('run-migrations', 5 * 60_000));
    const migrations = (migrationRun as { results: MigrationRunEntry[] }).results;
    const catalog = new DynamoDbCatalogStore(documentClient, tableName);
    for (const product of options.seedCatalog ?? demoCatalog) await catalog.addIfAbsent(product);
    const cognito = new CognitoIdentityProviderClient({});
    const apiGateway = new APIGatewayClient({});
    stops.push(async () => {
      cognito.destroy();
      apiGateway.destroy();
    });
    const partners = await seedDevPartners({
      cognito,
      apiGateway,
      directory: new DynamoDbPartnerDirectory(documentClient, tableName),
      userPoolId: localUserPool.userPoolId,
      envName: 'local',
      tiers: Object.keys(config.api.usagePlans),
    });

    const runnerFor = async (machine: StateMachineDefinition) => {
      const runner = await LocalSagaRunner.create({
        projectRoot,
        machine,
        stateMachineArn: localArn(machine),
        workflowType: options.workflowType ?? 'EXPRESS',
        ...(options.retryIntervalMs === undefined ? {} : { retryIntervalMs: options.retryIntervalMs }),
      });
      aws.attachStateMachine(localArn(machine), runner);
      return runner;
    };
    const saga = await runnerFor(orderSaga);
    const cancellations = await runnerFor(orderCancellation);
    const continuations = await runnerFor(orderContinuation);
    const runners = [saga, cancellations, continuations];
    // Event consumers (the sales history): the local bus delivers to them as the EventBridge rules do in AWS.
    const consumers = subscribeConsumers(aws, projectRoot);
    // The outbox relay: the table's stream to the bus, as the event source mapping does in AWS. A persistent table's
    // stream outlives the process, so the relay's position is kept beside the data.
    const relay = new LocalStreamRelay({
      projectRoot,
      handlerModule: outboxRelay.handler,
      endpoint: dynamoDbEndpoint,
      tableName,
      batchSize: outboxRelay.batchSize,
      filterPattern: outboxRelay.filterPattern,
      ...(options.inMemory
        ? {}
        : {
            checkpointFile: join(
              dirname(resolve(options.dataDirectory ?? '.local-data/dynamodb')),
              `stream-checkpoints-${tableName}.json`,
            ),
          }),
    });
    relay.start();
    stops.push(() => relay.stop());
    stops.push(() => consumers.stop());
    // The webhook sender, fed by its queue as Lambda's SQS event source mapping feeds it in AWS.
    const webhookSender = pollQueue(aws, {
      projectRoot,
      name: 'webhook-delivery',
      queueUrl: webhookQueues.deliveries,
      handlerModule: webhookDeliveryWorker.handler,
      batchSize: webhookDeliveryWorker.batchSize,
    });
    stops.push(() => webhookSender.stop());
    const drain = async (timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      // A saga can be compensating while a cancellation starts: drain until all are quiet at once, then let the
      // relay publish the events their changes wrote, the consumers finish them, and the webhook sender the
      // deliveries that are due.
      for (;;) {
        for (const runner of runners) if (!(await runner.drain(deadline - Date.now()))) return false;
        if (runners.every((runner) => runner.running === 0)) {
          if (relay.isRunning && !(await relay.settle(Math.max(0, deadline - Date.now())))) return false;
          await consumers.settle();
          await webhookSender.settle();
          if (runners.every((runner) => runner.running === 0)) return true;
        }
      }
    };
    stops.push(async () => {
      await drain(10_000);
    });

    // Scheduled jobs: the same handler modules EventBridge schedules in AWS, loaded on first use.
    const jobHandlers = new Map<string, Promise<LambdaHandler>>();
    const runJob = async (name: string, event: Record<string, unknown> = {}, timeoutMs?: number) => {
      const job = (jobs as Record<string, JobDefinition>)[name];
      if (!job) return undefined;
      if (!jobHandlers.has(name)) jobHandlers.set(name, loadHandler(projectRoot, job.handler));
      const handler = await jobHandlers.get(name)!;
      return handler(
        { source: 'aws.events', 'detail-type': 'Scheduled Event', ...event },
        lambdaContext(name, timeoutMs),
      );
    };
    // No execution survives a restart of this process: every order still in flight lost its saga, resume them now.
    // Every one of them, not only a scheduled run's 100 (a busy system has more in flight than that), so the run gets
    // the migrations' five minutes rather than a scheduled run's deadline: hundreds of orders left in flight by a
    // crash under load took more than 30 s to resume on a slow machine, and a start that gives up half way leaves
    // them to the next scheduled runs, 100 a minute.
    // A standby skips it: the active region's recovery owns the orders.
    const resumed = (await runJob(
      'recover-orders',
      { olderThanSeconds: 0, limit: 10_000, afterRestart: true },
      5 * 60_000,
    )) as { restarted?: string[] };
    if (options.schedules ?? false) {
      for (const [name, job] of Object.entries(jobs) as [string, JobDefinition][]) {
        const timer = setInterval(() => {
          runJob(name).catch((error: unknown) => console.error(`job ${name} failed`, redactedForConsole(error)));
        }, job.everySeconds * 1000);
        timer.unref();
        stops.push(async () => clearInterval(timer));
      }
    }

    const tokens = new LocalTokenIssuer(
      appClients,
      options.tokenSigningKeyFile ? { signingKey: signingKeyFromFile(options.tokenSigningKeyFile) } : {},
    );
    const identity = await startLocalIdentity({
      projectRoot,
      aws,
      issuer: tokens,
      quiet: options.logLevel === 'SILENT',
    });
    stops.push(async () => identity.routes.stop());
    const gatewayRoutes = await Promise.all(
      routeList.map(async (route) => ({ ...route, invoke: await loadHandler(projectRoot, route.handler) })),
    );
    const apiKeys: LocalApiKey[] = [
      ...clientAppKeys,
      ...partners.map((partner) => ({ owner: partner.partnerId, plan: partner.plan, value: partner.apiKey })),
    ];
    const gateway: LocalGateway = await startGateway({
      port: options.port,
      routes: gatewayRoutes,
      issuer: tokens,
      apiKeys: apiKeyRegistry,
      ...(options.throttling === false ? {} : { limiter: new RateLimiter(rateLimits) }),
      localOnly: {
        events: () => aws.events(),
        runJob,
        identity: (...request) => identity.routes.handle(...request),
        mail: (to) => mailbox.mail(to),
      },
      cors: { allowedOrigins },
    });
    stops.push(() => gateway.stop());
    // The sandbox sends its signed events to the gateway, as Stripe does to the endpoint registered with it.
    payments.setWebhookEndpoint({ url: `${gateway.url}/webhooks/stripe`, secret: localWebhookSecret });
    stops.push(async () => payments.setWebhookEndpoint(undefined));

    return {
      apiUrl: gateway.url,
      migrations,
      resumedOrders: resumed.restarted ?? [],
      runJob,
      apiKeys,
      partners,
      appClients,
      apiKeyRegistry,
      rateLimits,
      dynamoDbEndpoint,
      tableName,
      tokens,
      users: identity.users,
      aws,
      webhookQueues,
      mailbox,
      payments,
      saga,
      cancellations,
      continuations,
      relay,
      drain,
      documentClient,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
