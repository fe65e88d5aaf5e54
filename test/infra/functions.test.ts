import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AssetStaging, CfnElement } from 'aws-cdk-lib';
import { routeList } from '../../functions/api/routes';
import { envNames } from '../../functions/core/config/runtime-config';
import { orderSaga, type SagaPlaceholder } from '../../statemachines/order-saga';
import type { OrderFunction } from '../../stacks/constructs/order-function';
import {
  allEnvironments,
  asArray,
  policyStatements,
  resourcesOfType,
  synthApp,
  type SynthesizedApp,
} from './synth-app';

const sagaPlaceholders = Object.keys(orderSaga.tasks) as SagaPlaceholder[];

function logicalId(app: SynthesizedApp, fn: OrderFunction): string {
  return app.service.getLogicalId(fn.function.node.defaultChild as CfnElement);
}

function allFunctions(app: SynthesizedApp): [string, OrderFunction][] {
  return [...app.service.routeFunctions, ...app.service.sagaFunctions];
}

/** Every action the function's role is allowed, from its default policy. */
function roleActions(app: SynthesizedApp, fn: OrderFunction): string[] {
  const policy = fn.role.node.tryFindChild('DefaultPolicy')?.node.defaultChild as CfnElement | undefined;
  if (!policy) return [];
  const policyId = app.service.getLogicalId(policy);
  return policyStatements(app.serviceTemplate)
    .filter((entry) => entry.policyId === policyId)
    .flatMap(({ statement }) => asArray(statement.Action));
}

function environmentOf(app: SynthesizedApp, fn: OrderFunction): Record<string, unknown> {
  const resource = resourcesOfType(app.serviceTemplate, 'AWS::Lambda::Function')[logicalId(app, fn)];
  return (resource?.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
}

/** What each function may see, by the variables it gets (the bindings set a variable and grant together). */
const expectedVariables: Record<string, readonly string[]> = {
  health: [],
  listProducts: [envNames.tableName],
  placeOrder: [envNames.tableName, envNames.stateMachineArn, envNames.eventBusName],
  getOrder: [envNames.tableName],
  ReserveStockFunctionArn: [envNames.tableName, envNames.holdMinutes],
  ReleaseStockFunctionArn: [envNames.tableName, envNames.holdMinutes],
  AuthorizePaymentFunctionArn: [
    envNames.tableName,
    envNames.paymentApiUrl,
    envNames.paymentTimeoutMs,
    envNames.paymentApiKeySecretArn,
  ],
  VoidPaymentFunctionArn: [
    envNames.tableName,
    envNames.paymentApiUrl,
    envNames.paymentTimeoutMs,
    envNames.paymentApiKeySecretArn,
  ],
  ConfirmOrderFunctionArn: [envNames.tableName, envNames.eventBusName],
  FailOrderFunctionArn: [envNames.tableName, envNames.eventBusName],
};
const runtimeVariables = new Set<string>(Object.values(envNames));

describe.each(allEnvironments)('functions (%s)', (envName) => {
  let app: SynthesizedApp;
  beforeAll(() => {
    app = synthApp(envName);
  });

  it('has one function per route and per saga task, and no other', () => {
    expect([...app.service.routeFunctions.keys()].sort()).toEqual(routeList.map((route) => route.id).sort());
    expect([...app.service.sagaFunctions.keys()].sort()).toEqual([...sagaPlaceholders].sort());
    app.serviceTemplate.resourceCountIs('AWS::Lambda::Function', routeList.length + sagaPlaceholders.length);
  });

  it('runs every function on Node.js 22, arm64, with active tracing, its own log group and a live alias', () => {
    const functions = resourcesOfType(app.serviceTemplate, 'AWS::Lambda::Function');
    const logGroups = resourcesOfType(app.serviceTemplate, 'AWS::Logs::LogGroup');
    const aliases = Object.values(resourcesOfType(app.serviceTemplate, 'AWS::Lambda::Alias'));
    for (const [id, fn] of Object.entries(functions)) {
      const properties = fn.Properties ?? {};
      expect({ id, runtime: properties.Runtime }).toEqual({ id, runtime: 'nodejs22.x' });
      expect(properties.Architectures).toEqual(['arm64']);
      expect(properties.TracingConfig).toEqual({ Mode: 'Active' });
      expect(properties.Handler).toBe('index.handler');
      const logGroupId = (properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      expect(logGroups[logGroupId]?.Properties?.RetentionInDays).toBe(app.config.logRetentionDays);
      expect(logGroups[logGroupId]?.DeletionPolicy).toBe(app.config.retainData ? 'Retain' : 'Delete');
      expect((properties.Environment as { Variables: unknown }).Variables).toMatchObject({
        POWERTOOLS_SERVICE_NAME: expect.stringMatching(/^orders-(api|saga)$/),
        POWERTOOLS_METRICS_NAMESPACE: 'Orders',
        POWERTOOLS_LOG_LEVEL: app.config.logLevel,
        NODE_OPTIONS: '--enable-source-maps',
      });
      const live = aliases.filter((alias) => (alias.Properties?.FunctionName as { Ref: string }).Ref === id);
      expect(live.map((alias) => alias.Properties?.Name)).toEqual(['live']);
    }
  });

  it.each(Object.entries(expectedVariables))('gives %s exactly the runtime variables it needs', (name, variables) => {
    const fn = app.service.routeFunctions.get(name as never) ?? app.service.sagaFunctions.get(name as never);
    expect(fn).toBeDefined();
    const present = Object.keys(environmentOf(app, fn!)).filter((variable) => runtimeVariables.has(variable));
    expect(present.sort()).toEqual([...variables].sort());
  });

  it('passes payment and hold settings from the environment config', () => {
    const authorize = app.service.sagaFunctions.get('AuthorizePaymentFunctionArn')!;
    expect(environmentOf(app, authorize)).toMatchObject({
      [envNames.paymentApiUrl]: app.config.payment.apiUrl,
      [envNames.paymentTimeoutMs]: String(app.config.payment.timeoutMs),
    });
    const reserve = app.service.sagaFunctions.get('ReserveStockFunctionArn')!;
    expect(environmentOf(app, reserve)).toMatchObject({ [envNames.holdMinutes]: String(app.config.holdMinutes) });
  });

  it('grants no wildcard action, no dynamodb:* and no Scan; "*" resources only where AWS allows nothing narrower', () => {
    const statements = [app.dataTemplate, app.serviceTemplate, ...app.replicaKeyTemplates]
      .flatMap((template) => policyStatements(template))
      .filter(({ statement }) => statement.Effect === 'Allow');
    expect(statements.length).toBeGreaterThan(0);
    // X-Ray and CloudWatch Logs delivery have no resource-level permissions.
    const allowedOnAnyResource =
      /^(xray:(PutTraceSegments|PutTelemetryRecords|GetSamplingRules|GetSamplingTargets)|logs:(CreateLogDelivery|GetLogDelivery|UpdateLogDelivery|DeleteLogDelivery|ListLogDeliveries|PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups))$/;
    for (const { policyId, statement } of statements) {
      const actions = asArray(statement.Action);
      for (const action of actions) {
        expect({ policyId, action }).toEqual({ policyId, action: expect.not.stringContaining('*') });
        expect(action).not.toBe('dynamodb:Scan');
      }
      if (asArray(statement.Resource).includes('*')) {
        for (const action of actions)
          expect({ policyId, action }).toEqual({ policyId, action: expect.stringMatching(allowedOnAnyResource) });
      }
    }
  });

  it('gives table readers no write action', () => {
    const writes =
      /^dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem|ConditionCheckItem)$|^kms:(Encrypt|GenerateDataKey)/;
    for (const id of ['health', 'listProducts', 'getOrder'] as const) {
      const actions = roleActions(app, app.service.routeFunctions.get(id)!);
      expect({ id, writes: actions.filter((action) => writes.test(action)) }).toEqual({ id, writes: [] });
    }
  });

  it('uses no AWS managed policy on function roles', () => {
    for (const [, fn] of allFunctions(app)) {
      const roleId = app.service.getLogicalId(fn.role.node.defaultChild as CfnElement);
      const role = resourcesOfType(app.serviceTemplate, 'AWS::IAM::Role')[roleId];
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
      expect({ name, files: fs.readdirSync(dir).sort() }).toEqual({ name, files: ['index.mjs', 'index.mjs.map'] });
      const code = fs.readFileSync(path.join(dir, 'index.mjs'), 'utf8');
      expect(code.startsWith("import { createRequire as topLevelCreateRequire } from 'module';")).toBe(true);
      expect(code.split('\n').length).toBeLessThan(200);
      // The SDK is bundled, not left to the runtime's preinstalled copy.
      expect(code).not.toMatch(/from\s*"@aws-sdk\//);
    }
  });

  it('loads each bundle in plain Node with only the variables its template sets', () => {
    for (const [name, fn] of allFunctions(app)) {
      const staging = fn.function.node.findChild('Code').node.findChild('Stage') as AssetStaging;
      const file = pathToFileURL(path.join(staging.absoluteStagedPath, 'index.mjs')).href;
      // Handlers read their configuration at cold start and fail on a missing variable, so loading the bundle with
      // the synthesized environment proves the stack sets everything the handler needs (tokens become stand-ins).
      const variables = Object.fromEntries(
        Object.entries(environmentOf(app, fn)).map(([key, value]) => [
          key,
          typeof value === 'string' ? value : `stand-in-for-${key.toLowerCase()}`,
        ]),
      );
      const result = spawnSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const m = await import(${JSON.stringify(file)}); console.log(typeof m.handler);`,
        ],
        { encoding: 'utf8', env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', ...variables }, timeout: 20_000 },
      );
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
