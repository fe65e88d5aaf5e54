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
import type { IUserPool } from 'aws-cdk-lib/aws-cognito';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as xray from 'aws-cdk-lib/aws-xray';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../bin/environment-config';
import { authorizationScopes, routeList, type RouteDefinition, type RouteId } from '../functions/api/routes';
import {
  orderCancellation,
  orderSaga,
  placeholdersIn,
  sagaTasks,
  stateMachines,
  type SagaPlaceholder,
  type StateMachineDefinition,
} from '../statemachines/order-saga';
import { OrderFunction, projectRoot, type TableAccess } from './constructs/order-function';
import { planId } from './data-stack';
import { requestModel } from './request-models';
import { dataRemovalPolicy, logRetention } from './retention';

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
}

/**
 * Only API functions start workflows (a task starting a state machine could loop). Routes with `idempotent: true`
 * in the route table also get the idempotency table; that is read from the route itself, not repeated here.
 */
interface RouteNeeds extends FunctionNeeds {
  readonly startsWorkflow?: StateMachineDefinition;
}

// The whole access model in two tables. Keyed by route id and saga placeholder, so a new route or task does not
// compile until its needs are declared here.
const routeNeeds: Record<RouteId, RouteNeeds> = {
  health: {},
  // Serves the API description built at cold start from the route table and schemas: no AWS access.
  openApi: {},
  listProducts: { table: 'read' },
  getProduct: { table: 'read' },
  createProduct: { table: 'readWrite' },
  updateProduct: { table: 'readWrite' },
  adjustStock: { table: 'readWrite' },
  placeOrder: { table: 'readWrite', startsWorkflow: orderSaga, publishesEvents: true },
  listOrders: { table: 'read' },
  getOrder: { table: 'read' },
  // Moves the order to CANCELLED; the cancellation workflow then reverses the payment and releases the stock.
  cancelOrder: { table: 'readWrite', startsWorkflow: orderCancellation, publishesEvents: true },
  getOrderHistory: { table: 'read' },
  adminListOrders: { table: 'read' },
  // Captures the payment, then commits the stock holds.
  adminFulfillOrder: { table: 'readWrite', callsPaymentProvider: true, publishesEvents: true },
};

const sagaTaskNeeds: Record<SagaPlaceholder, FunctionNeeds> = {
  ReserveStockFunctionArn: { table: 'readWrite', holdsStock: true },
  ReleaseStockFunctionArn: { table: 'readWrite', holdsStock: true },
  // Authorize also records the authorization on the order, hence table writes.
  AuthorizePaymentFunctionArn: { table: 'readWrite', callsPaymentProvider: true },
  VoidPaymentFunctionArn: { table: 'readWrite', callsPaymentProvider: true },
  ConfirmOrderFunctionArn: { table: 'readWrite', publishesEvents: true },
  FailOrderFunctionArn: { table: 'readWrite', publishesEvents: true },
};

/** `placeOrder` -> `PlaceOrder`; `ReserveStockFunctionArn` -> `ReserveStock`; `saga` -> `Saga`. */
function constructId(name: string): string {
  return name.replace(/FunctionArn$/, '').replace(/^./, (first) => first.toUpperCase());
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
  const states = (JSON.parse(text) as { States: Record<string, AslTaskState> }).States;
  const taskTimeouts = new Map<string, number>();
  for (const state of Object.values(states)) {
    const placeholder = state.Resource && placeholdersIn(state.Resource)[0];
    if (state.Type === 'Task' && placeholder && state.TimeoutSeconds !== undefined) {
      taskTimeouts.set(placeholder, Math.min(state.TimeoutSeconds, taskTimeouts.get(placeholder) ?? Infinity));
    }
  }
  return { definition, file, taskTimeouts };
}

/**
 * The stateless half: one function per route and per saga task, the state machines (order saga and cancellation),
 * the event bus and the REST API with its usage plans. Everything here can be destroyed and redeployed without
 * losing data.
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

    const bind = (fn: OrderFunction, needs: FunctionNeeds): OrderFunction => {
      if (needs.table) fn.useTable(props.table, needs.table, props.tableIndexNames);
      if (needs.holdsStock) fn.holdStockFor(config.holdMinutes);
      if (needs.publishesEvents) fn.publishEvents(this.eventBus);
      if (needs.callsPaymentProvider) fn.callPaymentProvider(config.payment, props.paymentApiKey);
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
      if (route.idempotent) fn.useIdempotencyTable(props.idempotencyTable);
      routeFunctions.set(route.id, bind(fn, needs));
    }
    this.routeFunctions = routeFunctions;

    this.api = this.createApi(props, routeFunctions);
    this.usagePlans = this.createUsagePlans(props, this.api);

    new CfnOutput(this, 'ApiUrl', { value: this.api.url });
    for (const { definition } of definitions) {
      new CfnOutput(this, outputId(definition.arnEnvName), {
        value: this.machineFor(definition).stateMachineArn,
      });
    }
    new CfnOutput(this, 'EventBusName', { value: this.eventBus.eventBusName });
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
      if (route.throttle) {
        methodOptions[`${route.path}/${route.method}`] = {
          ...logging,
          throttlingRateLimit: route.throttle.rateLimit,
          throttlingBurstLimit: route.throttle.burstLimit,
        };
      }
    }
    const stageName = 'v1';
    const api = new apigateway.RestApi(this, 'Api', {
      restApiName: `orders-${envName}`,
      description: `Orders API (${envName})`,
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
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
    Validations.of(api.deploymentStage).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'No WAF web ACL yet: requests are throttled per stage, per method and per API key (usage plans with daily ' +
        'quotas), and every non-public route needs a Cognito access token. A WAF with managed rule groups is ' +
        'planned before public launch.',
    });

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
        new apigateway.LambdaIntegration(fn.alias, { proxy: true, allowTestInvoke: false }),
        {
          ...authorization(route, authorizer),
          apiKeyRequired: route.apiKeyRequired,
          requestValidator: validator,
          requestParameters: pathParameters(route.path),
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

/** Seconds a client should wait after a 429: the rate limit refills every second, the daily quota at 00:00 UTC. */
export const retryAfterSeconds = { throttled: 1, quotaExceeded: 3600 } as const;

/** A problem+json-shaped body (the handlers' error shape) for a response API Gateway answers by itself. */
function problemTemplate(status: number, title: string, code: string, detail: string): string {
  return JSON.stringify({ type: 'about:blank', title, status, code, detail, requestId: '$context.requestId' });
}

/**
 * What API Gateway answers by itself (before any handler runs). Browsers may read every error (CORS), 429s say when
 * to come back (Retry-After), and the answers a client is expected to act on carry the handlers' problem shape.
 */
function addGatewayResponses(api: apigateway.RestApi): void {
  // No allowed-origin list in the environment config yet: errors may be read by any origin. They carry no data.
  const cors = { 'Access-Control-Allow-Origin': "'*'" };
  const tooManyRequests = (retryAfter: number) => ({
    ...cors,
    'Access-Control-Expose-Headers': "'Retry-After'",
    'Retry-After': `'${retryAfter}'`,
  });
  api.addGatewayResponse('Throttled', {
    type: apigateway.ResponseType.THROTTLED,
    statusCode: '429',
    responseHeaders: tooManyRequests(retryAfterSeconds.throttled),
    templates: {
      'application/json': problemTemplate(
        429,
        'Too Many Requests',
        'THROTTLED',
        'Rate limit exceeded; retry after the number of seconds in Retry-After.',
      ),
    },
  });
  api.addGatewayResponse('QuotaExceeded', {
    type: apigateway.ResponseType.QUOTA_EXCEEDED,
    statusCode: '429',
    responseHeaders: tooManyRequests(retryAfterSeconds.quotaExceeded),
    templates: {
      'application/json': problemTemplate(
        429,
        'Too Many Requests',
        'QUOTA_EXCEEDED',
        "The API key's daily quota is used up; it resets at 00:00 UTC.",
      ),
    },
  });
  // Every method here is authorized by Cognito or public, never by IAM, so API Gateway sends this only for a path
  // or method that does not exist: a 404, not the misleading 403 "Missing Authentication Token".
  api.addGatewayResponse('NotFound', {
    type: apigateway.ResponseType.MISSING_AUTHENTICATION_TOKEN,
    statusCode: '404',
    responseHeaders: cors,
    templates: {
      'application/json': problemTemplate(404, 'Not Found', 'NOT_FOUND', 'No such resource or method.'),
    },
  });
  // A body the request model rejects: the same status and code as the handler's own validation.
  api.addGatewayResponse('BadRequestBody', {
    type: apigateway.ResponseType.BAD_REQUEST_BODY,
    statusCode: '400',
    responseHeaders: cors,
    templates: {
      'application/json': problemTemplate(
        400,
        'Bad Request',
        'VALIDATION_FAILED',
        '$context.error.validationErrorString',
      ),
    },
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
  };
}
