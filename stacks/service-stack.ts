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
import { routeList, type RouteDefinition, type RouteId } from '../functions/api/routes';
import { orderSaga, placeholdersIn, type SagaPlaceholder } from '../statemachines/order-saga';
import { OrderFunction, projectRoot, type TableAccess } from './constructs/order-function';
import { dataRemovalPolicy, logRetention } from './retention';

export interface ServiceStackProps extends StackProps {
  readonly envName: string;
  readonly config: EnvironmentConfig;
  readonly table: ITableV2;
  readonly tableIndexNames: readonly string[];
  readonly userPool: IUserPool;
  readonly paymentApiKey: ISecret;
}

/** What a handler touches besides its own logs. Each flag maps to one binding method of OrderFunction. */
interface FunctionNeeds {
  readonly table?: TableAccess;
  readonly holdsStock?: boolean;
  readonly publishesEvents?: boolean;
  readonly callsPaymentProvider?: boolean;
}

/** Only API functions may start the saga (a task starting its own state machine would be a loop). */
interface RouteNeeds extends FunctionNeeds {
  readonly startsSaga?: boolean;
}

// The whole access model in two tables. Keyed by route id and saga placeholder, so a new route or task does not
// compile until its needs are declared here.
const routeNeeds: Record<RouteId, RouteNeeds> = {
  health: {},
  listProducts: { table: 'read' },
  placeOrder: { table: 'readWrite', startsSaga: true, publishesEvents: true },
  getOrder: { table: 'read' },
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

/** `placeOrder` -> `PlaceOrder`; `ReserveStockFunctionArn` -> `ReserveStock`. */
function constructId(name: string): string {
  return name.replace(/FunctionArn$/, '').replace(/^./, (first) => first.toUpperCase());
}

interface AslTaskState {
  readonly Type: string;
  readonly Resource?: string;
  readonly TimeoutSeconds?: number;
}

/** Reads the ASL file once: its text (for placeholder checks) and each task placeholder's state timeout. */
function readSagaDefinition(file: string): { text: string; taskTimeouts: Map<string, number> } {
  const text = fs.readFileSync(file, 'utf8');
  const states = (JSON.parse(text) as { States: Record<string, AslTaskState> }).States;
  const taskTimeouts = new Map<string, number>();
  for (const state of Object.values(states)) {
    const placeholder = state.Resource && placeholdersIn(state.Resource)[0];
    if (state.Type === 'Task' && placeholder && state.TimeoutSeconds !== undefined) {
      taskTimeouts.set(placeholder, state.TimeoutSeconds);
    }
  }
  return { text, taskTimeouts };
}

/**
 * The stateless half: one function per route and per saga task, the order saga, the event bus and the REST API.
 * Everything here can be destroyed and redeployed without losing data.
 */
export class ServiceStack extends Stack {
  readonly api: apigateway.RestApi;
  readonly stateMachine: sfn.StateMachine;
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

    // Saga tasks and the state machine.
    const sagaFile = path.join(projectRoot, orderSaga.definitionFile);
    const saga = readSagaDefinition(sagaFile);
    const sagaFunctions = new Map<SagaPlaceholder, OrderFunction>();
    for (const [placeholder, handlerModule] of Object.entries(orderSaga.tasks) as [SagaPlaceholder, string][]) {
      const stateTimeout = saga.taskTimeouts.get(placeholder) ?? 10;
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

    const express = config.sagaWorkflowType === 'EXPRESS';
    // Express workflows keep no execution history, so their log is the only record of a run: log everything.
    // Standard workflows keep history in Step Functions; outside DEBUG environments errors are enough.
    const sagaLogLevel = express || config.logLevel === 'DEBUG' ? sfn.LogLevel.ALL : sfn.LogLevel.ERROR;
    const sagaLogs = new logs.LogGroup(this, 'SagaLogs', {
      // The /aws/vendedlogs/ prefix keeps CloudWatch's account-wide resource policy from growing per log group.
      logGroupName: `/aws/vendedlogs/states/orders-${envName}-saga`,
      retention: logRetention(config),
      removalPolicy: dataRemovalPolicy(config),
    });
    this.stateMachine = new sfn.StateMachine(this, 'OrderSaga', {
      stateMachineName: `orders-${envName}-saga`,
      stateMachineType: express ? sfn.StateMachineType.EXPRESS : sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromFile(sagaFile),
      definitionSubstitutions: Object.fromEntries(
        [...sagaFunctions].map(([placeholder, fn]) => [placeholder, fn.alias.functionArn]),
      ),
      tracingEnabled: true,
      logs: { destination: sagaLogs, level: sagaLogLevel, includeExecutionData: true },
    });
    // fromFile ships the ASL as is and infers no permissions: invoking each task's alias is granted explicitly.
    for (const fn of sagaFunctions.values()) fn.alias.grantInvoke(this.stateMachine);
    Validations.of(this.stateMachine).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'CloudWatch Logs delivery (logs:CreateLogDelivery and related) and X-Ray (xray:PutTraceSegments and related) ' +
        'support no resource-level permissions; Lambda invocations are granted per alias.',
    });
    if (sagaLogLevel !== sfn.LogLevel.ALL) {
      Validations.of(this.stateMachine).acknowledge({
        id: 'AwsSolutions-SF1',
        reason:
          'A Standard workflow keeps the full execution history in Step Functions for 90 days; logging ALL events ' +
          'outside DEBUG environments would duplicate it at CloudWatch prices. Errors are logged.',
      });
    }

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
      if (needs.startsSaga) fn.startSaga(this.stateMachine);
      routeFunctions.set(route.id, bind(fn, needs));
    }
    this.routeFunctions = routeFunctions;

    this.api = this.createApi(props, routeFunctions);

    new CfnOutput(this, 'ApiUrl', { value: this.api.url });
    new CfnOutput(this, 'StateMachineArn', { value: this.stateMachine.stateMachineArn });
    new CfnOutput(this, 'EventBusName', { value: this.eventBus.eventBusName });
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
        'No WAF web ACL yet: requests are throttled per stage and per method, and every non-public route needs a ' +
        'Cognito token. A WAF with managed rule groups is planned before public launch.',
    });

    const authorizer = new apigateway.CognitoUserPoolsAuthorizer(this, 'Authorizer', {
      authorizerName: `orders-${envName}-cognito`,
      cognitoUserPools: [props.userPool],
      identitySource: apigateway.IdentitySource.header('Authorization'),
    });
    // Checks the path parameters each method declares; body models from the zod schemas are still to come.
    const validator = api.addRequestValidator('Validator', {
      requestValidatorName: 'parameters-and-body',
      validateRequestParameters: true,
      validateRequestBody: true,
    });

    for (const route of routeList) {
      const fn = functions.get(route.id);
      if (!fn) throw new Error(`no function for route ${route.id}`);
      const resource = api.root.resourceForPath(route.path);
      const method = resource.addMethod(
        route.method,
        new apigateway.LambdaIntegration(fn.alias, { proxy: true, allowTestInvoke: false }),
        {
          ...authorization(route, authorizer),
          requestValidator: validator,
          requestParameters: pathParameters(route.path),
        },
      );
      if (route.access === 'public') {
        const reason = `${route.method} ${route.path} is public by design (route table: access "public").`;
        Validations.of(method).acknowledge({ id: 'AwsSolutions-APIG4', reason }, { id: 'AwsSolutions-COG4', reason });
      }
    }

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
}

function authorization(
  route: RouteDefinition,
  authorizer: apigateway.IAuthorizer,
): Pick<apigateway.MethodOptions, 'authorizationType' | 'authorizer'> {
  if (route.access === 'public') return { authorizationType: apigateway.AuthorizationType.NONE };
  // The token proves who the caller is; which groups may call the route is checked by the handler (route table).
  return { authorizationType: apigateway.AuthorizationType.COGNITO, authorizer };
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
