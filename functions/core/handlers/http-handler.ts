import middy from '@middy/core';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type * as z from 'zod/mini';
import { ForbiddenError, UnauthenticatedError, ValidationError } from '../domain/errors';
import { correlationIdHeader, correlationIdOf } from '../observability/correlation-id';
import { logger, metrics, tagInvocation, tracer } from '../observability/powertools';
import { metricDimensions, metricNames } from '../observability/metric-names';
import { mayCall, type RouteDefinition } from '../../api/routes';
import { callerFrom, resolvePartner, type Caller, type PartnerLookup } from '../http/caller';
import { settings } from '../config/settings';
import { withCorsHeaders } from '../http/cors';
import { readIdempotencyKey, type IdempotentExecutor } from '../http/idempotency-key';
import { retryAfterSeconds, toProblem } from '../http/problem';
import { acceptsEmptyObject, parseOrThrow } from '../schemas/validation';

export const maxBodyBytes = 16 * 1024;
/**
 * No request schema nests deeper than a few levels. Deeper bodies are refused before anything walks them: the
 * idempotency layer hashes the body recursively, and a 16 KB body of brackets overflows its stack (a 500).
 */
export const maxBodyDepth = 32;
/** Provider events carry whole objects (a PaymentIntent with its charges): larger than our requests, still bounded. */
export const maxWebhookBodyBytes = 256 * 1024;

/** What a route's contract (functions/api/contract.ts) says it takes and answers, as far as the handler cares. */
export interface HandlerContract {
  readonly path?: z.ZodMiniType;
  readonly query?: z.ZodMiniType;
  readonly body?: z.ZodMiniType;
  /** What the body is called in validation messages (`invalid order`); `body` when the contract names none. */
  readonly bodyName?: string;
  readonly success: { readonly status: number; readonly schema: z.ZodMiniType };
}

/** A request part as its schema outputs it (coerced, trimmed, defaults applied); undefined when the route takes none. */
type Parsed<C, Part extends 'path' | 'query' | 'body'> = C extends {
  readonly [P in Part]: infer S extends z.ZodMiniType;
}
  ? z.output<S>
  : undefined;

/** A request whose path, query and body have passed the route's contract. */
export interface ApiRequest<C extends HandlerContract = HandlerContract> {
  readonly path: Parsed<C, 'path'>;
  readonly query: Parsed<C, 'query'>;
  readonly body: Parsed<C, 'body'>;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly requestId: string;
  /** The flow's id: the client's valid `x-correlation-id`, else the request id (../observability/correlation-id.ts). */
  readonly correlationId: string;
  /** The body exactly as received, on `rawBody` routes only (a webhook's signature is over these bytes). */
  readonly rawBody?: string;
}

export interface AuthenticatedRequest<C extends HandlerContract = HandlerContract> extends ApiRequest<C> {
  readonly caller: Caller;
}

/** What a route's handler answers: its contract's success response (the status comes from the contract too). */
export interface RouteResponse<C extends HandlerContract> {
  readonly body: z.output<C['success']['schema']>;
  readonly headers?: Record<string, string>;
}

/** A response as the idempotency layer stores and replays it. */
export interface ApiResponse {
  readonly statusCode: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

type RouteHandler<R extends RouteDefinition, C extends HandlerContract> = (
  request: R['access'] extends 'public' ? ApiRequest<C> : AuthenticatedRequest<C>,
) => Promise<RouteResponse<C>>;

const securityHeaders = {
  'x-content-type-options': 'nosniff',
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
};

/**
 * Wraps a route's business function into a Lambda handler: Powertools logging, metrics and tracing, JSON parsing,
 * the route's access rule, validation of the path, query and body against the route's contract, and the single
 * mapping of errors to problem+json responses. The handler only ever sees input its contract accepted.
 */
export function httpHandler<R extends RouteDefinition, C extends HandlerContract>(
  route: R,
  routeContract: C,
  handle: RouteHandler<R, C>,
  options: { emitsMetrics?: boolean; idempotency?: IdempotentExecutor; partners?: PartnerLookup } = {},
) {
  // The route table says which routes take an Idempotency-Key; their handlers must bring the executor (which only
  // they bundle). A mismatch fails at cold start, so every test that loads the handler catches it.
  const idempotent = options.idempotency;
  if (Boolean(route.idempotent) !== Boolean(idempotent)) {
    throw new Error(`${route.method} ${route.path}: idempotent in the route table, so pass exactly one executor`);
  }
  // Likewise the routes partners may call must bring the partner registry lookup, and only they bundle it.
  const partners = options.partners;
  if (takesPartners(route) !== Boolean(partners)) {
    throw new Error(`${route.method} ${route.path}: partners may call it, so pass the partner lookup (and only then)`);
  }
  // Every answer, errors, 304s and replays included, carries the CORS headers: a browser script can read none of
  // them otherwise. Decided on the way out so that stored idempotent responses never hold one origin's headers.
  const run = async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    const result = await answer(event, context);
    const origin = Object.entries(event.headers ?? {}).find(([name]) => name.toLowerCase() === 'origin')?.[1];
    return {
      ...result,
      headers: withCorsHeaders(
        (result.headers ?? {}) as Record<string, string>,
        settings.cors().allowedOrigins,
        origin,
      ),
    };
  };
  const answer = async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    const requestId = event.requestContext?.requestId ?? context.awsRequestId;
    const headers = lowerCaseKeys(event.headers ?? {});
    const correlationId = correlationIdOf(headers, requestId);
    tagInvocation({ correlationId });
    // Echoed so the client can quote it; not on answers a shared cache may keep (the public catalog reads, cached by
    // API Gateway in prod), which would hand one caller's id to the next.
    const echo = (cacheControl: string | undefined): Record<string, string> =>
      /\bpublic\b/.test(cacheControl ?? '') ? {} : { [correlationIdHeader]: correlationId };
    try {
      const rawBody = route.rawBody ? readRawBody(event.body, event.isBase64Encoded) : undefined;
      const body = route.rawBody ? undefined : parseBody(event.body, event.isBase64Encoded, headers['content-type']);
      const caller = route.access === 'public' ? undefined : await authorize(route, event, partners);
      // Validated inside the idempotent execution, as the handlers did before: a replay of a stored answer is decided
      // on the raw body, and a refused request is not stored, so the key can be retried with a corrected body.
      const invoke = async (): Promise<ApiResponse> => {
        const request = {
          ...parseInput(routeContract, event, body),
          headers,
          requestId,
          correlationId,
          ...(rawBody === undefined ? {} : { rawBody }),
          ...(caller ? { caller } : {}),
        };
        const response = await handle(request as never);
        return { statusCode: routeContract.success.status, ...response };
      };
      const key = route.idempotent ? readIdempotencyKey(headers) : undefined;
      const response =
        key === undefined
          ? await invoke()
          : await idempotent!(
              {
                // Per tenant: a partner's keys are its own whichever of its clients sends them, and never another's.
                scope: `${caller?.customerId ?? 'anonymous'} ${event.httpMethod} ${event.path}`,
                key,
                body: body ?? null,
              },
              context,
              invoke,
            );
      if (
        response.headers?.etag &&
        event.httpMethod === 'GET' &&
        matchesEtag(headers['if-none-match'], response.headers.etag)
      ) {
        // The client's copy is current: no body, same validators and caching rules.
        return {
          statusCode: 304,
          headers: {
            ...securityHeaders,
            ...echo(response.headers['cache-control']),
            ...pick(response.headers, ['etag', 'cache-control', 'vary']),
          },
          body: '',
        };
      }
      return {
        statusCode: response.statusCode,
        headers: {
          ...securityHeaders,
          ...echo(response.headers?.['cache-control']),
          ...(response.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...response.headers,
        },
        body: response.body === undefined ? '' : JSON.stringify(response.body),
      };
    } catch (error) {
      const problem = toProblem(error, requestId);
      if (options.emitsMetrics) {
        metrics
          .addDimension(metricDimensions.statusClass, `${Math.floor(problem.status / 100)}xx`)
          .addMetric(metricNames.requestError, MetricUnit.Count, 1);
      }
      if (problem.status >= 500) logger.error('request failed', { error: error as Error });
      else logger.info('request rejected', { code: problem.code, detail: problem.detail });
      return {
        statusCode: problem.status,
        headers: {
          ...securityHeaders,
          'content-type': 'application/problem+json',
          'cache-control': 'no-store',
          [correlationIdHeader]: correlationId,
          ...(problem.status === 503 ? { 'retry-after': String(retryAfterSeconds(error)) } : {}),
        },
        body: JSON.stringify(problem),
      };
    }
  };
  const handler = middy(run)
    // Not the response as trace metadata (the tracer's default): an order's answer holds its shipping address and
    // contact email, personal data that stays out of traces as it stays out of logs.
    .use(tracer.middleware({ captureResponse: false }))
    // Never the event, whatever POWERTOOLS_LOGGER_LOG_EVENT says: it holds the Authorization header, the API key and
    // the body with its payment token.
    .use(injectLambdaContext(logger, { resetKeys: true, logEvent: false }));
  // Only routes with business metrics flush them: API Gateway already measures every route's count and latency.
  return options.emitsMetrics ? handler.use(logMetrics(metrics, { captureColdStartMetric: true })) : handler;
}

async function authorize(
  route: RouteDefinition,
  event: APIGatewayProxyEvent,
  partners: PartnerLookup | undefined,
): Promise<Caller> {
  const caller = callerFrom(event);
  if (!caller) throw new UnauthenticatedError('a valid bearer token is required');
  if (!mayCall(route, caller)) throw new ForbiddenError('your account may not call this operation');
  return partners ? resolvePartner(caller, partners) : caller;
}

function takesPartners(route: RouteDefinition): boolean {
  return route.access !== 'public' && route.access.partnerScopes.length > 0;
}

/**
 * The path, query and body through the contract's schemas, in that order, each failure named as clients know it. A
 * missing body counts as `{}` where the contract accepts an empty object (actions without parameters); a JSON null
 * is a body, and not the empty object.
 */
function parseInput(routeContract: HandlerContract, event: APIGatewayProxyEvent, body: unknown) {
  const { path, query, body: bodySchema, bodyName = 'body' } = routeContract;
  return {
    path: path ? parseOrThrow(path, event.pathParameters ?? {}, 'path') : undefined,
    query: query ? parseOrThrow(query, event.queryStringParameters ?? {}, 'query') : undefined,
    body: bodySchema
      ? parseOrThrow(bodySchema, body === undefined && acceptsEmptyObject(bodySchema) ? {} : body, bodyName)
      : undefined,
  };
}

/** The body as sent, size-checked and decoded from base64, not parsed. */
function readRawBody(body: string | null, isBase64Encoded: boolean): string {
  if (body === null || body === undefined) return '';
  const text = isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
  if (Buffer.byteLength(text) > maxWebhookBodyBytes) {
    throw new ValidationError(`the body is larger than ${maxWebhookBodyBytes} bytes`);
  }
  return text;
}

function parseBody(body: string | null, isBase64Encoded: boolean, contentType: string | undefined): unknown {
  if (body === null || body === undefined || body === '') return undefined;
  const text = isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
  if (Buffer.byteLength(text) > maxBodyBytes) {
    throw new ValidationError(`the body is larger than ${maxBodyBytes} bytes`);
  }
  if (contentType !== undefined && !/^application\/(.+\+)?json\b/i.test(contentType)) {
    throw new ValidationError('the body must be application/json');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch {
    throw new ValidationError('the body is not valid JSON');
  }
  if (nestingDepth(parsed) > maxBodyDepth) {
    throw new ValidationError(`the body nests deeper than ${maxBodyDepth} levels`);
  }
  return parsed;
}

/** Depth of nested arrays and objects, measured without recursion (the input may be thousands of levels deep). */
function nestingDepth(value: unknown): number {
  let deepest = 0;
  const pending: [unknown, number][] = [[value, 0]];
  while (pending.length > 0) {
    const [current, depth] = pending.pop()!;
    if (current === null || typeof current !== 'object') continue;
    deepest = Math.max(deepest, depth + 1);
    if (deepest > maxBodyDepth) return deepest;
    for (const child of Object.values(current)) pending.push([child, depth + 1]);
  }
  return deepest;
}

function lowerCaseKeys(headers: Record<string, string | undefined>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

/** If-None-Match uses weak comparison (RFC 9110): W/"x" and "x" match; `*` matches any current representation. */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((candidate) => candidate.trim() === '*' || opaque(candidate) === opaque(etag));
}

function pick(headers: Record<string, string>, names: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => names.includes(name)));
}
