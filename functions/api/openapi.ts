import * as z from 'zod/mini';
import { idempotencyKeyPattern } from '../core/http/idempotency-key';
import { exposedHeaders } from '../core/http/cors';
import { problemResponse } from '../core/schemas/api-schemas';
import { eventCatalogue } from '../core/schemas/event-schemas';
import { orderEventTypes } from '../core/domain/events';
import { acceptsEmptyObject } from '../core/schemas/validation';
import { contract, routeErrors, type RouteContract } from './contract';
import { authorizationScopes, routeList, type RouteDefinition, type RouteId } from './routes';
import { version } from '../../package.json';

/**
 * The published API description, generated from the route table and the contract's zod schemas, so the document
 * cannot drift from what the handlers validate. Kept free of Node-only imports: the `openApi` handler serves it, and
 * the CDK app can build API Gateway request models with `requestModelSchema`.
 */

export type JsonSchema = { [keyword: string]: unknown };

/** The targets zod's toJSONSchema writes. API Gateway models need draft-04; OpenAPI 3.1 uses draft 2020-12. */
export type JsonSchemaTarget = 'draft-2020-12' | 'draft-07' | 'draft-04' | 'openapi-3.0';

type HttpMethod = Lowercase<RouteDefinition['method']>;
type SecurityRequirement = Record<string, string[]>;

export interface OpenApiParameter {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header';
  readonly required: boolean;
  readonly description?: string;
  readonly schema: JsonSchema;
}

export interface OpenApiHeader {
  readonly description: string;
  readonly schema: JsonSchema;
}

export interface OpenApiResponse {
  readonly description: string;
  readonly headers?: Record<string, OpenApiHeader>;
  readonly content?: Record<string, { readonly schema: JsonSchema }>;
}

export interface OpenApiOperation {
  readonly operationId: RouteId;
  readonly summary: string;
  readonly description: string;
  readonly tags: string[];
  readonly parameters?: OpenApiParameter[];
  readonly requestBody?: {
    readonly required: boolean;
    readonly content: Record<string, { readonly schema: JsonSchema }>;
  };
  readonly responses: Record<string, OpenApiResponse>;
  readonly security: SecurityRequirement[];
}

/** An event delivered to a partner's webhook endpoint: what the receiver's endpoint must accept. */
export interface OpenApiWebhookOperation {
  readonly operationId: string;
  readonly summary: string;
  readonly description: string;
  readonly tags: string[];
  readonly parameters: OpenApiParameter[];
  readonly requestBody: { readonly required: true; readonly content: Record<string, { readonly schema: JsonSchema }> };
  readonly responses: Record<string, OpenApiResponse>;
  readonly security: SecurityRequirement[];
}

// A type alias, not an interface: the handler's answer must fit the response schema's open (indexed) object.
export type OpenApiDocument = {
  readonly openapi: '3.1.0';
  readonly info: {
    readonly title: string;
    readonly version: string;
    readonly description: string;
    readonly contact: { readonly name: string };
    readonly license: { readonly name: string; readonly identifier: string };
  };
  readonly servers: { readonly url: string; readonly description: string }[];
  readonly tags: { readonly name: string; readonly description: string }[];
  readonly paths: Record<string, Partial<Record<HttpMethod, OpenApiOperation>>>;
  /** The events partners' webhook endpoints receive (OpenAPI 3.1 webhooks): one per event type of the catalogue. */
  readonly webhooks: Record<string, { readonly post: OpenApiWebhookOperation }>;
  readonly components: {
    readonly schemas: Record<string, JsonSchema>;
    readonly securitySchemes: Record<string, JsonSchema>;
  };
};

/** Areas by the first segment of a route's path; a route in a new area must be placed here before it can ship. */
const areas: Readonly<Record<string, { readonly tag: string; readonly description: string }>> = {
  products: { tag: 'catalog', description: 'Products, prices and the stock on the shelf' },
  orders: { tag: 'orders', description: "Placing, reading and cancelling the caller's own orders" },
  admin: { tag: 'admin', description: 'Back-office operations for the `admins` group' },
  health: { tag: 'health', description: 'Liveness and readiness' },
  'openapi.json': { tag: 'meta', description: 'This API description' },
  webhooks: { tag: 'webhooks', description: "The payment provider's signed event deliveries" },
};

const problemRef = { $ref: '#/components/schemas/Problem' } as const;
const problemMediaType = 'application/problem+json';

/**
 * A zod schema as JSON Schema for the given target. Requests are described as clients send them (`io: 'input'`):
 * strict objects come out closed (`additionalProperties: false`), plain `z.object` responses stay open, because
 * handlers do not strip what they return and clients should tolerate fields added later.
 */
export function toJsonSchema(schema: z.ZodMiniType, target: JsonSchemaTarget = 'draft-2020-12'): JsonSchema {
  const json = z.toJSONSchema(schema, { target, io: 'input', cycles: 'throw', unrepresentable: 'throw' }) as JsonSchema;
  // Embedded schemas resolve `#/...` against the whole document, so shared definitions would dangle: keep it inline.
  if ('$defs' in json || 'definitions' in json) throw new Error('schemas must not need shared definitions');
  return json;
}

/** The schema without its `$schema`: inside an OpenAPI 3.1 document the document's dialect applies. */
function embedded(schema: z.ZodMiniType): JsonSchema {
  const { $schema: _dialect, ...json } = toJsonSchema(schema);
  return json;
}

/** A route's request body as JSON Schema for `target`, or undefined when the route takes no body. */
export function requestBodySchema(routeId: RouteId, target: JsonSchemaTarget): JsonSchema | undefined {
  const body = contract[routeId].body;
  return body ? toJsonSchema(body, target) : undefined;
}

/**
 * The request model API Gateway validates a route's body with: JSON Schema draft-04 (the only draft API Gateway
 * models accept), with its `$schema`; undefined for routes without a body. Refinements zod cannot express in JSON
 * Schema (such as "at least one field") are still checked by the handler.
 */
export function requestModelSchema(routeId: RouteId): JsonSchema | undefined {
  return requestBodySchema(routeId, 'draft-04');
}

export function buildOpenApiDocument(): OpenApiDocument {
  const paths: Record<string, Partial<Record<HttpMethod, OpenApiOperation>>> = {};
  for (const route of routeList) {
    const operations = (paths[route.path] ??= {});
    operations[route.method.toLowerCase() as HttpMethod] = operationOf(route, contract[route.id]);
  }
  const usedTags = new Set(routeList.map((route) => areaOf(route).tag));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Orders API',
      version,
      description: [
        'Place orders, follow them through payment and fulfilment, and manage the catalog.',
        '',
        'Money is in integer minor units with an ISO 4217 currency. `POST /orders` answers 202 with the PENDING',
        'order; poll `GET /orders/{orderId}` until it is CONFIRMED, FAILED or CANCELLED. Every error is',
        '`application/problem+json` with a stable `code` and the `requestId` to quote to support.',
        '',
        `Browser pages of the deployment's allowed origins may call it (CORS, no credentials); their scripts can read`,
        `${exposedHeaders.map((name) => `\`${name}\``).join(', ')}.`,
      ].join('\n'),
      contact: { name: 'Orders API maintainers' },
      license: { name: 'Apache 2.0', identifier: 'Apache-2.0' },
    },
    // Relative, so it resolves against wherever this document was fetched from: the stage URL or the local gateway.
    servers: [{ url: '.', description: 'The API that serves this document' }],
    tags: [
      ...Object.values(areas)
        .filter((area) => usedTags.has(area.tag))
        .map((area) => ({ name: area.tag, description: area.description })),
      { name: eventsTag, description: 'The events delivered to webhook endpoints (docs/events.md)' },
    ],
    paths,
    webhooks: eventWebhooks(),
    components: {
      schemas: { Problem: embedded(problemResponse) },
      securitySchemes: {
        // A bearer scheme rather than oauth2: the token and authorize URLs belong to each deployment's Cognito
        // domain, which the route table does not know. OpenAPI 3.1 lets requirements of other scheme types name
        // roles, which is how the accepted scopes are listed per operation.
        cognito: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'A Cognito access token (not an ID token). Each operation lists the scopes it accepts, any one of ' +
            "which suffices: a signed-in user's token carries `aws.cognito.signin.user.admin`; partner clients " +
            'get `orders/read` or `orders/write` from the client-credentials grant.',
        },
        apiKey: {
          type: 'apiKey',
          in: 'header',
          name: 'x-api-key',
          description: "The app's API key; its usage plan sets the rate limit and quota.",
        },
      },
    },
  };
}

function operationOf(
  route: RouteDefinition & { readonly id: RouteId },
  routeContract: RouteContract,
): OpenApiOperation {
  const parameters = [
    ...parametersOf(route, routeContract.path, 'path'),
    ...parametersOf(route, routeContract.query, 'query'),
    ...(route.idempotent ? [idempotencyKeyParameter] : []),
    ...(routeContract.conditional ? [ifNoneMatchParameter] : []),
  ];
  return {
    operationId: route.id,
    summary: route.summary,
    description: descriptionOf(route, routeContract),
    tags: [areaOf(route).tag],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(routeContract.body ? { requestBody: requestBodyOf(routeContract.body) } : {}),
    responses: responsesOf(route, routeContract),
    security: securityOf(route),
  };
}

function areaOf(route: RouteDefinition): { readonly tag: string; readonly description: string } {
  const segment = route.path.split('/')[1] ?? '';
  const area = areas[segment];
  if (!area) throw new Error(`${route.method} ${route.path}: no API area for "/${segment}"`);
  return area;
}

function parametersOf(
  route: RouteDefinition,
  schema: z.ZodMiniType | undefined,
  location: 'path' | 'query',
): OpenApiParameter[] {
  const placeholders = [...route.path.matchAll(/\{([^}]+)\}/g)].map((found) => found[1]!);
  if (!schema) {
    if (location === 'path' && placeholders.length > 0) {
      throw new Error(`${route.method} ${route.path}: the contract has no schema for its path parameters`);
    }
    return [];
  }
  const json = embedded(schema);
  const properties = json.properties as Record<string, JsonSchema> | undefined;
  if (json.type !== 'object' || !properties) throw new Error(`${route.method} ${route.path}: ${location} is no object`);
  const names = Object.keys(properties);
  if (location === 'path' && [...names].sort().join() !== [...placeholders].sort().join()) {
    throw new Error(`${route.method} ${route.path}: path schema names ${names.join(', ') || 'nothing'}`);
  }
  const required = new Set((json.required as string[] | undefined) ?? []);
  return names.map((name) => {
    // Parameter descriptions are what tools show next to the input: lift the schema's up to the parameter.
    const { description, ...schema } = properties[name]!;
    return {
      name,
      in: location,
      required: location === 'path' || required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema,
    };
  });
}

const idempotencyKeyParameter: OpenApiParameter = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'Makes retries safe: the same key with the same body replays the first response; with another body the ' +
    'request is refused with 422; while the first request is still running, with 409.',
  schema: { type: 'string', minLength: 1, maxLength: 255, pattern: idempotencyKeyPattern.source },
};

const ifNoneMatchParameter: OpenApiParameter = {
  name: 'If-None-Match',
  in: 'header',
  required: false,
  description: 'The ETag of the copy the client holds: if it is still current, the answer is 304 without a body.',
  schema: { type: 'string' },
};

function requestBodyOf(schema: z.ZodMiniType) {
  // A missing body is read as `{}` (see httpHandler), so a body that may be empty may also be left out.
  return { required: !acceptsEmptyObject(schema), content: { 'application/json': { schema: embedded(schema) } } };
}

function responsesOf(route: RouteDefinition, routeContract: RouteContract): Record<string, OpenApiResponse> {
  const { success } = routeContract;
  const successHeaders: Record<string, OpenApiHeader> = {
    ...(success.status === 202
      ? { Location: { description: 'Where to poll the accepted resource', schema: { type: 'string' } } }
      : {}),
    ...(routeContract.conditional ? { ETag: etagHeader } : {}),
    ...(route.idempotent
      ? {
          'Idempotent-Replayed': {
            description: 'With an Idempotency-Key: `true` when this is the stored answer to an earlier request',
            schema: { type: 'string', enum: ['true', 'false'] },
          },
        }
      : {}),
  };
  const responses: Record<string, OpenApiResponse> = {
    [String(success.status)]: {
      description: success.description,
      ...(Object.keys(successHeaders).length > 0 ? { headers: successHeaders } : {}),
      content: { 'application/json': { schema: embedded(success.schema) } },
    },
  };
  if (routeContract.conditional) {
    responses['304'] = {
      description: 'Not Modified: the copy named by If-None-Match is current',
      headers: { ETag: etagHeader },
    };
  }
  const errors: [string, string][] = [
    ...(Object.entries(routeErrors(route, routeContract)) as [string, string][]),
    ['500', 'Our failure; quote the requestId to support'],
  ];
  for (const [status, description] of errors) {
    responses[status] = {
      description,
      // Every 429 and 503 says when to come back (the gateway's throttles, the handlers' 503s alike).
      ...(status === '429' || status === '503'
        ? {
            headers: {
              'Retry-After': {
                description: 'Seconds to wait before retrying',
                schema: { type: 'integer', minimum: 0 },
              },
            },
          }
        : {}),
      content: { [problemMediaType]: { schema: problemRef } },
    };
  }
  return responses;
}

const etagHeader: OpenApiHeader = {
  description: 'The validator to send back in If-None-Match',
  schema: { type: 'string' },
};

/**
 * API Gateway accepts any one of a method's scopes, so each scope is its own requirement (alternatives), and the API
 * key is needed alongside each of them.
 */
function securityOf(route: RouteDefinition): SecurityRequirement[] {
  const apiKey: SecurityRequirement = route.apiKeyRequired ? { apiKey: [] } : {};
  if (route.access === 'public') return route.apiKeyRequired ? [apiKey] : [];
  return authorizationScopes(route).map((scope) => ({ cognito: [scope], ...apiKey }));
}

function descriptionOf(route: RouteDefinition, routeContract: RouteContract): string {
  const lines: string[] = [];
  if (route.access === 'public') {
    lines.push('Public: no token needed.');
  } else {
    const callers: string[] = [];
    if (route.access.groups.length > 0) {
      callers.push(`signed-in users in the ${route.access.groups.map((group) => `\`${group}\``).join(' or ')} group`);
    }
    if (route.access.partnerScopes.length > 0) {
      callers.push(`partner clients holding ${route.access.partnerScopes.map((scope) => `\`${scope}\``).join(' or ')}`);
    }
    lines.push(`Callers: ${callers.join(', or ')}, with a Cognito access token.`);
  }
  if (route.apiKeyRequired) lines.push('Needs an API key (`x-api-key`).');
  if (route.rawBody) {
    lines.push('The body is taken exactly as sent and authenticated by its signature header (`Stripe-Signature`).');
  }
  if (routeContract.query && embedded(routeContract.query).additionalProperties === false) {
    lines.push('Unknown query parameters are rejected with 400.');
  }
  return lines.join('\n\n');
}

const eventsTag = 'events';

/**
 * The Standard Webhooks headers every delivery carries (https://www.standardwebhooks.com): the receiver verifies the
 * signature with the endpoint's secret before trusting the body, and dedupes on the id (delivery is at least once).
 */
const webhookHeaders: OpenApiParameter[] = [
  {
    name: 'webhook-id',
    in: 'header',
    required: true,
    description:
      'The message id, the same on every retry of a delivery (the event id): receivers dedupe on it, since an event ' +
      'may be delivered more than once.',
    schema: { type: 'string' },
  },
  {
    name: 'webhook-timestamp',
    in: 'header',
    required: true,
    description:
      'When this attempt was sent, in integer seconds since the Unix epoch. Refuse timestamps too far from your ' +
      'clock (a few minutes) to stop replays.',
    schema: { type: 'string', pattern: '^[0-9]+$' },
  },
  {
    name: 'webhook-signature',
    in: 'header',
    required: true,
    description:
      'Space-separated signatures, each `v1,<base64>`: HMAC-SHA256 of `<webhook-id>.<webhook-timestamp>.<body>` ' +
      "with the endpoint's signing secret (`whsec_…`, base64 after the prefix). More than one appears while a " +
      'rotated secret is being replaced; any match is valid. The `standardwebhooks` libraries verify all of this.',
    schema: { type: 'string', pattern: '^v1,[A-Za-z0-9+/=]+( v1,[A-Za-z0-9+/=]+)*$' },
  },
];

const camelCase = (type: string) => type.replace(/[.-]([a-z])/g, (_, letter: string) => letter.toUpperCase());

/** What an endpoint can subscribe to (POST /webhooks): the order events; the catalogue in docs/events.md has all. */
function eventWebhooks(): OpenApiDocument['webhooks'] {
  return Object.fromEntries(
    orderEventTypes.map((type) => {
      const entry = eventCatalogue[type];
      const operation: OpenApiWebhookOperation = {
        operationId: `${camelCase(type)}Event`,
        summary: `The ${type} event`,
        description: `${entry.publishedWhen}\n\nIts \`id\` is ${entry.idShape}.`,
        tags: [eventsTag],
        parameters: webhookHeaders,
        requestBody: { required: true, content: { 'application/json': { schema: embedded(entry.schema) } } },
        responses: {
          '2XX': { description: 'Received. Any other answer, or none within 10 seconds, is retried with backoff.' },
        },
        // Signed rather than authenticated: the receiver checks webhook-signature.
        security: [],
      };
      return [type, { post: operation }];
    }),
  );
}
