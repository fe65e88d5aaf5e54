import { Match } from 'aws-cdk-lib/assertions';
import { contract } from '../../functions/api/contract';
import { requestModelSchema } from '../../functions/api/openapi';
import {
  authorizationScopes,
  partnerScopes,
  routeList,
  routes,
  userScope,
  type RouteId,
} from '../../functions/api/routes';
import { gatewayResponses } from '../../functions/api/gateway-responses';
import { describeEachEnvironment, resourcesOfType } from './synth-app';
import { methodsByRoute } from './template-helpers';

// Keywords of later drafts that draft-04 lacks (or spells differently): API Gateway rejects or ignores them.
const laterDraftKeywords = new Set([
  '$defs',
  '$id',
  'const',
  'contains',
  'examples',
  'if',
  'prefixItems',
  'propertyNames',
]);

/** Where a schema uses something draft-04 does not have, by JSON pointer. */
function draft4Violations(schema: unknown, pointer = ''): string[] {
  if (Array.isArray(schema)) return schema.flatMap((entry, index) => draft4Violations(entry, `${pointer}/${index}`));
  if (!schema || typeof schema !== 'object') return [];
  return Object.entries(schema).flatMap(([keyword, value]) => {
    const here = `${pointer}/${keyword}`;
    const own =
      (laterDraftKeywords.has(keyword) && !pointer.endsWith('/properties')) ||
      // Draft-04's exclusive bounds are booleans next to minimum/maximum, not numbers.
      ((keyword === 'exclusiveMinimum' || keyword === 'exclusiveMaximum') && typeof value !== 'boolean')
        ? [here]
        : [];
    return [...own, ...draft4Violations(value, here)];
  });
}

describeEachEnvironment('REST API', (app, envName) => {
  it('has exactly the routes of the route table, and no local-only route', () => {
    // Beside each resource's CORS preflight (OPTIONS, test/infra/cors.test.ts).
    const methods = new Map([...methodsByRoute(app())].filter(([key]) => !key.startsWith('OPTIONS ')));
    expect([...methods.keys()].sort()).toEqual(routeList.map((route) => `${route.method} ${route.path}`).sort());
    for (const key of methods.keys()) expect(key).not.toMatch(/\/local(\/|$)|\/docs(\/|$)|token/i);
    const paths = Object.values(resourcesOfType(app().serviceTemplate, 'AWS::ApiGateway::Resource')).map(
      (resource) => resource.Properties?.PathPart,
    );
    expect(paths).not.toContain('local');
    expect(paths).not.toContain('docs');
  });

  it.each(routeList.map((route) => [route.id, route] as const))('protects %s as the route table says', (_id, route) => {
    const method = methodsByRoute(app()).get(`${route.method} ${route.path}`);
    expect(method).toBeDefined();
    expect(method?.HttpMethod).toBe(route.method);
    expect(method?.ApiKeyRequired ?? false).toBe(route.apiKeyRequired);
    if (route.access === 'public') {
      expect(method?.AuthorizationType).toBe('NONE');
      expect(method?.AuthorizerId).toBeUndefined();
      expect(method?.AuthorizationScopes).toBeUndefined();
    } else {
      expect(method?.AuthorizationType).toBe('COGNITO_USER_POOLS');
      expect(method?.AuthorizerId).toEqual({ Ref: expect.any(String) });
      // Scopes make the authorizer take access tokens only: any user's, or a partner's with the route's scope.
      expect(method?.AuthorizationScopes).toEqual(authorizationScopes(route));
      expect(method?.AuthorizationScopes).toEqual([userScope, ...route.access.partnerScopes]);
    }
  });

  it('asks partner scopes only from the orders resource server', () => {
    const scopes = new Set(
      [...methodsByRoute(app()).values()].flatMap((method) => (method.AuthorizationScopes ?? []) as string[]),
    );
    expect([...scopes].sort()).toEqual([userScope, ...partnerScopes].sort());
  });

  it('integrates every route with the live alias of its own function', () => {
    const aliases = resourcesOfType(app().serviceTemplate, 'AWS::Lambda::Alias');
    const targets = new Set<string>();
    for (const route of routeList) {
      const method = methodsByRoute(app()).get(`${route.method} ${route.path}`);
      const integration = method?.Integration as { Type: string; Uri: unknown };
      expect(integration.Type).toBe('AWS_PROXY');
      const aliasId = JSON.stringify(integration.Uri)
        .match(/"Ref":"([^"]+)"/g)
        ?.map((ref) => ref.slice(7, -1));
      const target = aliasId?.find((id) => id in aliases);
      expect(target).toBeDefined();
      expect(aliases[target!]?.Properties?.Name).toBe('live');
      targets.add(target!);
    }
    expect(targets.size).toBe(routeList.length);
  });

  it('uses one Cognito authorizer backed by the data stack user pool', () => {
    app().serviceTemplate.resourceCountIs('AWS::ApiGateway::Authorizer', 1);
    app().serviceTemplate.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'COGNITO_USER_POOLS',
      IdentitySource: 'method.request.header.Authorization',
      ProviderARNs: [{ 'Fn::ImportValue': Match.stringLikeRegexp(`^Orders-${envName}-Data:.*Users`) }],
    });
  });

  it('throttles the stage and the methods from config, logs as JSON and traces', () => {
    const { config } = app();
    const shared = {
      MetricsEnabled: true,
      DataTraceEnabled: false,
      LoggingLevel: Match.stringLikeRegexp('^(INFO|ERROR)$'),
    };
    const perMethod = Object.entries(config.api.methodThrottles).map(([routeId, throttle]) => {
      const route = routes[routeId as RouteId];
      return Match.objectLike({
        ...shared,
        HttpMethod: route.method,
        // CloudFormation wants the slashes of a method's resource path escaped as ~1.
        ResourcePath: `/${route.path.replace(/\//g, '~1')}`,
        ThrottlingRateLimit: throttle.rateLimit,
        ThrottlingBurstLimit: throttle.burstLimit,
      });
    });
    expect(perMethod.length).toBeGreaterThan(0);
    app().serviceTemplate.hasResourceProperties('AWS::ApiGateway::Stage', {
      TracingEnabled: true,
      MethodSettings: Match.arrayWith([
        Match.objectLike({
          ...shared,
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: config.api.throttle.rateLimit,
          ThrottlingBurstLimit: config.api.throttle.burstLimit,
        }),
        ...perMethod,
      ]),
      AccessLogSetting: { DestinationArn: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] }, Format: Match.anyValue() },
    });
    const stage = Object.values(resourcesOfType(app().serviceTemplate, 'AWS::ApiGateway::Stage'))[0];
    const format = (stage?.Properties?.AccessLogSetting as { Format: string }).Format;
    expect(JSON.parse(format)).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
  });

  it('validates each JSON body against a draft-04 model generated from the route contract', () => {
    const models = resourcesOfType(app().serviceTemplate, 'AWS::ApiGateway::Model');
    const bodyRoutes = routeList.filter((route) => contract[route.id].body);
    expect(bodyRoutes.length).toBeGreaterThan(0);
    expect(Object.keys(models)).toHaveLength(bodyRoutes.length);
    for (const route of routeList) {
      const method = methodsByRoute(app()).get(`${route.method} ${route.path}`);
      if (!contract[route.id].body) {
        expect({ route: route.id, models: method?.RequestModels }).toEqual({ route: route.id, models: undefined });
        continue;
      }
      const ref = (method?.RequestModels as Record<string, { Ref: string }> | undefined)?.['application/json'];
      expect({ route: route.id, ref }).toEqual({ route: route.id, ref: { Ref: expect.any(String) } });
      const model = models[ref!.Ref]?.Properties;
      expect(model?.ContentType).toBe('application/json');
      const schema = model?.Schema as Record<string, unknown>;
      expect(schema.$schema).toBe('http://json-schema.org/draft-04/schema#');
      expect(schema).toEqual(requestModelSchema(route.id));
      expect({ route: route.id, violations: draft4Violations(schema) }).toEqual({ route: route.id, violations: [] });
      expect(method?.RequestValidatorId).toEqual({ Ref: expect.any(String) });
    }
  });

  it('closes request bodies to unknown fields and keeps required fields required', () => {
    const models = Object.values(resourcesOfType(app().serviceTemplate, 'AWS::ApiGateway::Model'));
    const placeOrder = models.find((model) => model.Properties?.Name === 'PlaceOrderRequest')?.Properties?.Schema as {
      required: string[];
      additionalProperties: boolean;
      properties: { shippingAddress: { required: string[]; additionalProperties: boolean } };
    };
    expect(placeOrder.additionalProperties).toBe(false);
    expect(placeOrder.required).toEqual(
      expect.arrayContaining(['items', 'paymentToken', 'shippingAddress', 'contactEmail']),
    );
    expect(placeOrder.properties.shippingAddress.additionalProperties).toBe(false);
    expect(placeOrder.properties.shippingAddress.required).toEqual(['name', 'line1', 'city', 'country']);
  });

  it("binds one usage plan per tier to the stage, with its throttle, daily quota and its client apps' keys", () => {
    const plans = resourcesOfType(app().serviceTemplate, 'AWS::ApiGateway::UsagePlan');
    const configured = Object.entries(app().config.api.usagePlans);
    expect(Object.keys(plans)).toHaveLength(configured.length);
    const stageId = Object.keys(resourcesOfType(app().serviceTemplate, 'AWS::ApiGateway::Stage'))[0];
    const apiId = Object.keys(resourcesOfType(app().serviceTemplate, 'AWS::ApiGateway::RestApi'))[0];
    const planKeys = Object.values(resourcesOfType(app().serviceTemplate, 'AWS::ApiGateway::UsagePlanKey'));
    const boundKeys = new Set<string>();
    for (const [planName, plan] of configured) {
      const entry = Object.entries(plans).find(
        ([, candidate]) => candidate.Properties?.UsagePlanName === `orders-${envName}-${planName}`,
      );
      expect({ planName, found: Boolean(entry) }).toEqual({ planName, found: true });
      const [planId, resource] = entry!;
      expect(resource.Properties).toMatchObject({
        Throttle: { RateLimit: plan.rateLimit, BurstLimit: plan.burstLimit },
        ...(plan.quotaPerDay === undefined ? {} : { Quota: { Limit: plan.quotaPerDay, Period: 'DAY' } }),
        ApiStages: [{ ApiId: { Ref: apiId }, Stage: { Ref: stageId } }],
      });
      // A tier whose keys ship to browsers has no quota for a copied key to spend.
      if (plan.quotaPerDay === undefined) expect(resource.Properties?.Quota).toBeUndefined();
      const keys = planKeys.filter((key) => (key.Properties?.UsagePlanId as { Ref: string }).Ref === planId);
      const apps = Object.values(app().config.api.clientApps).filter((clientApp) => clientApp.plan === planName);
      // Partner tiers start without keys: `npm run partner -- create` adds each partner's.
      expect({ planName, keys: keys.length }).toEqual({ planName, keys: apps.length });
      for (const key of keys) {
        expect(key.Properties?.KeyType).toBe('API_KEY');
        // The key lives in the data stack (it is handed out and must survive a redeploy of this stack).
        const keyId = JSON.stringify(key.Properties?.KeyId);
        expect(keyId).toMatch(new RegExp(`Orders-${envName}-Data:.*ApiKey`));
        boundKeys.add(keyId);
      }
    }
    expect(boundKeys.size).toBe(Object.keys(app().config.api.clientApps).length);
  });

  it('answers 429s with Retry-After, unknown paths with a 404 and every error with CORS headers', () => {
    const responses = Object.values(resourcesOfType(app().serviceTemplate, 'AWS::ApiGateway::GatewayResponse')).map(
      (response) => response.Properties ?? {},
    );
    const byType = (type: string) => responses.find((response) => response.ResponseType === type);
    for (const [type, retryAfter] of [
      ['THROTTLED', gatewayResponses.throttled.retryAfterSeconds],
      ['QUOTA_EXCEEDED', gatewayResponses.quotaExceeded.retryAfterSeconds],
    ] as const) {
      const response = byType(type);
      expect(response?.StatusCode).toBe('429');
      expect(response?.ResponseParameters).toMatchObject({
        'gatewayresponse.header.Retry-After': `'${retryAfter}'`,
        'gatewayresponse.header.Access-Control-Expose-Headers': expect.stringContaining('Retry-After'),
      });
      const body = JSON.parse((response?.ResponseTemplates as Record<string, string>)['application/json']!) as object;
      expect(body).toMatchObject({ status: 429, code: type, requestId: '$context.requestId' });
    }
    const notFound = byType('MISSING_AUTHENTICATION_TOKEN');
    expect(notFound?.StatusCode).toBe('404');
    expect(
      JSON.parse((notFound?.ResponseTemplates as Record<string, string>)['application/json']!) as object,
    ).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(byType('BAD_REQUEST_BODY')?.StatusCode).toBe('400');
    for (const type of ['DEFAULT_4XX', 'DEFAULT_5XX', 'BAD_REQUEST_BODY', 'MISSING_AUTHENTICATION_TOKEN']) {
      expect(byType(type)?.ResponseParameters).toMatchObject({
        'gatewayresponse.header.Access-Control-Allow-Origin': 'method.request.header.Origin',
      });
    }
    // Each response templates valid JSON once API Gateway fills in the $context variables.
    for (const response of responses) {
      for (const template of Object.values((response.ResponseTemplates ?? {}) as Record<string, string>)) {
        expect(() => JSON.parse(template)).not.toThrow();
      }
    }
  });

  it('validates declared path parameters', () => {
    app().serviceTemplate.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestBody: true,
      ValidateRequestParameters: true,
    });
    const getOrder = methodsByRoute(app()).get('GET /orders/{orderId}');
    expect(getOrder?.RequestParameters).toEqual({ 'method.request.path.orderId': true });
    expect(getOrder?.RequestValidatorId).toEqual({ Ref: expect.any(String) });
  });

  it('samples API traces at the configured rate', () => {
    app().serviceTemplate.hasResourceProperties('AWS::XRay::SamplingRule', {
      SamplingRule: Match.objectLike({
        FixedRate: app().config.tracingSampleRate,
        ServiceName: `orders-${envName}/v1`,
      }),
    });
  });

  it('outputs the API URL', () => {
    app().serviceTemplate.hasOutput('ApiUrl', { Value: Match.anyValue() });
  });
});
