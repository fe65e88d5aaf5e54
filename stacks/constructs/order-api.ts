import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type { IUserPool } from 'aws-cdk-lib/aws-cognito';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as xray from 'aws-cdk-lib/aws-xray';
import type { Construct } from 'constructs';
import { authorizationScopes, routeList, type RouteDefinition, type RouteId } from '../../functions/api/routes';
import { assertPublishedOpenApiCurrent } from '../published-openapi';
import { requestModel } from '../request-models';
import { dataRemovalPolicy, logRetention } from '../retention';
import { routeCache, stageCacheOptions } from '../stage-cache';
import { addPreflights } from './api-cors';
import { accessLogFields, addGatewayResponses } from './api-gateway-responses';
import { executeApiEndpointDisabled, type RegionRole } from './api-custom-domain';
import { constructId, planId } from './construct-ids';
import { bindNeeds, routeNeeds, type SharedResources } from './function-needs';
import { OrderFunction, projectRoot } from './order-function';
import { apiStageName } from './service-metrics';
import type { OrderWorkflows } from './order-workflows';

export type ApiIdentity = { readonly userPool: IUserPool } | { readonly standbyAuthorizer: lambda.IFunction };

export interface OrderApiProps extends SharedResources {
  readonly envName: string;
  /** Where idempotent routes keep their stored responses (Powertools idempotency). */
  readonly idempotencyTable: ITableV2;
  /**
   * Who verifies tokens: the primary's Cognito user pool authorizer, or in a standby region the Lambda authorizer
   * that verifies them against the pool's mirrored signing keys (functions/authorizers/standby-authorizer.ts).
   */
  readonly identity: ApiIdentity;
  readonly role: RegionRole;
  /** The client apps' API keys (`config.api.clientApps`), by app name, each with its usage plan. */
  readonly apiKeys: ReadonlyMap<string, { readonly key: apigateway.IApiKey; readonly plan: string }>;
  readonly workflows: OrderWorkflows;
  /**
   * Where the route functions (with their releases and alarms) are created: a nested stack of their own, so the
   * service's template stays under CloudFormation's 500 resources as routes are added (docs/deploy.md, "Stacks").
   */
  readonly functionsScope: Construct;
}

/**
 * The REST API: one function per route of the route table, the methods with their authorizer, request models and
 * throttles, the gateway's own responses, the usage plans and the trace sampling rule. Not a construct of its own:
 * everything is created directly in `scope`, so the logical ids stay those of the stack's direct children.
 */
export class OrderApi {
  readonly api: apigateway.RestApi;
  readonly accessLogs: logs.LogGroup;
  readonly routeFunctions: ReadonlyMap<RouteId, OrderFunction>;
  readonly usagePlans: ReadonlyMap<string, apigateway.UsagePlan>;

  constructor(
    private readonly scope: Construct,
    private readonly props: OrderApiProps,
  ) {
    // GET /openapi.json serves the committed document: never deploy one that describes another API.
    assertPublishedOpenApiCurrent(projectRoot);
    this.routeFunctions = this.createRouteFunctions();
    this.accessLogs = new logs.LogGroup(scope, 'ApiAccessLogs', {
      retention: logRetention(props.config),
      removalPolicy: dataRemovalPolicy(props.config),
    });
    this.api = this.createApi();
    this.usagePlans = this.createUsagePlans();
  }

  private createRouteFunctions(): Map<RouteId, OrderFunction> {
    const { config, workflows } = this.props;
    const functions = new Map<RouteId, OrderFunction>();
    for (const route of routeList) {
      const fn = new OrderFunction(this.props.functionsScope, `Api${constructId(route.id)}`, {
        handlerModule: route.handler,
        config,
        serviceName: 'orders-api',
        description: `${route.method} ${route.path}: ${route.summary}`,
      });
      const needs = routeNeeds[route.id];
      const workflow = needs.startsWorkflow;
      if (workflow) fn.startWorkflow(workflows.machineFor(workflow), workflow.arnEnvName);
      const described = needs.describesWorkflow;
      if (described) fn.describeWorkflow(workflows.machineFor(described), described.arnEnvName);
      if (needs.probesTable) fn.useTable(this.props.table, 'read', []);
      if (needs.recoversOrders) fn.recoverOrdersAfter(config.jobs.recoveryAfterSeconds);
      if (route.idempotent) fn.useIdempotencyTable(this.props.idempotencyTable);
      fn.allowBrowserOrigins(config.api.cors.allowedOrigins);
      functions.set(route.id, bindNeeds(fn, needs, this.props));
    }
    return functions;
  }

  private createApi(): apigateway.RestApi {
    const { config, envName } = this.props;
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
      const throttle = config.api.methodThrottles[route.id];
      if (throttle || caching) {
        methodOptions[`${route.path}/${route.method}`] = {
          ...logging,
          ...(throttle ? { throttlingRateLimit: throttle.rateLimit, throttlingBurstLimit: throttle.burstLimit } : {}),
          ...caching,
        };
      }
    }
    const api = new apigateway.RestApi(this.scope, 'Api', {
      restApiName: `orders-${envName}`,
      description: `Orders API (${envName})`,
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      // Kept on by default even with a custom domain: mTLS on that domain would ask every caller, customers' apps
      // included, for a client certificate. Turning it off makes the custom domain the only way in.
      // With a custom domain it is the only way in, so its mTLS cannot be bypassed through execute-api.
      ...(executeApiEndpointDisabled(config, this.props.role) ? { disableExecuteApiEndpoint: true } : {}),
      // Execution and access logging need the account-level API Gateway role. It is kept on stack deletion because
      // every REST API in the account and region uses it.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: apiStageName,
        throttlingRateLimit: config.api.throttle.rateLimit,
        throttlingBurstLimit: config.api.throttle.burstLimit,
        methodOptions,
        ...logging,
        ...stageCacheOptions(config),
        tracingEnabled: true,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.custom(JSON.stringify(accessLogFields())),
      },
    });
    // The stack's ApiUrl output replaces the one RestApi adds under a generated name.
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
    this.addMethods(api);
    addPreflights(api, routeList, config.api.cors.allowedOrigins);
    addGatewayResponses(api);

    // API Gateway makes the sampling decision for the whole request (Lambda follows it), so this rule is what
    // applies the environment's tracing sample rate.
    new xray.CfnSamplingRule(this.scope, 'ApiTraceSampling', {
      samplingRule: {
        ruleName: `orders-${envName}-api`,
        priority: 100,
        fixedRate: config.tracingSampleRate,
        reservoirSize: 1,
        serviceName: `orders-${envName}/${apiStageName}`,
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

  /** One method per route, integrated with its function's live alias. */
  private addMethods(api: apigateway.RestApi): void {
    const { config, envName } = this.props;
    const authorizer = this.createAuthorizer(envName);
    // Checks the path parameters each method declares and JSON bodies against the models generated from the zod
    // schemas the handlers validate with. The gateway check is a cheap first filter (no Lambda invocation for a
    // malformed body); the handler's zod check stays authoritative (refinements, trimming, other content types).
    const validator = api.addRequestValidator('Validator', {
      requestValidatorName: 'parameters-and-body',
      validateRequestParameters: true,
      validateRequestBody: true,
    });

    for (const route of routeList) {
      const fn = this.routeFunctions.get(route.id);
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
        // A Lambda proxy integration as LambdaIntegration builds it, without the invoke permission it would add next
        // to the alias: the alias lives in the route functions' nested stack, and a permission there naming this
        // stage (a Ref) would close a cycle (stage → deployment → methods → nested stack → stage).
        new apigateway.AwsIntegration({
          proxy: true,
          service: 'lambda',
          path: `2015-03-31/functions/${fn.alias.functionArn}/invocations`,
          ...(cache ? { options: { cacheKeyParameters: [...cache.cacheKeyParameters] } } : {}),
        }),
        {
          ...authorization(route, authorizer),
          apiKeyRequired: route.apiKeyRequired,
          requestValidator: validator,
          requestParameters: cache ? { ...cache.requestParameters } : pathParameters(route.path),
          ...(model ? { requestModels: { 'application/json': model } } : {}),
        },
      );
      // The stage by its name as written, not its Ref (see above); only this route's method may invoke the alias.
      new lambda.CfnPermission(this.scope, `Api${constructId(route.id)}Invoke`, {
        action: 'lambda:InvokeFunction',
        functionName: fn.alias.functionArn,
        principal: 'apigateway.amazonaws.com',
        sourceArn: api.arnForExecuteApi(route.method, route.path.replace(/\{[^}]*\}/g, '*'), apiStageName),
      });
      if (route.access !== 'public' && !(authorizer instanceof apigateway.CognitoUserPoolsAuthorizer)) {
        Validations.of(method).acknowledge({
          id: 'AwsSolutions-COG4',
          reason:
            "The standby region verifies Cognito access tokens of the primary region's user pool with a Lambda " +
            'authorizer (its signing keys are mirrored into the global table), because a Cognito authorizer cannot ' +
            'name a pool of a region that may be down; it checks the same route scopes (docs/identity.md).',
        });
      }
      if (route.access === 'public') {
        const keyNote = route.apiKeyRequired
          ? '; it still requires an API key, so every caller is under a usage plan throttle and daily quota'
          : '; it serves no data from the tables';
        const reason = `${route.method} ${route.path} is public by design (route table: access "public")${keyNote}.`;
        Validations.of(method).acknowledge({ id: 'AwsSolutions-APIG4', reason }, { id: 'AwsSolutions-COG4', reason });
      }
    }
  }

  private createAuthorizer(envName: string): apigateway.IAuthorizer {
    const { identity } = this.props;
    if ('userPool' in identity) {
      return new apigateway.CognitoUserPoolsAuthorizer(this.scope, 'Authorizer', {
        authorizerName: `orders-${envName}-cognito`,
        cognitoUserPools: [identity.userPool],
        identitySource: apigateway.IdentitySource.header('Authorization'),
      });
    }
    // A REQUEST authorizer, so that it sees which method and resource the request is for and checks that route's
    // scopes. Results are not cached: a cached Allow would be reused for every other route called with the token.
    return new apigateway.RequestAuthorizer(this.scope, 'StandbyAuthorizer', {
      authorizerName: `orders-${envName}-standby`,
      handler: identity.standbyAuthorizer,
      identitySources: [apigateway.IdentitySource.header('Authorization')],
      resultsCacheTtl: Duration.seconds(0),
    });
  }

  /**
   * One usage plan per tier in `config.api.usagePlans`, bound to the stage, with the client apps' keys of that tier
   * (created in the data stack); partner keys join their tier's plan when a partner is created. Methods with
   * `apiKeyRequired` refuse requests without a key of some plan; the plan then throttles each key and caps its
   * requests per day (the quota resets at 00:00 UTC), per key.
   */
  private createUsagePlans(): Map<string, apigateway.UsagePlan> {
    const { config, envName, apiKeys } = this.props;
    const plans = new Map<string, apigateway.UsagePlan>();
    for (const [planName, plan] of Object.entries(config.api.usagePlans)) {
      const usagePlan = this.api.addUsagePlan(`UsagePlan${planId(planName)}`, {
        name: `orders-${envName}-${planName}`,
        description: plan.description,
        throttle: { rateLimit: plan.rateLimit, burstLimit: plan.burstLimit },
        ...(plan.quotaPerDay === undefined
          ? {}
          : { quota: { limit: plan.quotaPerDay, period: apigateway.Period.DAY } }),
        apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
      });
      for (const app of apiKeys.values()) if (app.plan === planName) usagePlan.addApiKey(app.key);
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
  // route is then checked by the handler (the route table's `mayCall`). The standby's Lambda authorizer checks the
  // same scopes itself (API Gateway applies method scopes to Cognito authorizers only).
  if (!(authorizer instanceof apigateway.CognitoUserPoolsAuthorizer)) {
    return { authorizationType: apigateway.AuthorizationType.CUSTOM, authorizer };
  }
  return {
    authorizationType: apigateway.AuthorizationType.COGNITO,
    authorizer,
    authorizationScopes: authorizationScopes(route),
  };
}

function pathParameters(resourcePath: string): Record<string, boolean> | undefined {
  const names = [...resourcePath.matchAll(/\{([^}+]+)\+?\}/g)].map((match) => match[1]);
  if (names.length === 0) return undefined;
  return Object.fromEntries(names.map((name) => [`method.request.path.${name}`, true]));
}
