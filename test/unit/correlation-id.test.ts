import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod/mini';
import { routes } from '../../functions/api/routes';
import { ValidationError } from '../../functions/core/domain/errors';
import { httpHandler, type RouteResponse } from '../../functions/core/handlers/http-handler';
import { correlationIdOf, isCorrelationId } from '../../functions/core/observability/correlation-id';
import { logger } from '../../functions/core/observability/powertools';
import { taskHandler } from '../../functions/core/handlers/task-handler';
import { lambdaContext } from '../../local/emulators/lambda-context';

/** The structured log lines written while `action` runs (Powertools writes one JSON document per line to stdout). */
async function logsOf(action: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const written: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  logger.setLogLevel('INFO');
  try {
    await action();
  } finally {
    logger.setLogLevel('SILENT');
    write.mockRestore();
  }
  return written
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

// Powertools puts the log level back to its initial one on every warm invocation; these tests choose it themselves:
// silent, except while `logsOf` reads what an invocation logs.
beforeAll(() => {
  jest.spyOn(logger, 'refreshSampleRateCalculation').mockImplementation(() => undefined);
  logger.setLogLevel('SILENT');
});
afterAll(() => jest.restoreAllMocks());

describe('the correlation id of an API request', () => {
  it.each([
    'test-corr-123',
    '0f8fad5b-d9cb-469f-a165-70867728950e',
    '01J9ZQ3V7K8N2M4P6R8T0V2X4Z',
    'a',
    'x'.repeat(128),
  ])("takes the client's %p", (sent) => {
    expect(correlationIdOf({ 'x-correlation-id': sent }, 'req-1')).toBe(sent);
  });

  it.each([
    ['an empty value', ''],
    ['a value longer than 128 characters', 'x'.repeat(129)],
    ['spaces', 'two words'],
    ['a line break (log injection)', 'abc\n{"level":"ERROR"}'],
    ['quotes', '"quoted"'],
    ['non-ASCII letters', 'bestellung-ä'],
    ['a path', '../etc/passwd'],
  ])('ignores one with %s and falls back to the request id', (_, sent) => {
    expect(isCorrelationId(sent)).toBe(false);
    expect(correlationIdOf({ 'x-correlation-id': sent }, 'req-1')).toBe('req-1');
  });

  it('falls back to the request id without the header', () => {
    expect(correlationIdOf({}, 'req-2')).toBe('req-2');
  });
});

describe('httpHandler', () => {
  const event = (headers: Record<string, string> = {}): APIGatewayProxyEvent =>
    ({
      httpMethod: 'GET',
      path: '/health',
      resource: '/health',
      headers,
      multiValueHeaders: {},
      body: null,
      isBase64Encoded: false,
      pathParameters: null,
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      stageVariables: null,
      requestContext: { requestId: 'req-from-gateway' },
    }) as unknown as APIGatewayProxyEvent;

  // Any answer will do here: these tests are about the correlation id, not about what the route returns.
  const anyAnswer = { success: { status: 200, schema: z.unknown() } } as const;
  const handlerAnswering = (answer: () => Promise<RouteResponse<typeof anyAnswer>>) => {
    const seen: string[] = [];
    const handler = httpHandler(routes.health, anyAnswer, async (request) => {
      seen.push(request.correlationId);
      logger.info('handling the request');
      return answer();
    });
    const invoke = (headers?: Record<string, string>) =>
      handler(event(headers), lambdaContext('get-health')) as Promise<APIGatewayProxyResult>;
    return { seen, invoke };
  };

  it("echoes the client's id, hands it to the route and puts it on every log line", async () => {
    const { seen, invoke } = handlerAnswering(async () => ({ body: { ok: true } }));
    let result: APIGatewayProxyResult | undefined;
    const lines = await logsOf(async () => {
      result = await invoke({ 'X-Correlation-Id': 'test-corr-123' });
    });
    expect(result?.headers?.['x-correlation-id']).toBe('test-corr-123');
    expect(seen).toEqual(['test-corr-123']);
    const handling = lines.filter((line) => line.message === 'handling the request');
    expect(handling).toEqual([expect.objectContaining({ correlationId: 'test-corr-123' })]);
  });

  it('echoes the request id when the client sent none, or an invalid one', async () => {
    const { seen, invoke } = handlerAnswering(async () => ({ body: { ok: true } }));
    expect((await invoke()).headers?.['x-correlation-id']).toBe('req-from-gateway');
    expect((await invoke({ 'x-correlation-id': 'not valid!' })).headers?.['x-correlation-id']).toBe('req-from-gateway');
    expect(seen).toEqual(['req-from-gateway', 'req-from-gateway']);
  });

  it('echoes it on problem+json errors too', async () => {
    const { invoke } = handlerAnswering(async () => {
      throw new ValidationError('bad input');
    });
    let result: APIGatewayProxyResult | undefined;
    const lines = await logsOf(async () => {
      result = await invoke({ 'x-correlation-id': 'corr-of-a-bad-request' });
    });
    expect(result?.statusCode).toBe(400);
    expect(result?.headers?.['content-type']).toBe('application/problem+json');
    expect(result?.headers?.['x-correlation-id']).toBe('corr-of-a-bad-request');
    expect(lines.find((line) => line.message === 'request rejected')).toMatchObject({
      correlationId: 'corr-of-a-bad-request',
    });
  });

  it('leaves it off answers that shared caches may keep, so one caller never gets another one', async () => {
    const { invoke } = handlerAnswering(async () => ({
      body: { products: [] },
      headers: { 'cache-control': 'public, max-age=30', etag: '"1"' },
    }));
    const result = await invoke({ 'x-correlation-id': 'first-caller' });
    expect(result.headers).not.toHaveProperty('x-correlation-id');
    const notModified = await invoke({ 'x-correlation-id': 'first-caller', 'if-none-match': '"1"' });
    expect(notModified.statusCode).toBe(304);
    expect(notModified.headers).not.toHaveProperty('x-correlation-id');
  });

  it('does not carry one request’s id into the next invocation', async () => {
    const { invoke } = handlerAnswering(async () => ({ body: undefined }));
    await invoke({ 'x-correlation-id': 'earlier-request' });
    const lines = await logsOf(() => invoke());
    expect(lines.find((line) => line.message === 'handling the request')).toMatchObject({
      correlationId: 'req-from-gateway',
    });
  });
});

describe('taskHandler', () => {
  const schema = z.object({ orderId: z.string() });

  it('reads the saga’s correlation id beside the schema and tags the step’s logs with it and the order id', async () => {
    const run = jest.fn(async (input: { orderId: string }) => {
      logger.info('doing the step');
      return { input };
    });
    const handler = taskHandler(schema, run);
    let result: unknown;
    const lines = await logsOf(async () => {
      result = await handler({ orderId: 'ord_1', correlationId: 'test-corr-123' }, lambdaContext('confirm-order'));
    });
    // The schema drops the key, so no step sees it in its input and strict checks downstream stay unaffected.
    expect(result).toEqual({ input: { orderId: 'ord_1' } });
    expect(run).toHaveBeenCalledWith({ orderId: 'ord_1' }, { correlationId: 'test-corr-123' });
    expect(lines.find((line) => line.message === 'doing the step')).toMatchObject({
      correlationId: 'test-corr-123',
      orderId: 'ord_1',
    });
  });

  it.each([
    ['without one', {}],
    ['with a malformed one', { correlationId: 'has spaces in it' }],
    ['with one that is not a string', { correlationId: 42 }],
  ])('runs the step %s, leaving it undefined', async (_, extra) => {
    const run = jest.fn(async () => ({ done: true }));
    const handler = taskHandler(schema, run);
    await expect(handler({ orderId: 'ord_2', ...extra }, lambdaContext('confirm-order'))).resolves.toEqual({
      done: true,
    });
    expect(run).toHaveBeenCalledWith({ orderId: 'ord_2' }, { correlationId: undefined });
  });
});
