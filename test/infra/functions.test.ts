import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AssetStaging } from 'aws-cdk-lib';
import { routeList, type RouteId } from '../../functions/api/routes';
import { envNames, settingNames } from '../../functions/core/config/settings';
import { jobs, type JobName } from '../../functions/jobs/schedule';
import { eventConsumers } from '../../functions/consumers/subscriptions';
import { probeKinds } from '../../functions/hooks/release-checks';
import { sagaTasks, type SagaPlaceholder } from '../../statemachines/order-saga';
import type { OrderFunction } from '../../stacks/constructs/order-function';
import {
  asArray,
  describeEachEnvironment,
  policyStatements,
  resourcesOfType,
  synthApp,
  type SynthesizedApp,
} from './synth-app';
import { allFunctions, defaultPolicyStatements, environmentOf, logicalIdOf } from './template-helpers';

const sagaPlaceholders = Object.keys(sagaTasks) as SagaPlaceholder[];
const jobNames = Object.keys(jobs) as JobName[];
const consumerNames = Object.keys(eventConsumers);

/** A function by route id, saga placeholder or job name. */
function functionNamed(app: SynthesizedApp, name: string): OrderFunction {
  const fn = allFunctions(app).find(([candidate]) => candidate === name)?.[1];
  if (!fn) throw new Error(`no function ${name}`);
  return fn;
}

/** Every action the function's role is allowed, from its default policy. */
function roleActions(app: SynthesizedApp, fn: OrderFunction): string[] {
  return defaultPolicyStatements(app, fn.role).flatMap((statement) => asArray(statement.Action));
}

const payment = [
  envNames.payment.apiUrl,
  envNames.payment.timeoutMs,
  envNames.payment.apiKeySecretArn,
  envNames.paymentAuthentication.deadlineSeconds,
  envNames.risk.reviewDeadlineSeconds,
];
// Routes that write through the idempotency layer need its table beside the orders table.
const idempotentWrite = [envNames.table.tableName, envNames.idempotency.tableName];
// The owner's cancel and the admins' run the same use case.
const cancels = [...idempotentWrite, envNames.cancellationWorkflow.stateMachineArn, envNames.recovery.afterSeconds];

/**
 * What each function may see, by the variables it gets (the bindings set a variable and grant together). Keyed by
 * route id, saga placeholder and job name, so a new route, task or job fails to compile here until its
 * expectations are written.
 */
const expectedVariables: Record<RouteId | SagaPlaceholder | JobName, readonly string[]> = {
  health: [],
  healthReady: [envNames.table.tableName, envNames.orderWorkflow.stateMachineArn],
  openApi: [],
  listProducts: [envNames.table.tableName],
  getProduct: [envNames.table.tableName],
  createProduct: idempotentWrite,
  updateProduct: [envNames.table.tableName],
  adjustStock: idempotentWrite,
  placeOrder: [...idempotentWrite, envNames.orderWorkflow.stateMachineArn],
  listOrders: [envNames.table.tableName],
  getOrder: [envNames.table.tableName],
  cancelOrder: cancels,
  confirmPayment: [...idempotentWrite, envNames.continuationWorkflow.stateMachineArn, ...payment],
  getOrderHistory: [envNames.table.tableName],
  adminListOrders: [envNames.table.tableName],
  adminGetOrder: [envNames.table.tableName],
  adminCancelOrder: cancels,
  adminFulfillOrder: [...idempotentWrite, ...payment],
  adminGetForecast: [envNames.table.tableName],
  adminListReorders: [envNames.table.tableName],
  adminListReviews: [envNames.table.tableName],
  adminApproveReview: [...idempotentWrite, envNames.continuationWorkflow.stateMachineArn],
  adminRejectReview: [...idempotentWrite, envNames.continuationWorkflow.stateMachineArn],
  adminRefundOrder: [...idempotentWrite, ...payment],
  stripeWebhook: [
    envNames.table.tableName,
    envNames.continuationWorkflow.stateMachineArn,
    ...payment,
    envNames.paymentWebhooks.signingSecretArn,
  ],
  createWebhook: [envNames.table.tableName],
  listWebhooks: [envNames.table.tableName],
  deleteWebhook: [envNames.table.tableName],
  rotateWebhookSecret: [envNames.table.tableName],
  listWebhookDeliveries: [envNames.table.tableName],
  retryWebhookDelivery: [envNames.table.tableName, envNames.webhookQueue.queueUrl],
  replayWebhook: [envNames.table.tableName, envNames.webhookQueue.queueUrl],
  ReserveStockFunctionArn: [envNames.table.tableName, envNames.stockHolds.holdMinutes],
  ReleaseStockFunctionArn: [envNames.table.tableName, envNames.stockHolds.holdMinutes],
  AuthorizePaymentFunctionArn: [envNames.table.tableName, ...payment],
  VoidPaymentFunctionArn: [envNames.table.tableName, ...payment],
  ConfirmOrderFunctionArn: [envNames.table.tableName],
  MarkOrderFailedFunctionArn: [envNames.table.tableName],
  CheckRiskFunctionArn: [
    envNames.table.tableName,
    envNames.risk.maxOrderAmount,
    envNames.risk.maxOrdersPerHour,
    envNames.risk.maxPartnerOrdersPerHour,
  ],
  FlagForAttentionFunctionArn: [envNames.table.tableName, envNames.attentionQueue.queueUrl],
  ResumeHeldOrderFunctionArn: [envNames.table.tableName],
  'recover-orders': [
    envNames.table.tableName,
    envNames.orderWorkflow.stateMachineArn,
    envNames.cancellationWorkflow.stateMachineArn,
    envNames.continuationWorkflow.stateMachineArn,
    ...payment,
    envNames.recovery.afterSeconds,
    envNames.stockHolds.holdMinutes,
  ],
  // No RECONCILE_* variable: cdk.json overrides none of the job's defaults.
  reconcile: [envNames.table.tableName, ...payment],
  'forecast-demand': [
    envNames.table.tableName,
    envNames.inventory.leadTimeDays,
    envNames.inventory.serviceLevelPerMille,
  ],
};
// The feature flag variables have tests of their own (test/infra/feature-flags.test.ts), and so do the allowed CORS
// origins, which every API function gets (test/infra/cors.test.ts), and the regions every function gets where the
// table has replicas (test/infra/standby-region.test.ts).
const featureFlagVariables = new Set<string>(Object.values(envNames.featureFlags));
const regionVariables = new Set<string>(Object.values(envNames.regions));
const runtimeVariables = new Set<string>(
  settingNames.filter(
    (name) => !featureFlagVariables.has(name) && !regionVariables.has(name) && name !== envNames.cors.allowedOrigins,
  ),
);

const tableWrites =
  /^dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem|ConditionCheckItem)$|^kms:(Encrypt|GenerateDataKey)/;

/**
 * The Service stack's own functions: one per route, saga task, job, event consumer and release-hook kind, the
 * post-traffic hook, the migration runner, the outbox relay and the webhook sender, and the mirror-signing-keys job
 * where the environment has a standby region (standby-region.test.ts).
 */
function ownFunctionCount(app: SynthesizedApp): number {
  return (
    routeList.length +
    sagaPlaceholders.length +
    jobNames.length +
    consumerNames.length +
    probeKinds.length +
    1 +
    3 +
    (app.service.identityMirror ? 1 : 0)
  );
}

describeEachEnvironment('functions', (app, envName) => {
  it('has one function per route, per saga task and per job, the release hooks, the migration runner and its provider, and no other', () => {
    expect([...app().service.routeFunctions.keys()].sort()).toEqual(routeList.map((route) => route.id).sort());
    expect([...app().service.sagaFunctions.keys()].sort()).toEqual([...sagaPlaceholders].sort());
    expect([...app().service.jobFunctions.keys()].sort()).toEqual([...jobNames].sort());
    // A pre-traffic hook per kind of function and one post-traffic hook (test/infra/release-safety.test.ts).
    const { hooks } = app().service.releases;
    expect([...hooks.preTraffic.keys()].sort()).toEqual([...probeKinds].sort());
    app().serviceTemplate.resourceCountIs(
      'AWS::Lambda::Function',
      // + the custom resource provider that invokes the migration runner (test/infra/migrations.test.ts).
      ownFunctionCount(app()) + 1,
    );
  });

  it('runs every function on Node.js 22, arm64, with active tracing, its own log group and a live alias', () => {
    const functions = resourcesOfType(app().serviceTemplate, 'AWS::Lambda::Function');
    const logGroups = resourcesOfType(app().serviceTemplate, 'AWS::Logs::LogGroup');
    const aliases = Object.values(resourcesOfType(app().serviceTemplate, 'AWS::Lambda::Alias'));
    // The custom resource provider's own function is CDK's (test/infra/migrations.test.ts checks it).
    const provider = app().service.migrations.provider.node.findChild('framework-onEvent');
    delete functions[logicalIdOf(app(), provider)];
    expect(Object.keys(functions)).toHaveLength(ownFunctionCount(app()));
    for (const [id, fn] of Object.entries(functions)) {
      const properties = fn.Properties ?? {};
      expect({ id, runtime: properties.Runtime }).toEqual({ id, runtime: 'nodejs22.x' });
      expect(properties.Architectures).toEqual(['arm64']);
      expect(properties.TracingConfig).toEqual({ Mode: 'Active' });
      expect(properties.Handler).toBe('index.handler');
      const logGroupId = (properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      // JSON lines at the functions' own level; Lambda's START/END/REPORT lines where the environment keeps them.
      expect(properties.LoggingConfig).toMatchObject({
        LogFormat: 'JSON',
        ApplicationLogLevel: app().config.logLevel,
        SystemLogLevel: { dev: 'INFO', staging: 'INFO', prod: 'WARN' }[envName],
      });
      expect(logGroups[logGroupId]?.Properties?.RetentionInDays).toBe(app().config.logRetentionDays);
      expect(logGroups[logGroupId]?.DeletionPolicy).toBe(app().config.retainData ? 'Retain' : 'Delete');
      expect((properties.Environment as { Variables: unknown }).Variables).toMatchObject({
        POWERTOOLS_SERVICE_NAME: expect.stringMatching(/^orders-(api|saga|jobs|releases)$/),
        POWERTOOLS_METRICS_NAMESPACE: 'Orders',
        POWERTOOLS_LOG_LEVEL: app().config.logLevel,
      });
      // Source maps are read lazily when a trace is printed (stack-traces.ts), not parsed at every cold start.
      expect(properties.Environment).not.toHaveProperty(['Variables', 'NODE_OPTIONS']);
      const live = aliases.filter((alias) => (alias.Properties?.FunctionName as { Ref: string }).Ref === id);
      expect(live.map((alias) => alias.Properties?.Name)).toEqual(['live']);
    }
  });

  it.each(Object.entries(expectedVariables))('gives %s exactly the runtime variables it needs', (name, variables) => {
    const present = Object.keys(environmentOf(app(), functionNamed(app(), name))).filter((variable) =>
      runtimeVariables.has(variable),
    );
    expect(present.sort()).toEqual([...variables].sort());
  });

  it('passes the risk limits and the recovery age from the environment config', () => {
    const checkRisk = environmentOf(app(), app().service.sagaFunctions.get('CheckRiskFunctionArn')!);
    expect(JSON.parse(checkRisk[envNames.risk.maxOrderAmount] as string)).toEqual(app().config.risk.maxOrderAmount);
    expect(checkRisk[envNames.risk.maxOrdersPerHour]).toBe(String(app().config.risk.maxOrdersPerHour.customer));
    expect(checkRisk[envNames.risk.maxPartnerOrdersPerHour]).toBe(String(app().config.risk.maxOrdersPerHour.partner));
    const recovery = environmentOf(app(), app().service.jobFunctions.get('recover-orders')!);
    expect(recovery[envNames.recovery.afterSeconds]).toBe(String(app().config.jobs.recoveryAfterSeconds));
  });

  it('lets CheckRisk read the table, its indexes and its key, and write items (its decision on the order)', () => {
    const statements = defaultPolicyStatements(app(), app().service.sagaFunctions.get('CheckRiskFunctionArn')!.role);
    const actions = statements.flatMap((statement) => asArray(statement.Action));
    // s3: the FIS extension reading its fault configuration, where chaos is on (operations.test.ts checks it).
    expect([...new Set(actions.filter((action) => !/^(logs|xray|s3|dynamodb):/.test(action)))].sort()).toEqual([
      'kms:Decrypt',
      'kms:DescribeKey',
      'kms:Encrypt',
      'kms:GenerateDataKey',
      'kms:GenerateDataKeyWithoutPlaintext',
      'kms:ReEncryptFrom',
      'kms:ReEncryptTo',
    ]);
    expect(actions).not.toContain('dynamodb:Scan');
  });

  it('lets FlagForAttention, and no other function, send to the needs-attention queue, and nothing else in SQS', () => {
    const queueId = logicalIdOf(app(), app().service.attentionQueue);
    const webhookQueueId = logicalIdOf(app(), app().service.webhookQueues.deliveries);
    const flag = app().service.sagaFunctions.get('FlagForAttentionFunctionArn')!;
    // Manual retries and replays queue webhook deliveries: SendMessage on that queue only.
    const webhookSenders = new Set(['retryWebhookDelivery', 'replayWebhook']);
    for (const [name, fn] of allFunctions(app())) {
      const sqs = defaultPolicyStatements(app(), fn.role)
        .filter((statement) => asArray(statement.Action).some((action) => action.startsWith('sqs:')))
        .map((statement) => ({ actions: asArray(statement.Action), resource: statement.Resource }));
      const expected =
        fn === flag
          ? [{ actions: ['sqs:SendMessage'], resource: { 'Fn::GetAtt': [queueId, 'Arn'] } }]
          : webhookSenders.has(name)
            ? [{ actions: ['sqs:SendMessage'], resource: expect.anything() }]
            : [];
      expect({ name, sqs }).toEqual({ name, sqs: expected });
      if (webhookSenders.has(name)) expect(JSON.stringify(sqs)).toContain(webhookQueueId);
    }
    expect(environmentOf(app(), flag)[envNames.attentionQueue.queueUrl]).toEqual({ Ref: queueId });
  });

  it('feeds the webhook sender from its queue (partial batch failures) and lets it send only to its two queues', () => {
    const { deliveries, deadLetters } = app().service.webhookQueues;
    const sender = app().service.webhookSender;
    const mapping = Object.values(resourcesOfType(app().serviceTemplate, 'AWS::Lambda::EventSourceMapping')).find(
      (resource) => JSON.stringify(resource.Properties?.EventSourceArn).includes(logicalIdOf(app(), deliveries)),
    );
    expect(mapping?.Properties).toMatchObject({ BatchSize: 10, FunctionResponseTypes: ['ReportBatchItemFailures'] });
    const sends = defaultPolicyStatements(app(), sender.role)
      .filter((statement) => asArray(statement.Action).includes('sqs:SendMessage'))
      .map((statement) => JSON.stringify(statement.Resource));
    expect(sends.sort()).toEqual(
      [deliveries, deadLetters]
        .map((queue) => JSON.stringify({ 'Fn::GetAtt': [logicalIdOf(app(), queue), 'Arn'] }))
        .sort(),
    );
    const queue = resourcesOfType(app().serviceTemplate, 'AWS::SQS::Queue')[logicalIdOf(app(), deliveries)];
    expect(queue?.Properties?.RedrivePolicy).toMatchObject({ maxReceiveCount: 5 });
    expect(environmentOf(app(), sender)).toMatchObject({
      [envNames.webhookQueue.queueUrl]: { Ref: logicalIdOf(app(), deliveries) },
      [envNames.webhookDeadLetters.queueUrl]: { Ref: logicalIdOf(app(), deadLetters) },
    });
    // Loopback deliveries are for offline runs only.
    expect(environmentOf(app(), sender)).not.toHaveProperty(envNames.webhooks.allowLoopback);
  });

  it('lets only the reconcile job Scan, on the table alone, and write only its findings of stock sold twice', () => {
    const reconcile = app().service.jobFunctions.get('reconcile')!;
    const scanners = allFunctions(app())
      .filter(([, fn]) => roleActions(app(), fn).includes('dynamodb:Scan'))
      .map(([name]) => name);
    expect(scanners).toEqual(['reconcile']);
    const scans = defaultPolicyStatements(app(), reconcile.role).filter((statement) =>
      asArray(statement.Action).includes('dynamodb:Scan'),
    );
    expect(scans).toHaveLength(1);
    expect(asArray(scans[0]!.Action)).toEqual(['dynamodb:Scan']);
    expect(JSON.stringify(scans[0]!.Resource)).toMatch(
      /^\{"Fn::ImportValue":"Orders-[a-z]+-Data:[^"]*OrdersTable\w*Arn\w*"\}$/,
    );
    // Besides the Scan: the region role (a GetItem of that partition only) and the OVERSOLD# findings (a PutItem
    // of those partitions only), each carrying its inventory.oversold event.
    const itemStatements = defaultPolicyStatements(app(), reconcile.role).filter((statement) =>
      asArray(statement.Action).some((action) => /^dynamodb:(?!Scan)/.test(action)),
    );
    expect(itemStatements.map((statement) => [statement.Action, JSON.stringify(statement.Condition)]).sort()).toEqual([
      ['dynamodb:GetItem', JSON.stringify({ 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['REGION'] } })],
      ['dynamodb:PutItem', JSON.stringify({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['OVERSOLD#*'] } })],
    ]);
    // Every other statement in every template (data stack included) is Scan-free, but the migration runner's.
    const migrationPolicy = logicalIdOf(app(), app().service.migrations.function.role.node.findChild('DefaultPolicy'));
    const elsewhere = [app().dataTemplate, app().serviceTemplate, ...app().replicaKeyTemplates]
      .flatMap((template) => policyStatements(template))
      .filter(({ statement }) => asArray(statement.Action).includes('dynamodb:Scan'));
    expect(elsewhere.filter(({ policyId }) => policyId !== migrationPolicy)).toHaveLength(1);
  });

  it('runs the reconcile job one at a time, with 1024 MB and a five-minute limit; no job outlives its period', () => {
    const functions = resourcesOfType(app().serviceTemplate, 'AWS::Lambda::Function');
    const reconcile = functions[logicalIdOf(app(), app().service.jobFunctions.get('reconcile')!.function)]!.Properties!;
    expect(reconcile).toMatchObject({ ReservedConcurrentExecutions: 1, MemorySize: 1024, Timeout: 300 });
    const recovery =
      functions[logicalIdOf(app(), app().service.jobFunctions.get('recover-orders')!.function)]!.Properties!;
    expect(recovery.Timeout).toBeLessThan(60);
    for (const [name, fn] of allFunctions(app())) {
      if (app().service.jobFunctions.get(name as JobName) === fn) continue;
      const reserved = functions[logicalIdOf(app(), fn.function)]!.Properties!.ReservedConcurrentExecutions;
      expect({ name, reserved }).toEqual({ name, reserved: undefined });
    }
  });

  it('passes payment and hold settings from the environment config', () => {
    const authorize = app().service.sagaFunctions.get('AuthorizePaymentFunctionArn')!;
    expect(environmentOf(app(), authorize)).toMatchObject({
      [envNames.payment.apiUrl]: app().config.payment.apiUrl,
      [envNames.payment.timeoutMs]: String(app().config.payment.timeoutMs),
    });
    const reserve = app().service.sagaFunctions.get('ReserveStockFunctionArn')!;
    expect(environmentOf(app(), reserve)).toMatchObject({
      [envNames.stockHolds.holdMinutes]: String(app().config.holdMinutes),
    });
  });

  it('grants no wildcard action and no dynamodb:*; "*" resources only where AWS allows nothing narrower', () => {
    const statements = [app().dataTemplate, app().serviceTemplate, ...app().replicaKeyTemplates]
      .flatMap((template) => policyStatements(template))
      .filter(({ statement }) => statement.Effect === 'Allow');
    expect(statements.length).toBeGreaterThan(0);
    // X-Ray and CloudWatch Logs delivery have no resource-level permissions.
    // tag:GetResources: how FIS resolves experiment targets (where chaos is on); it has no resource-level permission.
    const allowedOnAnyResource =
      /^(xray:(PutTraceSegments|PutTelemetryRecords|GetSamplingRules|GetSamplingTargets)|logs:(CreateLogDelivery|GetLogDelivery|UpdateLogDelivery|DeleteLogDelivery|ListLogDeliveries|PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups)|tag:GetResources)$/;
    for (const { policyId, statement } of statements) {
      const actions = asArray(statement.Action);
      for (const action of actions) {
        expect({ policyId, action }).toEqual({ policyId, action: expect.not.stringContaining('*') });
      }
      if (asArray(statement.Resource).includes('*')) {
        for (const action of actions)
          expect({ policyId, action }).toEqual({ policyId, action: expect.stringMatching(allowedOnAnyResource) });
      }
    }
  });

  it('gives table readers no write action', () => {
    // Not CheckRisk: it records its decision on the order.
    const readers: (RouteId | SagaPlaceholder | JobName)[] = [
      // Not recover-orders: it records failure decisions (expired holds) and pushes pending compensations back.
      // Not reconcile: it writes its findings of stock sold twice (checked above).
      'health',
      'healthReady',
      'openApi',
      'listProducts',
      'getProduct',
      'listOrders',
      'getOrder',
      'getOrderHistory',
      'adminListOrders',
      'adminGetOrder',
      'adminGetForecast',
      'adminListReorders',
      'adminListReviews',
    ];
    for (const id of readers) {
      const actions = roleActions(app(), functionNamed(app(), id));
      expect({ id, writes: actions.filter((action) => tableWrites.test(action)) }).toEqual({ id, writes: [] });
    }
  });

  it('lets exactly the idempotent routes use the idempotency table, with the persistence layer actions only', () => {
    const idempotencyTableArn = /"Fn::ImportValue":"Orders-[a-z]+-Data:ExportsOutputFnGetAttIdempotencyTable\w+Arn/;
    const statements = policyStatements(app().serviceTemplate).filter(({ statement }) =>
      idempotencyTableArn.test(JSON.stringify(statement.Resource)),
    );
    const policyOf = (fn: OrderFunction) => logicalIdOf(app(), fn.role.node.findChild('DefaultPolicy'));
    const idempotent = routeList.filter((route) => route.idempotent);
    expect(idempotent.length).toBeGreaterThan(0);
    expect([...new Set(statements.map(({ policyId }) => policyId))].sort()).toEqual(
      idempotent.map((route) => policyOf(app().service.routeFunctions.get(route.id)!)).sort(),
    );
    for (const { statement } of statements) {
      expect(asArray(statement.Resource)).toHaveLength(1);
      expect(asArray(statement.Action).sort()).toEqual([
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
      ]);
    }
    for (const route of routeList.filter((candidate) => !candidate.idempotent)) {
      const variables = environmentOf(app(), app().service.routeFunctions.get(route.id)!);
      expect({ route: route.id, variable: variables[envNames.idempotency.tableName] }).toEqual({
        route: route.id,
        variable: undefined,
      });
    }
  });

  it('grants data actions (DynamoDB, KMS, Secrets Manager, Step Functions, EventBridge, SQS) on named resources only', () => {
    const dataService = /^(dynamodb|kms|secretsmanager|states|events|sqs):/;
    for (const { policyId, statement } of policyStatements(app().serviceTemplate)) {
      const actions = asArray(statement.Action).filter((action) => dataService.test(action));
      if (actions.length === 0) continue;
      for (const resource of asArray(statement.Resource)) {
        const text = JSON.stringify(resource);
        expect({ policyId, actions, resource: text }).toEqual({
          policyId,
          actions,
          resource: expect.not.stringMatching(/\*/),
        });
      }
      expect({ policyId, wildcards: actions.filter((action) => action.includes('*')) }).toEqual({
        policyId,
        wildcards: [],
      });
    }
  });

  it('uses no AWS managed policy on function roles', () => {
    for (const [, fn] of allFunctions(app())) {
      const roleId = logicalIdOf(app(), fn.role);
      const role = resourcesOfType(app().serviceTemplate, 'AWS::IAM::Role')[roleId];
      expect(role?.Properties?.ManagedPolicyArns).toBeUndefined();
    }
  });
});

describe('function bundles (dev, real esbuild run)', () => {
  let app: SynthesizedApp;
  beforeAll(() => {
    app = synthApp('dev', { bundle: true });
  }, 120_000);

  it('bundles each handler as minified ESM with a source map and the require banner', () => {
    for (const [name, fn] of allFunctions(app)) {
      const staging = fn.function.node.findChild('Code').node.findChild('Stage') as AssetStaging;
      const dir = staging.absoluteStagedPath;
      // The bundle, its map, and the deferred packages beside it; the metafile the bundling step read is removed.
      expect({ name, files: fs.readdirSync(dir).sort() }).toEqual({
        name,
        files: ['index.mjs', 'index.mjs.map', 'node_modules'],
      });
      const code = fs.readFileSync(path.join(dir, 'index.mjs'), 'utf8');
      expect(code.startsWith("import { createRequire as topLevelCreateRequire } from 'module';")).toBe(true);
      expect(code.split('\n').length).toBeLessThan(200);
      // The SDK is bundled, not left to the runtime's preinstalled copy.
      expect(code).not.toMatch(/from\s*"@aws-sdk\//);
    }
  });

  /**
   * Runs `script` after loading `fn`'s bundle as `m`, in plain Node with only the variables its template sets: the
   * handlers read their configuration at cold start and fail on a missing one, so this also proves the stack sets
   * everything the handler needs (tokens become stand-ins).
   */
  function runWithBundle(fn: OrderFunction, script: string) {
    const staging = fn.function.node.findChild('Code').node.findChild('Stage') as AssetStaging;
    const file = pathToFileURL(path.join(staging.absoluteStagedPath, 'index.mjs')).href;
    const variables = Object.fromEntries(
      Object.entries(environmentOf(app, fn)).map(([key, value]) => [
        key,
        typeof value === 'string' ? value : `stand-in-for-${key.toLowerCase()}`,
      ]),
    );
    return spawnSync(
      process.execPath,
      ['--input-type=module', '-e', `const m = await import(${JSON.stringify(file)});${script}`],
      {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', ...variables },
        timeout: 20_000,
      },
    );
  }

  it('ships the deferred packages each bundle imports beside it, and they load from there by their package names', () => {
    let withStripe = 0;
    for (const [name, fn] of allFunctions(app)) {
      const staging = fn.function.node.findChild('Code').node.findChild('Stage') as AssetStaging;
      const dir = staging.absoluteStagedPath;
      const code = fs.readFileSync(path.join(dir, 'index.mjs'), 'utf8');
      // Only dynamic imports remain: a static one would load the package at cold start.
      expect({
        name,
        static: /(?:^|[;}])import[^()]*?from\s*"(?:stripe|@aws-lambda-powertools\/tracer)/.test(code),
      }).toEqual({
        name,
        static: false,
      });
      const usesStripe = code.includes('import("stripe")');
      if (usesStripe) withStripe++;
      const shipped = fs.readdirSync(path.join(dir, 'node_modules')).sort();
      expect({ name, shipped }).toEqual({
        name,
        shipped: usesStripe ? ['@aws-lambda-powertools', 'stripe'] : ['@aws-lambda-powertools'],
      });
      // Resolved as the bundle's own import() resolves them: by package name, from a module in the asset directory.
      const probe = path.join(dir, 'deferred-probe.mjs');
      fs.writeFileSync(
        probe,
        "const { Tracer } = await import('@aws-lambda-powertools/tracer');" +
          "const { captureLambdaHandler } = await import('@aws-lambda-powertools/tracer/middleware');" +
          (usesStripe ? "const { default: Stripe } = await import('stripe');" : 'const Stripe = undefined;') +
          'console.log(typeof Tracer, typeof captureLambdaHandler, typeof Stripe);',
      );
      try {
        const result = spawnSync(process.execPath, [probe], { encoding: 'utf8', env: { PATH: process.env.PATH } });
        expect({ name, loaded: result.stdout.trim() || result.stderr.trim().split('\n')[0] }).toEqual({
          name,
          loaded: `function function ${usesStripe ? 'function' : 'undefined'}`,
        });
      } finally {
        fs.rmSync(probe);
      }
    }
    // The payment functions call Stripe: at least the webhook, the saga's authorize and void, and the refund.
    expect(withStripe).toBeGreaterThanOrEqual(4);
  });

  it("keeps error class names in the minified saga bundles, since the saga's Retry and Catch rules match them", () => {
    for (const [name, fn] of app.service.sagaFunctions) {
      // Input without an order id: every task refuses it before touching AWS, with its typed validation error.
      const result = runWithBundle(
        fn,
        "const context = { functionName: 'probe', awsRequestId: 'probe', getRemainingTimeInMillis: () => 10000 };" +
          "try { await m.handler({}, context); console.log('no error'); } catch (error) { console.log(error.name); }",
      );
      expect({ name, errorName: result.stdout.trim().split('\n').pop() }).toEqual({
        name,
        errorName: 'ValidationError',
      });
    }
  });

  it('loads each bundle in plain Node with only the variables its template sets', () => {
    for (const [name, fn] of allFunctions(app)) {
      const result = runWithBundle(fn, 'console.log(typeof m.handler);');
      const failure = result.stderr.split('\n').find((line) => /Error/.test(line) && !/Warning/.test(line)) ?? '';
      expect({ name, status: result.status, stdout: result.stdout.trim(), failure }).toEqual({
        name,
        status: 0,
        stdout: 'function',
        failure: '',
      });
    }
  });
});
