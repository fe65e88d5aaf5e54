import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { contract } from '../../functions/api/contract';
import { routes } from '../../functions/api/routes';
import { httpHandler } from '../../functions/core/handlers/http-handler';
import type { IdempotentExecutor } from '../../functions/core/http/idempotency-key';
import { lambdaContext } from '../../local/emulators/lambda-context';

/** An API Gateway proxy event as the gateway sends it, with an admin's verified claims. */
function event(parts: {
  path?: Record<string, string>;
  query?: Record<string, string>;
  body?: string;
}): APIGatewayProxyEvent {
  return {
    httpMethod: 'POST',
    path: '/test',
    headers: { 'content-type': 'application/json' },
    multiValueHeaders: {},
    body: parts.body ?? null,
    isBase64Encoded: false,
    pathParameters: parts.path ?? null,
    queryStringParameters: parts.query ?? null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: {
      requestId: 'req-1',
      authorizer: { claims: { sub: 'admin-1', username: 'ada', 'cognito:groups': 'admins,customers' } },
    },
  } as unknown as APIGatewayProxyEvent;
}

const invoke =
  (handler: (event: APIGatewayProxyEvent, context: ReturnType<typeof lambdaContext>) => unknown) =>
  (parts: Parameters<typeof event>[0]) =>
    handler(event(parts), lambdaContext('test')) as Promise<APIGatewayProxyResult>;

const problemOf = (result: APIGatewayProxyResult) => JSON.parse(result.body) as { detail: string; errors?: unknown };

const product = { productId: 'p1', name: 'Tea', description: '', price: { amount: 100, currency: 'EUR' } };

describe('httpHandler validates with the route contract before the handler runs', () => {
  it('hands over the query as its schema outputs it (coerced), and refuses what breaks it unseen', async () => {
    const seen: unknown[] = [];
    const call = invoke(
      httpHandler(routes.listProducts, contract.listProducts, async ({ query }) => {
        seen.push(query);
        return { body: { products: [] } };
      }),
    );
    expect((await call({ query: { limit: '5' } })).statusCode).toBe(200);
    expect(seen).toEqual([{ limit: 5 }]);

    for (const query of [{ limit: '0' }, { limit: 'many' }, { sort: 'name' }] as Record<string, string>[]) {
      const refused = await call({ query });
      expect(refused.statusCode).toBe(400);
      expect(problemOf(refused).detail).toBe('invalid query');
    }
    expect(seen).toHaveLength(1);
  });

  it('checks the path before the body, and names the body as the contract does', async () => {
    const handle = jest.fn(async () => ({ body: { ...product, available: 1, active: true, stockShards: 1 } }));
    const call = invoke(httpHandler(routes.updateProduct, contract.updateProduct, handle));

    const badPath = await call({ path: { productId: 'not valid!' }, body: '{}' });
    expect(problemOf(badPath).detail).toBe('invalid path');
    const noChanges = await call({ path: { productId: 'p1' }, body: '{}' });
    expect(problemOf(noChanges).detail).toBe('invalid product changes');
    const noBody = await call({ path: { productId: 'p1' } });
    expect(problemOf(noBody).detail).toBe('invalid product changes');
    expect(handle).not.toHaveBeenCalled();

    await call({ path: { productId: 'p1' }, body: JSON.stringify({ name: '  Green tea  ' }) });
    expect(handle).toHaveBeenCalledWith(
      expect.objectContaining({ path: { productId: 'p1' }, body: { name: 'Green tea' }, query: undefined }),
    );
  });

  it('reads a missing body as {} where the contract takes an empty object, but not a JSON null', async () => {
    const handle = jest.fn(async () => ({
      body: {
        orderId: 'o1',
        status: 'CANCELLED' as const,
        items: [],
        total: { amount: 0, currency: 'EUR' },
        createdAt: '2025-01-01T00:00:00.000Z',
        updatedAt: '2025-01-01T00:00:00.000Z',
      },
    }));
    const passThrough: IdempotentExecutor = async (_request, _context, execute) => execute();
    const call = invoke(
      httpHandler(routes.cancelOrder, contract.cancelOrder, handle, {
        idempotency: passThrough,
        partners: async () => undefined,
      }),
    );

    const result = await call({ path: { orderId: 'o1' } });
    expect(result.statusCode).toBe(contract.cancelOrder.success.status);
    expect(handle).toHaveBeenCalledWith(expect.objectContaining({ body: {} }));

    const withNull = await call({ path: { orderId: 'o1' }, body: 'null' });
    expect(withNull.statusCode).toBe(400);
    expect(problemOf(withNull).detail).toBe('invalid body');
    const withField = await call({ path: { orderId: 'o1' }, body: '{"reason":"x"}' });
    expect(withField.statusCode).toBe(400);
    expect(handle).toHaveBeenCalledTimes(1);
  });

  it("answers with the contract's success status", async () => {
    const call = invoke(
      httpHandler(
        routes.createProduct,
        contract.createProduct,
        async ({ body }) => ({
          body: {
            ...product,
            productId: body.productId ?? 'new',
            available: body.initialStock,
            active: true,
            stockShards: 1,
          },
        }),
        { idempotency: async (_request, _context, execute) => execute() },
      ),
    );
    const created = await call({ body: JSON.stringify({ ...product, initialStock: 3 }) });
    expect(created.statusCode).toBe(201);
    expect(JSON.parse(created.body)).toMatchObject({ productId: 'p1', available: 3 });
  });
});

describe('httpHandler scopes a partner token to the partner that owns its app client', () => {
  const partnerEvent = (clientId: string): APIGatewayProxyEvent =>
    ({
      ...event({ path: { orderId: 'o1' } }),
      httpMethod: 'GET',
      requestContext: {
        requestId: 'req-1',
        // A client-credentials token: no username, no groups, the client id as `sub`.
        authorizer: { claims: { sub: clientId, client_id: clientId, scope: 'orders/read orders/write' } },
      },
    }) as unknown as APIGatewayProxyEvent;
  const registry: Record<string, { partnerId: string; status: 'active' | 'disabled' }> = {
    'client-a': { partnerId: 'partner-a', status: 'active' },
    'client-a2': { partnerId: 'partner-a', status: 'active' },
    'client-b': { partnerId: 'partner-b', status: 'disabled' },
  };
  const seen: string[] = [];
  const handler = httpHandler(
    routes.getOrderHistory,
    contract.getOrderHistory,
    async ({ caller }) => {
      seen.push(caller.customerId);
      return { body: { orderId: 'o1', history: [] } };
    },
    { partners: async (clientId) => registry[clientId] },
  );
  const call = (clientId: string) =>
    handler(partnerEvent(clientId), lambdaContext('test')) as Promise<APIGatewayProxyResult>;

  it("gives every client of a partner the partner's data, whichever client it is", async () => {
    expect((await call('client-a')).statusCode).toBe(200);
    expect((await call('client-a2')).statusCode).toBe(200);
    expect(seen).toEqual(['partner:partner-a', 'partner:partner-a']);
  });

  it('refuses a client no partner owns and a disabled partner, naming the reason, before the handler runs', async () => {
    seen.length = 0;
    const unknown = await call('client-x');
    expect(unknown.statusCode).toBe(403);
    expect(JSON.parse(unknown.body)).toMatchObject({ code: 'UNKNOWN_PARTNER' });
    const disabled = await call('client-b');
    expect(disabled.statusCode).toBe(403);
    expect(JSON.parse(disabled.body)).toMatchObject({ code: 'PARTNER_DISABLED' });
    expect(seen).toEqual([]);
  });

  it('refuses to build a partner route without the lookup, or a customer-only route with one', () => {
    expect(() => httpHandler(routes.getOrder, contract.getOrder, async () => ({ body: {} as never }))).toThrow(
      /partner lookup/,
    );
    expect(() =>
      httpHandler(routes.adminListOrders, contract.adminListOrders, async () => ({ body: {} as never }), {
        partners: async () => undefined,
      }),
    ).toThrow(/partner lookup/);
  });
});
