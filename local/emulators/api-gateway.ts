import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { authorizationScopes, type RouteDefinition } from '../../functions/api/routes';
import { corsHeaders, methodsByPath, preflightResponse } from '../../functions/core/http/cors';
import { isDocsPath, serveDocs } from './api-docs-page';
import { close, listen, readBody, sendJson } from './http-server';
import {
  gatewayProblem,
  gatewayResponses,
  type GatewayResponseDefinition,
} from '../../functions/api/gateway-responses';
import { functionNameOf, lambdaContext, type LambdaHandler } from './lambda-context';
import { methodKey, type RateLimiter } from './rate-limiter';
import type { LocalTokenIssuer } from './token-issuer';
import { redactedForConsole } from '../../functions/core/observability/redaction';

export interface GatewayRoute extends RouteDefinition {
  readonly id: string;
  readonly invoke: LambdaHandler;
}

/** Routes only the local gateway serves (never deployed): the dev token endpoint and the event bus inspector. */
export interface LocalOnlyRoutes {
  readonly events: () => unknown[];
  /** Runs a job by name; undefined for an unknown job. */
  readonly runJob: (name: string) => Promise<unknown>;
  /** Sign-up, confirmation, the mailbox and /local/token (local-identity.ts): true when it answered. */
  readonly identity: (method: string, url: URL, body: string, response: ServerResponse) => Promise<boolean>;
  /** The customer emails the local SES accepted (ses-mailbox.ts), only those to `to` when given. */
  readonly mail: (to?: string) => unknown[];
}

export interface GatewayApiKeys {
  /** The usage plan of a key, or undefined for an unknown key. */
  planOf(key: string): string | undefined;
}

export interface LocalGateway {
  readonly url: string;
  stop(): Promise<void>;
}

interface MatchedRoute {
  readonly route: GatewayRoute;
  readonly pathParameters: Record<string, string>;
}

/**
 * A local stand-in for API Gateway (REST API, Lambda proxy integration): it matches the route table, verifies
 * Cognito-shaped bearer tokens with aws-jwt-verify the way a Cognito user pool authorizer does, builds the v1 proxy
 * event (claims under requestContext.authorizer.claims, all strings) and invokes the route's real handler module.
 */
export async function startGateway(options: {
  readonly port: number;
  readonly routes: readonly GatewayRoute[];
  readonly issuer: LocalTokenIssuer;
  readonly apiKeys: GatewayApiKeys;
  readonly localOnly: LocalOnlyRoutes;
  /** Usage-plan, method and stage throttles and quotas; none are enforced without it. */
  readonly limiter?: RateLimiter;
  /** The browser origins allowed to call (CORS), as CDK configures them from `api.cors` in cdk.json. */
  readonly cors: { readonly allowedOrigins: readonly string[] };
}): Promise<LocalGateway> {
  const compiled = options.routes.map((route) => ({ route, pattern: compilePath(route.path) }));
  // One preflight per resource, answering that resource's methods, as the OPTIONS methods CDK adds to each.
  const resources = [...methodsByPath(options.routes)].map(([path, methods]) => ({
    pattern: compilePath(path),
    methods,
  }));

  function match(method: string, path: string): MatchedRoute | undefined {
    for (const { route, pattern } of compiled) {
      if (route.method !== method) continue;
      const found = pattern.exec(path);
      if (found) {
        const pathParameters = Object.fromEntries(
          Object.entries(found.groups ?? {}).map(([name, value]) => [name, decodeURIComponent(value)]),
        );
        return { route, pathParameters };
      }
    }
    return undefined;
  }

  async function authorize(route: GatewayRoute, header: string | undefined) {
    if (route.access === 'public') return undefined;
    if (!header) return 'Unauthorized';
    const token = header.replace(/^Bearer\s+/i, '');
    try {
      const payload = await options.issuer.verifier.verify(token);
      // A method with OAuth scopes takes only access tokens carrying one of them, as API Gateway's authorizer does.
      const scopes = authorizationScopes(route);
      const granted = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
      if (scopes.length > 0 && (payload.token_use !== 'access' || !scopes.some((scope) => granted.includes(scope)))) {
        return 'Unauthorized';
      }
      // API Gateway REST APIs pass every claim as a string; arrays (groups) become comma-separated.
      return Object.fromEntries(
        Object.entries(payload).map(([name, value]) => [name, Array.isArray(value) ? value.join(',') : String(value)]),
      );
    } catch {
      return 'Unauthorized';
    }
  }

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const requestId = randomUUID();
    const url = new URL(request.url ?? '/', 'http://localhost');
    const method = request.method ?? 'GET';
    const origin = typeof request.headers.origin === 'string' ? request.headers.origin : undefined;
    // On every answer, this gateway's own errors included; a handler's answer carries the same ones (httpHandler).
    for (const [name, value] of Object.entries(corsHeaders(options.cors.allowedOrigins, origin))) {
      response.setHeader(name, value);
    }
    // Before the API key and the token: a browser sends neither with a preflight.
    if (method === 'OPTIONS') {
      const methods = url.pathname.startsWith('/local/')
        ? ['GET', 'POST']
        : resources.find(({ pattern }) => pattern.test(url.pathname))?.methods;
      if (methods) {
        const preflight = preflightResponse(options.cors.allowedOrigins, origin, methods);
        response.writeHead(preflight.status, { ...preflight.headers, 'x-amzn-requestid': requestId });
        return response.end();
      }
    }
    let body: string;
    try {
      body = await readBody(request, 10 * 1024 * 1024);
    } catch {
      // API Gateway's payload limit is 10 MB.
      return sendJson(response, 413, { message: 'Request Entity Too Large' }, { 'x-amzn-requestid': requestId });
    }

    if (url.pathname.startsWith('/local/')) {
      if (await options.localOnly.identity(method, url, body, response)) return;
      if (method === 'GET' && url.pathname === '/local/mail') {
        return sendJson(response, 200, { messages: options.localOnly.mail(url.searchParams.get('to') ?? undefined) });
      }
      return handleLocalOnly(method, url.pathname, body, response);
    }
    // Local-only API docs (swagger-ui over GET /openapi.json): never part of the deployed API.
    if (isDocsPath(url.pathname)) return serveDocs(method, url.pathname, response);

    let matched: MatchedRoute | undefined;
    try {
      matched = match(method, url.pathname);
    } catch {
      // A malformed percent-escape in a path parameter cannot be decoded: the client's fault.
      return sendProblem(
        response,
        { ...gatewayResponses.badRequestBody, detail: 'Malformed URL encoding.' },
        requestId,
      );
    }
    if (!matched) {
      // The deployed API maps API Gateway's "Missing Authentication Token" for unknown routes to this 404.
      return sendProblem(response, gatewayResponses.notFound, requestId);
    }
    const apiKey = request.headers['x-api-key'];
    const plan = typeof apiKey === 'string' ? options.apiKeys.planOf(apiKey) : undefined;
    if (matched.route.apiKeyRequired && !plan) {
      // API Gateway's answer for a missing or unknown key on a method that requires one.
      return sendJson(response, 403, { message: 'Forbidden' }, { 'x-amzn-requestid': requestId });
    }
    const claims = await authorize(matched.route, request.headers.authorization);
    if (claims === 'Unauthorized') {
      return sendJson(response, 401, { message: 'Unauthorized' }, { 'x-amzn-requestid': requestId });
    }
    // After the authorizer, so that only a verified `sub` can draw on (and drain) a user's bucket; before the handler,
    // so that a rejected request changes nothing. Keys count only where the method requires one, as in API Gateway.
    const admission = options.limiter?.admit({
      method: methodKey(matched.route.method, matched.route.path),
      ...(matched.route.apiKeyRequired && plan ? { apiKey: { value: String(apiKey), plan } } : {}),
      ...(claims?.sub ? { user: claims.sub } : {}),
      ...(claims && request.headers.authorization ? { caller: request.headers.authorization } : {}),
    });
    if (admission && !admission.allowed) {
      // The deployed API sends a fixed Retry-After per kind; here the limiter knows the exact wait.
      const limit = admission.reason === 'quota' ? gatewayResponses.quotaExceeded : gatewayResponses.throttled;
      return sendProblem(response, limit, requestId, { 'retry-after': String(admission.retryAfterSeconds) });
    }
    const event = proxyEvent(request, url, body, matched, requestId, claims, plan ? String(apiKey) : null);
    let result: APIGatewayProxyResult;
    try {
      result = (await matched.route.invoke(
        event,
        lambdaContext(functionNameOf(matched.route.handler)),
      )) as APIGatewayProxyResult;
    } catch (error) {
      console.error(`handler ${matched.route.handler} threw`, redactedForConsole(error));
      // API Gateway's answer when the integration fails.
      return sendJson(response, 502, { message: 'Internal server error' }, { 'x-amzn-requestid': requestId });
    }
    const headers: Record<string, string | string[]> = { 'x-amzn-requestid': requestId };
    for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
    for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) headers[name] = values.map(String);
    response.writeHead(result.statusCode, headers);
    response.end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
  }

  function handleLocalOnly(method: string, path: string, body: string, response: ServerResponse) {
    if (method === 'POST' && path === '/local/oauth2/token') return issueClientToken(body, response);
    if (method === 'GET' && path === '/local/events')
      return sendJson(response, 200, { events: options.localOnly.events() });
    const job = /^\/local\/jobs\/([a-z-]+)$/.exec(path);
    if (method === 'POST' && job) return runJob(job[1]!, response);
    return sendJson(response, 404, { message: 'no such local endpoint' });
  }

  /** Runs a scheduled job's handler now, as its EventBridge schedule would in AWS. */
  async function runJob(name: string, response: ServerResponse) {
    const result = await options.localOnly.runJob(name);
    if (result === undefined) return sendJson(response, 404, { message: `no job ${name}` });
    return sendJson(response, 200, result);
  }

  /** Cognito's /oauth2/token for the client-credentials grant: form-encoded, client id and secret in the body. */
  function issueClientToken(body: string, response: ServerResponse) {
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'client_credentials') {
      return sendJson(response, 400, { error: 'unsupported_grant_type' });
    }
    const scope = form.get('scope');
    const result = options.issuer.issueClientCredentials(
      form.get('client_id') ?? '',
      form.get('client_secret') ?? '',
      scope ? scope.split(' ').filter(Boolean) : undefined,
    );
    return sendJson(response, 'error' in result ? 400 : 200, result);
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      console.error('local gateway failure', redactedForConsole(error));
      if (!response.headersSent) sendJson(response, 500, { message: 'Internal server error' });
    });
  });
  const port = await listen(server, options.port);
  return { url: `http://127.0.0.1:${port}`, stop: () => close(server) };
}

function sendProblem(
  response: ServerResponse,
  definition: GatewayResponseDefinition,
  requestId: string,
  headers: Record<string, string> = {},
) {
  return sendJson(response, definition.status, gatewayProblem(definition, requestId), {
    'x-amzn-requestid': requestId,
    ...headers,
  });
}

function compilePath(path: string): RegExp {
  const source = path
    .split('/')
    .map((segment) => {
      const parameter = /^\{([A-Za-z0-9_]+)\}$/.exec(segment);
      return parameter ? `(?<${parameter[1]}>[^/]+)` : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return new RegExp(`^${source}$`);
}

function proxyEvent(
  request: IncomingMessage,
  url: URL,
  body: string,
  matched: MatchedRoute,
  requestId: string,
  claims: Record<string, string> | undefined,
  apiKey: string | null,
): APIGatewayProxyEvent {
  // Null-prototype maps: a header or query parameter named `__proto__` or `constructor` is just a name here.
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  const multiValueHeaders: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i]!;
    const value = request.rawHeaders[i + 1]!;
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  const query: Record<string, string> = Object.create(null) as Record<string, string>;
  const multiQuery: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  for (const [name, value] of url.searchParams) {
    query[name] = value;
    (multiQuery[name] ??= []).push(value);
  }
  const hasQuery = Object.keys(query).length > 0;
  const hasPath = Object.keys(matched.pathParameters).length > 0;
  const now = Date.now();
  return {
    resource: matched.route.path,
    path: url.pathname,
    httpMethod: matched.route.method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: hasPath ? matched.pathParameters : null,
    stageVariables: null,
    body: body === '' ? null : body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: claims ? { claims } : null,
      protocol: `HTTP/${request.httpVersion}`,
      httpMethod: matched.route.method,
      identity: {
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: request.headers['user-agent'] ?? null,
        accessKey: null,
        accountId: null,
        apiKey,
        apiKeyId: apiKey ? `local-${apiKey}` : null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        user: null,
        userArn: null,
      },
      path: `/local${url.pathname}`,
      stage: 'local',
      requestId,
      requestTimeEpoch: now,
      resourceId: matched.route.id,
      resourcePath: matched.route.path,
    },
  };
}
