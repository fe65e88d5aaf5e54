import { Duration } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type { EnvironmentConfig } from '../bin/environment-config';
import { buildOpenApiDocument, type OpenApiParameter } from '../functions/api/openapi';
import type { RouteDefinition, RouteId } from '../functions/api/routes';

/**
 * The routes whose answers API Gateway may cache: the public catalog reads. The cache key never includes the caller
 * (API Gateway keys only on the parameters listed below), so only routes that answer every caller alike belong
 * here; a per-customer route such as GET /orders would hand one customer's orders to the next.
 */
export const cachedRouteIds = ['listProducts', 'getProduct'] as const satisfies readonly RouteId[];

export interface RouteCache {
  /** Caching on for this method, with the environment's TTL, encrypted at rest. */
  readonly methodOptions: apigateway.MethodDeploymentOptions;
  /** The integration's cache key: every parameter the method declares (`method.request.<where>.<name>`). */
  readonly cacheKeyParameters: readonly string[];
  /** The method's request parameters, so API Gateway knows each key (path parameters required, others optional). */
  readonly requestParameters: Readonly<Record<string, boolean>>;
}

/** Stage-wide options: the cache cluster where the environment configures `api.cache`, nothing otherwise. */
export function stageCacheOptions(config: EnvironmentConfig): Partial<apigateway.StageOptions> {
  if (!config.api.cache) return {};
  return {
    cacheClusterEnabled: true,
    cacheClusterSize: config.api.cache.clusterSizeGb,
    // Stated rather than left to the default: with a cache cluster, only the methods below may use it.
    cachingEnabled: false,
  };
}

let openApiParameters: Map<string, readonly OpenApiParameter[]> | undefined;

/** The parameters of each operation of the published API description, by `METHOD path`. */
function parametersByOperation(): Map<string, readonly OpenApiParameter[]> {
  openApiParameters ??= new Map(
    Object.entries(buildOpenApiDocument().paths).flatMap(([resourcePath, operations]) =>
      Object.entries(operations).map(
        ([method, operation]) => [`${method.toUpperCase()} ${resourcePath}`, operation?.parameters ?? []] as const,
      ),
    ),
  );
  return openApiParameters;
}

/**
 * How API Gateway caches one route's answers, or undefined where it does not (no `api.cache`, or not a catalog
 * read). The key comes from the route's parameters in the published API description: its path and query parameters
 * (product id, page size, cursor) and If-None-Match, since the handlers answer 304 to a matching one and a cached
 * 304 must never reach a client that holds no copy; and Origin, since each answer allows (CORS) the origin that asked
 * for it and a cached one would deny every other origin its copy. Unknown query parameters are not in the key: such a request may
 * get the cached answer of the same request without them instead of the handler's 400.
 */
export function routeCache(
  config: EnvironmentConfig,
  route: RouteDefinition & { readonly id: RouteId },
): RouteCache | undefined {
  const cache = config.api.cache;
  if (!cache || !(cachedRouteIds as readonly RouteId[]).includes(route.id)) return undefined;
  if (route.method !== 'GET' || route.access !== 'public') {
    throw new Error(`${route.method} ${route.path} is cached but is not a public GET`);
  }
  const parameters = parametersByOperation().get(`${route.method} ${route.path}`);
  if (!parameters) throw new Error(`${route.method} ${route.path} is not in the API description`);
  const requestParameters = {
    ...Object.fromEntries(
      parameters.map((parameter) => [
        `method.request.${parameterLocation(parameter.in)}.${parameter.name}`,
        parameter.in === 'path',
      ]),
    ),
    [originCacheKey]: false,
  };
  return {
    methodOptions: { cachingEnabled: true, cacheTtl: Duration.seconds(cache.ttlSeconds), cacheDataEncrypted: true },
    cacheKeyParameters: Object.keys(requestParameters),
    requestParameters,
  };
}

/**
 * The request's Origin, in the key of every cached route: the handlers echo an allowed Origin in
 * Access-Control-Allow-Origin (functions/core/http/cors.ts). Browsers send it, so the cache holds at most one copy
 * per origin that reads the catalog (and one for callers that send none).
 */
export const originCacheKey = 'method.request.header.Origin';

/** Where API Gateway names a request parameter: `method.request.<this>.<name>`. */
function parameterLocation(location: OpenApiParameter['in']): 'path' | 'querystring' | 'header' {
  return location === 'query' ? 'querystring' : location;
}
