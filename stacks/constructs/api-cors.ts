import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type { RouteDefinition } from '../../functions/api/routes';
import { exposedHeaders, methodsByPath, preflightStaticHeaders } from '../../functions/core/http/cors';

/**
 * One OPTIONS method per resource of the route table, answering the browser's preflight with that resource's
 * methods, from the same module the handlers and the local gateway use (functions/core/http/cors.ts).
 *
 * Not `addCorsPreflight`: with several origins it statically answers the first allowed origin to every other one
 * (a disallowed origin gets an Allow-Origin header, only the wrong one), and its `.matches()` takes origins as
 * regular expressions, where the dots of `shop.example.com` match any character. This mock integration sets
 * Allow-Origin only when the request's Origin equals an allowed one, and no authorizer or API key stands in front of
 * it: a browser sends neither with a preflight.
 */
export function addPreflights(
  api: apigateway.RestApi,
  routes: readonly RouteDefinition[],
  allowedOrigins: readonly string[],
): void {
  for (const [path, methods] of methodsByPath(routes)) {
    const headers = { ...preflightStaticHeaders(methods), vary: 'Origin' };
    const staticHeaders = Object.fromEntries(
      Object.entries(headers).map(([name, value]) => [`method.response.header.${canonical(name)}`, `'${value}'`]),
    );
    const allowOrigin = 'method.response.header.Access-Control-Allow-Origin';
    // cdk-nag's APIG4 and COG4 (no authorizer) know preflights: an OPTIONS method answering 204 with CORS headers.
    api.root.resourceForPath(path).addMethod(
      'OPTIONS',
      new apigateway.MockIntegration({
        requestTemplates: { 'application/json': '{"statusCode": 204}' },
        integrationResponses: [
          {
            statusCode: '204',
            responseParameters: staticHeaders,
            ...(allowedOrigins.length === 0
              ? {}
              : { responseTemplates: { 'application/json': allowOriginTemplate(allowedOrigins) } }),
          },
        ],
      }),
      {
        authorizationType: apigateway.AuthorizationType.NONE,
        apiKeyRequired: false,
        methodResponses: [
          {
            statusCode: '204',
            responseParameters: Object.fromEntries(
              [...Object.keys(staticHeaders), allowOrigin].map((name) => [name, true]),
            ),
          },
        ],
      },
    );
  }
}

/**
 * The preflight's response template: it adds Allow-Origin, set to the request's Origin, only when that equals one of
 * the allowed origins. API Gateway hands over header names as the client sent them (HTTP/2 clients send them in
 * lower case), hence both spellings.
 */
export function allowOriginTemplate(allowedOrigins: readonly string[]): string {
  const condition = allowedOrigins.map((origin) => `$origin == ${JSON.stringify(origin)}`).join(' || ');
  return [
    '#set($origin = $input.params().header.get("Origin"))',
    '#if("$!origin" == "")',
    '#set($origin = $input.params().header.get("origin"))',
    '#end',
    `#if(${condition})`,
    '#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)',
    '#end',
  ].join('\n');
}

/**
 * CORS headers for the answers API Gateway gives by itself (401, 403, 404, 429, 5xx: api-gateway-responses.ts).
 * A gateway response cannot compare the Origin with a list, so it echoes the request's Origin, whatever it is. That
 * lets a page of any origin read these bodies, and they hold nothing to protect: a status, a code, a fixed text and
 * the request id, never data of a caller. Without it, a storefront of an allowed origin could not see a 401 or a
 * 429's Retry-After at all (the browser reports a network error). No credentials are ever allowed (bearer tokens,
 * not cookies), so the echo grants no access to a signed-in user's session. The local gateway is stricter: it
 * checks the origin against the list on its own errors too.
 */
export function gatewayResponseCorsHeaders(): Record<string, string> {
  return {
    'Access-Control-Allow-Origin': 'method.request.header.Origin',
    'Access-Control-Expose-Headers': `'${exposedHeaders.join(', ')}'`,
    Vary: "'Origin'",
  };
}

/** `access-control-max-age` → `Access-Control-Max-Age`, as API Gateway's parameter names are usually written. */
function canonical(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase());
}
