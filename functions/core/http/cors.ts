/**
 * CORS, decided in one place: the Lambda handlers (every response of httpHandler), the local gateway (its own
 * answers and preflights) and the CDK API (preflight methods, gateway responses) all take their headers from here,
 * with the allowed origins of the environment's config (`api.cors.allowedOrigins` in cdk.json).
 *
 * No `Access-Control-Allow-Credentials`, ever: callers authenticate with bearer tokens and API keys they send
 * themselves, never with cookies, so a browser needs no credentials mode and a page of another origin cannot ride on
 * a signed-in user's session. An allowed origin is echoed exactly, never `*`, so the list stays the one gate.
 */

/** Response headers a browser script may read (it sees only the CORS-safelisted ones otherwise). */
export const exposedHeaders = ['Location', 'ETag', 'x-correlation-id', 'Retry-After', 'idempotent-replayed'] as const;

/** Request headers the API reads: what a preflight may ask for beyond the CORS-safelisted ones. */
export const allowedRequestHeaders = [
  'Authorization',
  'Content-Type',
  'Idempotency-Key',
  'If-None-Match',
  'X-Api-Key',
  'x-correlation-id',
] as const;

/**
 * How long a browser may reuse a preflight answer. Chromium caps it at 2 hours and Firefox at 24: 10 minutes keeps
 * a changed origin list or a new method visible soon after a deploy while sparing most preflights.
 */
export const preflightMaxAgeSeconds = 600;

/** Hosts that may be allowed over plain http (a developer's machine); every other origin must be https. */
const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Whether `value` is an origin exactly as browsers send it in the Origin header: `scheme://host[:port]`, lower case,
 * no path, no trailing slash, no default port. https only, except for loopback hosts (local development).
 */
export function isOrigin(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.origin !== value) return false;
  return url.protocol === 'https:' || (url.protocol === 'http:' && loopbackHosts.has(url.hostname));
}

export const originRule =
  'an origin such as https://shop.example.com (scheme://host[:port], no path or trailing slash)';

/** A comma-separated list of origins (an environment variable), with the first entry that is not an origin. */
export function parseOriginList(raw: string): { readonly origins: readonly string[]; readonly invalid?: string } {
  const origins = raw
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  const invalid = origins.find((origin) => !isOrigin(origin));
  return invalid === undefined ? { origins } : { origins, invalid };
}

/** The request's Origin when it is one of `allowedOrigins` (an exact, case-sensitive match), else undefined. */
export function allowedOrigin(allowedOrigins: readonly string[], origin: string | undefined): string | undefined {
  return origin !== undefined && allowedOrigins.includes(origin) ? origin : undefined;
}

/**
 * The CORS headers of any actual (non-preflight) response. `Vary: Origin` is always there, since the answer differs
 * by Origin and a shared cache must not hand one origin's answer to another.
 */
export function corsHeaders(allowedOrigins: readonly string[], origin: string | undefined): Record<string, string> {
  const allowed = allowedOrigin(allowedOrigins, origin);
  return {
    ...(allowed ? { 'access-control-allow-origin': allowed } : {}),
    'access-control-expose-headers': exposedHeaders.join(', '),
    vary: 'Origin',
  };
}

/**
 * The answer to a preflight (OPTIONS) on a resource accepting `methods`: status 204, the methods and request headers
 * the API accepts, and the allowed origin only when the request's is one of them. A disallowed origin gets no
 * Allow-Origin, so the browser refuses the actual request.
 */
export function preflightResponse(
  allowedOrigins: readonly string[],
  origin: string | undefined,
  methods: readonly string[],
): { readonly status: 204; readonly headers: Record<string, string> } {
  const allowed = allowedOrigin(allowedOrigins, origin);
  return {
    status: 204,
    headers: {
      ...(allowed ? { 'access-control-allow-origin': allowed } : {}),
      ...preflightStaticHeaders(methods),
      vary: 'Origin',
    },
  };
}

/** The preflight headers that do not depend on the origin (API Gateway sets them statically). */
export function preflightStaticHeaders(methods: readonly string[]): Record<string, string> {
  return {
    'access-control-allow-methods': preflightMethods(methods).join(', '),
    'access-control-allow-headers': allowedRequestHeaders.join(', '),
    'access-control-max-age': String(preflightMaxAgeSeconds),
  };
}

/** A resource's methods plus OPTIONS, each once, in a stable order. */
export function preflightMethods(methods: readonly string[]): string[] {
  return [...new Set([...methods, 'OPTIONS'])];
}

/** The methods of each resource path of a route table, in table order. */
export function methodsByPath(
  routes: readonly { readonly method: string; readonly path: string }[],
): Map<string, string[]> {
  const byPath = new Map<string, string[]>();
  for (const { method, path } of routes) {
    const methods = byPath.get(path) ?? [];
    if (!methods.includes(method)) methods.push(method);
    byPath.set(path, methods);
  }
  return byPath;
}

/** A Vary value with `name` added once (case-insensitively) to what the response already varies on. */
export function withVary(existing: string | undefined, name: string): string {
  const names = (existing ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  if (names.includes('*') || names.some((part) => part.toLowerCase() === name.toLowerCase())) return names.join(', ');
  return [...names, name].join(', ');
}

/**
 * `headers` with the CORS headers added: a `vary` already present keeps its names and gains Origin; every other
 * CORS header is the module's (a response never sets its own).
 */
export function withCorsHeaders(
  headers: Record<string, string>,
  allowedOrigins: readonly string[],
  origin: string | undefined,
): Record<string, string> {
  const cors = corsHeaders(allowedOrigins, origin);
  return { ...headers, ...cors, vary: withVary(headers.vary, cors.vary!) };
}
