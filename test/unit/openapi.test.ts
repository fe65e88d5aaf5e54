import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type * as z from 'zod/mini';
import { contract, routeErrors } from '../../functions/api/contract';
import {
  buildOpenApiDocument,
  requestModelSchema,
  type JsonSchema,
  type OpenApiOperation,
} from '../../functions/api/openapi';
import { authorizationScopes, routeList, routes, type RouteId } from '../../functions/api/routes';
import {
  assertPublishedOpenApiCurrent,
  publishedOpenApiDocument,
  renderOpenApiDocument,
} from '../../stacks/published-openapi';

const document = buildOpenApiDocument();
const methods = ['get', 'post', 'patch', 'delete', 'put', 'head', 'options', 'trace'] as const;

const operations = Object.entries(document.paths).flatMap(([path, item]) =>
  methods.flatMap((method) => {
    const operation = (item as Partial<Record<string, OpenApiOperation>>)[method];
    return operation ? [{ path, method, operation }] : [];
  }),
);
const operationOf = (id: RouteId) => {
  const found = operations.find(({ operation }) => operation.operationId === id);
  if (!found) throw new Error(`no operation ${id}`);
  return found.operation;
};
const routeCases = routeList.map((route) => [route.id, route] as const);

describe('the OpenAPI document and the route table', () => {
  it('is OpenAPI 3.1 and publishes itself', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.paths['/openapi.json']?.get?.operationId).toBe('openApi');
    expect(document.paths['/openapi.json']?.get?.security).toEqual([]);
  });

  it.each(routeCases)('documents %s at its API Gateway method and path', (id, route) => {
    const operation = document.paths[route.path]?.[route.method.toLowerCase() as 'get'];
    expect(operation).toBeDefined();
    expect(operation).toMatchObject({ operationId: id, summary: route.summary });
  });

  it('has no operation that is not in the route table', () => {
    expect(operations).toHaveLength(routeList.length);
    for (const { path, method, operation } of operations) {
      const route = routes[operation.operationId];
      expect(route).toBeDefined();
      expect(`${route.method} ${route.path}`).toBe(`${method.toUpperCase()} ${path}`);
    }
  });

  it('uses each operationId once', () => {
    const ids = operations.map(({ operation }) => operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('tags every operation with a declared area', () => {
    const declared = document.tags.map((tag) => tag.name);
    expect(declared).toEqual(expect.arrayContaining(['catalog', 'orders', 'admin', 'health']));
    for (const { operation } of operations) {
      expect(operation.tags).toHaveLength(1);
      expect(declared).toContain(operation.tags[0]);
    }
    expect(operationOf('placeOrder').tags).toEqual(['orders']);
    expect(operationOf('listProducts').tags).toEqual(['catalog']);
    expect(operationOf('adminFulfillOrder').tags).toEqual(['admin']);
    expect(operationOf('health').tags).toEqual(['health']);
  });
});

describe('customer authentication in the OpenAPI document', () => {
  it('documents the confirm route with its 409, ACTION_REQUIRED and the owner-only payment action', () => {
    const confirm = operationOf('confirmPayment');
    expect(document.paths['/orders/{orderId}/payment/confirm']?.post?.operationId).toBe('confirmPayment');
    expect(Object.keys(confirm.responses)).toEqual(expect.arrayContaining(['200', '404', '409']));
    expect(confirm.responses['409']?.description).toContain('PAYMENT_AUTHENTICATION_PENDING');
    const ownOrder = JSON.stringify(operationOf('getOrder').responses['200']);
    expect(ownOrder).toContain('ACTION_REQUIRED');
    expect(ownOrder).toContain('clientSecret');
    expect(ownOrder).toContain('PAYMENT_AUTHENTICATION_EXPIRED');
    // Lists and admins never get the client secret.
    expect(JSON.stringify(operationOf('listOrders').responses['200'])).not.toContain('clientSecret');
    expect(JSON.stringify(operationOf('adminGetOrder').responses['200'])).not.toContain('clientSecret');
  });
});

describe('error responses follow the route settings', () => {
  const errorsOf = (id: RouteId) => routeErrors(routes[id], contract[id]);

  it.each(routeCases)('%s: 400 exactly when it takes a path, query or body (raw or parsed)', (id, route) => {
    const { path, query, body } = contract[id];
    expect(400 in errorsOf(id)).toBe(Boolean(path ?? query ?? body ?? ('rawBody' in route && route.rawBody)));
  });

  it.each(routeCases)('%s: 401 and 403 when it needs a token, 403 alone for an API key only', (id, route) => {
    const errors = errorsOf(id);
    expect(401 in errors).toBe(route.access !== 'public');
    expect(403 in errors).toBe(route.access !== 'public' || route.apiKeyRequired);
  });

  it.each(routeCases)('%s: 409 and 422 for its Idempotency-Key, 429 under a usage plan or throttle', (id, route) => {
    const errors = errorsOf(id);
    if (route.idempotent) {
      expect(errors[409]).toMatch(/Idempotency-Key|key is in use/);
      expect(errors[422]).toMatch(/Idempotency-Key/);
    }
    expect(429 in errors).toBe(route.apiKeyRequired || 'throttle' in route);
  });

  it('keeps what a route adds, and names the input a 400 is about', () => {
    expect(errorsOf('adjustStock')[409]).toBe(
      'The adjustment would take the stock below zero (INSUFFICIENT_STOCK), orders kept changing the stock ' +
        '(STOCK_BUSY: retry), or the key is in use',
    );
    expect(errorsOf('placeOrder')[409]).toBe('A request with the same Idempotency-Key is still in progress');
    expect(errorsOf('getProduct')[404]).toBe('No such product');
    expect(errorsOf('cancelOrder')[400]).toBe('Invalid order id or body');
    expect(errorsOf('listProducts')[400]).toBe('Invalid query or cursor');
    expect(errorsOf('health')).toEqual({});
  });
});

describe('responses', () => {
  it.each(routeCases)('%s answers every error its settings and contract give, plus 500, as problem+json', (id) => {
    const { responses } = operationOf(id);
    const statuses = [...Object.keys(routeErrors(routes[id], contract[id])), '500'];
    for (const status of statuses) {
      expect(responses[status]?.content).toEqual({
        'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } },
      });
    }
    expect(responses[String(contract[id].success.status)]?.content?.['application/json']).toBeDefined();
  });

  it('generates the shared Problem schema from the zod one', () => {
    expect(document.components.schemas.Problem).toMatchObject({
      type: 'object',
      required: expect.arrayContaining(['type', 'title', 'status', 'code', 'detail', 'requestId']),
    });
  });

  it.each(routeCases)('%s: Retry-After on 429, Location on 202, 304 + ETag where conditional', (id) => {
    const { responses } = operationOf(id);
    const { success, conditional } = contract[id];
    if (429 in routeErrors(routes[id], contract[id])) expect(responses['429']?.headers?.['Retry-After']).toBeDefined();
    if (success.status === 202) expect(responses['202']?.headers?.Location).toBeDefined();
    if (conditional) {
      expect(responses['304']?.headers?.ETag).toBeDefined();
      expect(responses[String(success.status)]?.headers?.ETag).toBeDefined();
    } else {
      expect(responses['304']).toBeUndefined();
    }
  });
});

describe('parameters and security', () => {
  it.each(routeCases)('%s takes the headers its route table entry and contract say', (id, route) => {
    const headers = (operationOf(id).parameters ?? []).filter((p) => p.in === 'header').map((p) => p.name);
    expect(headers.includes('Idempotency-Key')).toBe(Boolean(route.idempotent));
    expect(headers.includes('If-None-Match')).toBe(Boolean(contract[id].conditional));
  });

  it.each(routeCases)('%s declares every path placeholder as a required path parameter', (id, route) => {
    const placeholders = [...route.path.matchAll(/\{([^}]+)\}/g)].map((found) => found[1]);
    const inPath = (operationOf(id).parameters ?? []).filter((p) => p.in === 'path');
    expect(inPath.map((p) => p.name).sort()).toEqual(placeholders.sort());
    expect(inPath.every((p) => p.required)).toBe(true);
  });

  it.each(routeCases)('%s: security matches access, scopes and the API key', (id, route) => {
    const { security } = operationOf(id);
    const schemes = document.components.securitySchemes;
    for (const requirement of security) {
      for (const scheme of Object.keys(requirement)) expect(schemes[scheme]).toBeDefined();
      expect('apiKey' in requirement).toBe(route.apiKeyRequired);
    }
    if (route.access === 'public') {
      expect(security).toEqual(route.apiKeyRequired ? [{ apiKey: [] }] : []);
    } else {
      // Alternatives: any one of the scopes API Gateway accepts.
      expect(security.map((requirement) => requirement.cognito)).toEqual(
        authorizationScopes(route).map((scope) => [scope]),
      );
    }
  });

  it('declares a bearer scheme for Cognito access tokens and an x-api-key scheme', () => {
    expect(document.components.securitySchemes.apiKey).toEqual(
      expect.objectContaining({ type: 'apiKey', in: 'header', name: 'x-api-key' }),
    );
    expect(document.components.securitySchemes.cognito).toEqual(
      expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    );
  });
});

/**
 * Walks a zod schema and the JSON Schema generated from it side by side: strict objects must come out closed, and
 * plain or loose ones open (clients must tolerate fields added to responses later).
 */
function expectSameStrictness(schema: z.ZodMiniType, json: JsonSchema | undefined, at: string): void {
  expect(json).toBeDefined();
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
  switch (def.type) {
    case 'optional':
    case 'nullable':
      return expectSameStrictness(def.innerType as z.ZodMiniType, json, at);
    case 'array':
      return expectSameStrictness(def.element as z.ZodMiniType, json!.items as JsonSchema, `${at}[]`);
    case 'object': {
      const catchall = def.catchall as { _zod: { def: { type: string } } } | undefined;
      const strict = catchall?._zod.def.type === 'never';
      if (strict)
        expect({ at, additionalProperties: json!.additionalProperties }).toEqual({ at, additionalProperties: false });
      else expect({ at, closed: json!.additionalProperties === false }).toEqual({ at, closed: false });
      const properties = json!.properties as Record<string, JsonSchema>;
      for (const [key, value] of Object.entries(def.shape as Record<string, z.ZodMiniType>)) {
        expectSameStrictness(value, properties[key], `${at}.${key}`);
      }
      return;
    }
    default:
      return;
  }
}

describe('schemas', () => {
  it.each(routeCases)('%s: request and response bodies are as strict as their zod schemas', (id) => {
    const operation = operationOf(id);
    const { body, success } = contract[id];
    if (body) expectSameStrictness(body, operation.requestBody?.content['application/json']?.schema, `${id} body`);
    else expect(operation.requestBody).toBeUndefined();
    const response = operation.responses[String(success.status)]?.content?.['application/json']?.schema;
    expectSameStrictness(success.schema, response, `${id} response`);
  });

  it('rejects unknown fields in the order request, at every level', () => {
    const schema = operationOf('placeOrder').requestBody?.content['application/json']?.schema;
    expect(schema?.additionalProperties).toBe(false);
    expect(((schema?.properties as Record<string, JsonSchema>).items!.items as JsonSchema).additionalProperties).toBe(
      false,
    );
  });

  it('documents strict query strings, and lifts parameter descriptions out of the schemas', () => {
    const parameters = operationOf('adminListOrders').parameters ?? [];
    // Either `status` or `customerId`: neither is required on its own (the use case refuses a query without both).
    expect(parameters.find((p) => p.name === 'status')).toMatchObject({ in: 'query', required: false });
    expect(parameters.find((p) => p.name === 'customerId')).toMatchObject({ in: 'query', required: false });
    for (const parameter of parameters.filter((p) => p.in !== 'header')) {
      expect(parameter.description).toEqual(expect.any(String));
      expect(parameter.schema).not.toHaveProperty('description');
    }
    expect(operationOf('adminListOrders').description).toMatch(/Unknown query parameters are rejected/);
  });

  it('embeds schemas without their own $schema or $defs', () => {
    const text = JSON.stringify(document);
    expect(text).not.toContain('"$schema"');
    expect(text).not.toContain('"$defs"');
  });

  it('makes an empty action body optional and a real one required', () => {
    expect(operationOf('cancelOrder').requestBody?.required).toBe(false);
    expect(operationOf('placeOrder').requestBody?.required).toBe(true);
    expect(operationOf('updateProduct').requestBody?.required).toBe(true);
  });
});

describe('API Gateway request models', () => {
  it.each(routeCases)('%s: a draft-04 model exactly when the route takes a body', (id) => {
    const model = requestModelSchema(id);
    const body = contract[id].body;
    if (!body) {
      expect(model).toBeUndefined();
      return;
    }
    expect(model?.$schema).toBe('http://json-schema.org/draft-04/schema#');
    expectSameStrictness(body, model, `${id} model`);
  });

  it('writes draft-04 keywords (no 2020-12 only ones)', () => {
    const text = JSON.stringify(routeList.map((route) => requestModelSchema(route.id)));
    for (const keyword of ['"const"', '"prefixItems"', '"$defs"', '"unevaluatedProperties"', '"dependentRequired"']) {
      expect(text).not.toContain(keyword);
    }
  });
});

describe('webhooks (the event catalogue)', () => {
  it('has one POST per event type an endpoint can subscribe to, its body the event schema, signed', async () => {
    const { eventCatalogue } = await import('../../functions/core/schemas/event-schemas');
    const { orderEventTypes } = await import('../../functions/core/domain/events');
    const { toJsonSchema } = await import('../../functions/api/openapi');
    expect(Object.keys(document.webhooks)).toEqual([...orderEventTypes]);
    for (const type of orderEventTypes) {
      const operation = document.webhooks[type]!.post;
      const { $schema: _dialect, ...schema } = toJsonSchema(eventCatalogue[type].schema);
      expect(operation.requestBody).toEqual({ required: true, content: { 'application/json': { schema } } });
      expect((schema.properties as Record<string, JsonSchema>).type).toEqual({ type: 'string', const: type });
      expect(operation.parameters.map((parameter) => [parameter.name, parameter.in, parameter.required])).toEqual([
        ['webhook-id', 'header', true],
        ['webhook-timestamp', 'header', true],
        ['webhook-signature', 'header', true],
      ]);
      expect(Object.keys(operation.responses)).toEqual(['2XX']);
      expect(operation.tags).toEqual(['events']);
      expect(operation.description).toContain(eventCatalogue[type].idShape);
    }
    expect(document.tags.map((tag) => tag.name)).toContain('events');
    const ids = [
      ...operations.map(({ operation }) => operation.operationId),
      ...Object.values(document.webhooks).map((hook) => hook.post.operationId),
    ];
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('describes a signature the standardwebhooks package produces', async () => {
    const { Webhook } = await import('standardwebhooks');
    const secret = Buffer.from('a local test secret of 32 bytes!').toString('base64');
    const signature = new Webhook(secret).sign('msg_1', new Date(1_767_225_600_000), '{"id":"x"}');
    const signatureHeader = document.webhooks['order.confirmed']!.post.parameters.find(
      (parameter) => parameter.name === 'webhook-signature',
    )!;
    expect(signature).toMatch(new RegExp(String(signatureHeader.schema.pattern)));
  });

  it('keeps personal data in order.confirmed only', () => {
    const dataOf = (type: string) =>
      Object.keys(
        (
          document.webhooks[type]!.post.requestBody.content['application/json']!.schema.properties as Record<
            string,
            JsonSchema
          >
        ).data!.properties as Record<string, JsonSchema>,
      );
    expect(dataOf('order.confirmed')).toEqual(expect.arrayContaining(['shippingAddress', 'contactEmail']));
    expect(dataOf('order.cancelled')).not.toContain('contactEmail');
    expect(dataOf('order.placed')).not.toContain('paymentMethod');
  });
});

describe('the published document (docs/openapi.json, what GET /openapi.json serves)', () => {
  const projectRoot = resolve(__dirname, '..', '..');

  it('is exactly what the routes and their schemas build now (run `npm run docs:openapi` after changing one)', () => {
    expect(readFileSync(join(projectRoot, publishedOpenApiDocument), 'utf8')).toBe(renderOpenApiDocument(document));
    expect(() => assertPublishedOpenApiCurrent(projectRoot)).not.toThrow();
  });

  it('fails the synth when stale or missing', () => {
    const stale = mkdtempSync(join(tmpdir(), 'openapi-'));
    expect(() => assertPublishedOpenApiCurrent(stale)).toThrow('docs/openapi.json is stale: run npm run docs:openapi');
    mkdirSync(join(stale, 'docs'));
    const older = { ...document, info: { ...document.info, version: '0.0.0' } };
    writeFileSync(join(stale, publishedOpenApiDocument), renderOpenApiDocument(older));
    expect(() => assertPublishedOpenApiCurrent(stale)).toThrow('is stale');
  });
});
