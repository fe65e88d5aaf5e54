import { Match } from 'aws-cdk-lib/assertions';
import { routeList } from '../../functions/api/routes';
import { allEnvironments, resourcesOfType, synthApp, type SynthesizedApp } from './synth-app';

type Ref = { Ref: string } | { 'Fn::GetAtt': [string, string] };

/** `GET /orders/{orderId}` -> the method's properties, rebuilt from the Resource tree of the synthesized API. */
function methodsByRoute(app: SynthesizedApp): Map<string, Record<string, unknown>> {
  const resources = resourcesOfType(app.serviceTemplate, 'AWS::ApiGateway::Resource');
  const pathOf = (ref: Ref): string => {
    if ('Fn::GetAtt' in ref) return ''; // the RestApi's root resource
    const resource = resources[ref.Ref];
    if (!resource?.Properties) throw new Error(`unknown API resource ${ref.Ref}`);
    return `${pathOf(resource.Properties.ParentId as Ref)}/${resource.Properties.PathPart as string}`;
  };
  const methods = new Map<string, Record<string, unknown>>();
  for (const method of Object.values(resourcesOfType(app.serviceTemplate, 'AWS::ApiGateway::Method'))) {
    const properties = method.Properties ?? {};
    const resourcePath = pathOf(properties.ResourceId as Ref) || '/';
    methods.set(`${properties.HttpMethod as string} ${resourcePath}`, properties);
  }
  return methods;
}

describe.each(allEnvironments)('REST API (%s)', (envName) => {
  let app: SynthesizedApp;
  beforeAll(() => {
    app = synthApp(envName);
  });

  it('has exactly the routes of the route table, and no local-only route', () => {
    const methods = methodsByRoute(app);
    expect([...methods.keys()].sort()).toEqual(routeList.map((route) => `${route.method} ${route.path}`).sort());
    for (const key of methods.keys()) expect(key).not.toMatch(/local|token/i);
  });

  it.each(routeList.map((route) => [route.id, route] as const))('protects %s as the route table says', (_id, route) => {
    const method = methodsByRoute(app).get(`${route.method} ${route.path}`);
    expect(method).toBeDefined();
    expect(method?.HttpMethod).toBe(route.method);
    if (route.access === 'public') {
      expect(method?.AuthorizationType).toBe('NONE');
      expect(method?.AuthorizerId).toBeUndefined();
    } else {
      expect(method?.AuthorizationType).toBe('COGNITO_USER_POOLS');
      expect(method?.AuthorizerId).toEqual({ Ref: expect.any(String) });
    }
  });

  it('integrates every route with the live alias of its own function', () => {
    const aliases = resourcesOfType(app.serviceTemplate, 'AWS::Lambda::Alias');
    const targets = new Set<string>();
    for (const route of routeList) {
      const method = methodsByRoute(app).get(`${route.method} ${route.path}`);
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
    app.serviceTemplate.resourceCountIs('AWS::ApiGateway::Authorizer', 1);
    app.serviceTemplate.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'COGNITO_USER_POOLS',
      IdentitySource: 'method.request.header.Authorization',
      ProviderARNs: [{ 'Fn::ImportValue': Match.stringLikeRegexp(`^Orders-${envName}-Data:.*Users`) }],
    });
  });

  it('throttles the stage from config and methods from the route table, logs as JSON and traces', () => {
    const { config } = app;
    const shared = {
      MetricsEnabled: true,
      DataTraceEnabled: false,
      LoggingLevel: Match.stringLikeRegexp('^(INFO|ERROR)$'),
    };
    const perMethod = routeList
      .filter((route) => route.throttle)
      .map((route) =>
        Match.objectLike({
          ...shared,
          HttpMethod: route.method,
          // CloudFormation wants the slashes of a method's resource path escaped as ~1.
          ResourcePath: `/${route.path.replace(/\//g, '~1')}`,
          ThrottlingRateLimit: route.throttle?.rateLimit,
          ThrottlingBurstLimit: route.throttle?.burstLimit,
        }),
      );
    expect(perMethod.length).toBeGreaterThan(0);
    app.serviceTemplate.hasResourceProperties('AWS::ApiGateway::Stage', {
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
    const stage = Object.values(resourcesOfType(app.serviceTemplate, 'AWS::ApiGateway::Stage'))[0];
    const format = (stage?.Properties?.AccessLogSetting as { Format: string }).Format;
    expect(JSON.parse(format)).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
  });

  it('validates declared path parameters', () => {
    app.serviceTemplate.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestBody: true,
      ValidateRequestParameters: true,
    });
    const getOrder = methodsByRoute(app).get('GET /orders/{orderId}');
    expect(getOrder?.RequestParameters).toEqual({ 'method.request.path.orderId': true });
    expect(getOrder?.RequestValidatorId).toEqual({ Ref: expect.any(String) });
  });

  it('samples API traces at the configured rate', () => {
    app.serviceTemplate.hasResourceProperties('AWS::XRay::SamplingRule', {
      SamplingRule: Match.objectLike({ FixedRate: app.config.tracingSampleRate, ServiceName: `orders-${envName}/v1` }),
    });
  });

  it('outputs the API URL', () => {
    app.serviceTemplate.hasOutput('ApiUrl', { Value: Match.anyValue() });
  });
});
