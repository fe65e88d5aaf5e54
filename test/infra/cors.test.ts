import { routeList } from '../../functions/api/routes';
import { envNames } from '../../functions/core/config/settings';
import { exposedHeaders, methodsByPath, preflightMaxAgeSeconds } from '../../functions/core/http/cors';
import { allowOriginTemplate } from '../../stacks/constructs/api-cors';
import { describeEachEnvironment, resourcesOfType } from './synth-app';
import { environmentOf, methodsByRoute, type Properties } from './template-helpers';

interface IntegrationResponse {
  StatusCode: string;
  ResponseParameters: Record<string, string>;
  ResponseTemplates?: Record<string, string>;
}

describeEachEnvironment('CORS', (app) => {
  const resources = [...methodsByPath(routeList)];

  it('answers a preflight on every resource of the route table, and nowhere else', () => {
    const preflights = [...methodsByRoute(app()).keys()].filter((key) => key.startsWith('OPTIONS '));
    expect(preflights.sort()).toEqual(resources.map(([path]) => `OPTIONS ${path}`).sort());
  });

  it.each(resources)(
    "answers OPTIONS %s with that resource's methods, without an authorizer or an API key",
    (path, methods) => {
      const method = methodsByRoute(app()).get(`OPTIONS ${path}`)!;
      expect(method).toMatchObject({ AuthorizationType: 'NONE', ApiKeyRequired: false });
      expect(method.AuthorizerId).toBeUndefined();
      expect(method.AuthorizationScopes).toBeUndefined();
      const integration = method.Integration as { Type: string; IntegrationResponses: IntegrationResponse[] };
      expect(integration.Type).toBe('MOCK');
      const [response] = integration.IntegrationResponses;
      expect(response?.StatusCode).toBe('204');
      expect(response?.ResponseParameters).toEqual({
        'method.response.header.Access-Control-Allow-Methods': `'${[...methods, 'OPTIONS'].join(', ')}'`,
        'method.response.header.Access-Control-Allow-Headers': expect.stringMatching(
          /^'Authorization, Content-Type, Idempotency-Key, .*X-Api-Key.*'$/,
        ),
        'method.response.header.Access-Control-Max-Age': `'${preflightMaxAgeSeconds}'`,
        'method.response.header.Vary': "'Origin'",
      });
      // Never a static origin (nor *): the template sets it, for an allowed origin only.
      expect(JSON.stringify(response?.ResponseParameters)).not.toMatch(/Allow-Origin|Credentials/);
      const declared = (method.MethodResponses as { ResponseParameters: Record<string, boolean> }[])[0];
      expect(Object.keys(declared?.ResponseParameters ?? {})).toContain(
        'method.response.header.Access-Control-Allow-Origin',
      );
    },
  );

  it("echoes exactly the environment's allowed origins in the preflight's template", () => {
    const origins = app().config.api.cors.allowedOrigins;
    expect(origins.length).toBeGreaterThan(0);
    const template = allowOriginTemplate(origins);
    // Compared for equality, never as regular expressions (where the dots of a host match any character).
    expect(template).toContain(origins.map((origin) => `$origin == "${origin}"`).join(' || '));
    expect(template).not.toMatch(/\.matches\(/);
    expect(template).toContain('#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)');
    for (const method of [...methodsByRoute(app())].filter(([key]) => key.startsWith('OPTIONS '))) {
      const [response] = (method[1].Integration as { IntegrationResponses: IntegrationResponse[] })
        .IntegrationResponses;
      expect(response?.ResponseTemplates).toEqual({ 'application/json': template });
    }
  });

  it('gives every API function the allowed origins, as the handlers read them, and no other function', () => {
    const origins = app().config.api.cors.allowedOrigins.join(',');
    for (const [routeId, fn] of app().service.routeFunctions) {
      expect([routeId, environmentOf(app(), fn)[envNames.cors.allowedOrigins]]).toEqual([routeId, origins]);
    }
    for (const [name, fn] of [...app().service.sagaFunctions, ...app().service.jobFunctions]) {
      expect([name, environmentOf(app(), fn)[envNames.cors.allowedOrigins]]).toEqual([name, undefined]);
    }
  });

  it("puts CORS headers on every answer API Gateway gives by itself, echoing the request's Origin", () => {
    const responses = Object.values(resourcesOfType(app().serviceTemplate, 'AWS::ApiGateway::GatewayResponse'));
    expect(responses.map((response) => response.Properties?.ResponseType).sort()).toEqual([
      'BAD_REQUEST_BODY',
      'DEFAULT_4XX',
      'DEFAULT_5XX',
      'MISSING_AUTHENTICATION_TOKEN',
      'QUOTA_EXCEEDED',
      'THROTTLED',
    ]);
    for (const response of responses) {
      const parameters = response.Properties?.ResponseParameters as Properties;
      expect(parameters).toMatchObject({
        'gatewayresponse.header.Access-Control-Allow-Origin': 'method.request.header.Origin',
        'gatewayresponse.header.Access-Control-Expose-Headers': `'${exposedHeaders.join(', ')}'`,
        'gatewayresponse.header.Vary': "'Origin'",
      });
      expect(JSON.stringify(parameters)).not.toMatch(/Credentials|'\*'/);
    }
  });

  it('keys the stage cache on Origin, so that no origin is served the answer cached for another', () => {
    const cached = [...methodsByRoute(app())].filter(
      ([, method]) => (method.Integration as { CacheKeyParameters?: string[] }).CacheKeyParameters !== undefined,
    );
    expect(cached.length > 0).toBe(app().config.api.cache !== undefined);
    for (const [route, method] of cached) {
      expect([route, (method.Integration as { CacheKeyParameters: string[] }).CacheKeyParameters]).toEqual([
        route,
        expect.arrayContaining(['method.request.header.Origin']),
      ]);
      expect(method.RequestParameters).toMatchObject({ 'method.request.header.Origin': false });
    }
  });
});
