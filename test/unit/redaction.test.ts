import { Tracer } from '@aws-lambda-powertools/tracer';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import * as z from 'zod/mini';
import { routes } from '../../functions/api/routes';
import { httpHandler } from '../../functions/core/handlers/http-handler';
import { logger, tracer } from '../../functions/core/observability/powertools';
import { lambdaContext } from '../../local/emulators/lambda-context';
import {
  personalDataReplacer,
  redactedForConsole,
  redactedMarker,
  redactText,
} from '../../functions/core/observability/redaction';

const address = {
  name: 'Quirinia Zwetschgenbaum',
  line1: 'Xylophonweg 987',
  city: 'Berlin',
  postalCode: '10115',
  country: 'DE',
  phone: '+4930987654',
};
const order = { orderId: 'ord_1', status: 'CONFIRMED', shippingAddress: address, contactEmail: 'q.z@example.org' };

/** The lines the shared logger writes while `action` runs (one JSON document per line). */
function logsOf(action: () => void): string[] {
  const written: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  };
  // Warnings and errors go to stderr.
  const writes = [process.stdout, process.stderr].map((stream) =>
    jest.spyOn(stream, 'write').mockImplementation(capture),
  );
  const level = logger.getLevelName();
  logger.setLogLevel('DEBUG');
  try {
    action();
  } finally {
    logger.setLogLevel(level);
    for (const write of writes) write.mockRestore();
  }
  return written.join('').split('\n').filter(Boolean);
}

const personal = /Quirinia|Zwetschgenbaum|Xylophonweg|\+4930987654|q\.z@example\.org/;

describe('personal data in log lines', () => {
  it('blanks a 3-D Secure client secret by key and by shape, and keeps the PaymentIntent id', () => {
    const secret = 'pi_3Ab12cD_secret_9zYxWv';
    const lines = logsOf(() => {
      logger.info('order waiting', {
        order: { orderId: 'ord_1', paymentAction: { paymentIntentId: 'pi_3Ab12cD', clientSecret: secret } },
      });
      logger.warn('stripe said', { detail: `intent {"client_secret":"${secret}"} needs action` });
      logger.error('raw', { intent: { client_secret: secret } });
    });
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).not.toContain(secret);
    expect(lines[0]).toContain('pi_3Ab12cD');
    expect(redactText(`see ${secret}`)).toBe(`see ${redactedMarker}`);
  });

  it('the shared logger blanks addresses, emails and phones wherever they sit, and keeps the rest', () => {
    const lines = logsOf(() => {
      logger.info('order stored', { order });
      logger.debug('event', { detail: { type: 'order.confirmed', data: order } });
      logger.warn('batch', { orders: [order, order] });
      logger.info('request body', { body: { items: [], shippingAddress: address, contactEmail: 'q.z@example.org' } });
    });
    expect(lines).toHaveLength(4);
    for (const line of lines) expect(line).not.toMatch(personal);
    const first = JSON.parse(lines[0]!) as { order: Record<string, unknown> };
    expect(first.order).toEqual({
      orderId: 'ord_1',
      status: 'CONFIRMED',
      shippingAddress: redactedMarker,
      contactEmail: redactedMarker,
    });
  });

  it('covers errors: their fields, their messages and their causes', () => {
    class StoreError extends Error {
      readonly item = order;
    }
    const cause = new Error(`could not write ${JSON.stringify(order)}`);
    const lines = logsOf(() => {
      logger.error('request failed', {
        error: new StoreError('conditional check failed for q.z@example.org', { cause }),
      });
      logger.error('delivery failed', new Error('mail to q.z@example.org bounced'));
    });
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).not.toMatch(personal);
    expect(lines[0]).toContain('conditional check failed for [redacted]');
    expect(lines[0]).toContain('"orderId":"ord_1"');
  });

  it('redacts JSON quoted in a message and emails in free text, and leaves other text alone', () => {
    expect(
      redactText(`body was ${JSON.stringify({ contactEmail: 'q.z@example.org', shippingAddress: address })}`),
    ).toBe(`body was {"contactEmail":"${redactedMarker}","shippingAddress":"${redactedMarker}"}`);
    expect(redactText('write to Q.Z+orders@mail.example.co.uk today')).toBe(`write to ${redactedMarker} today`);
    const clean = 'order ord_01J placed at 2026-12-03T06:00:00.000Z, correlation corr-1@2 (retry 3)';
    expect(redactText(clean)).toBe(clean);
    expect(JSON.stringify({ email: null, phone: undefined, count: 3 }, personalDataReplacer)).toBe(
      '{"email":null,"count":3}',
    );
  });

  it('redacts console output of the local runtime, errors with their causes', () => {
    const error = new Error('handler failed', {
      cause: new Error(`item ${JSON.stringify({ shippingAddress: address })}`),
    });
    const text = redactedForConsole(error);
    expect(text).toContain('handler failed');
    expect(text).toContain('caused by');
    expect(text).not.toMatch(personal);
    expect(redactedForConsole({ order })).not.toMatch(personal);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(redactedForConsole(cyclic)).toBe('[unprintable object]');
  });
});

describe('personal data in traces', () => {
  const saved = { ...process.env };
  afterEach(() => {
    jest.restoreAllMocks();
    process.env = { ...saved };
  });

  it('API handlers do not record their response (an order, with its address) as trace metadata', async () => {
    // A sampled invocation in Lambda, so the tracer loads (functions/core/observability/sampled-tracer.ts), but no
    // X-Ray daemon and no segment: only the metadata calls are left to watch. HTTP capture off: nothing to patch here.
    process.env.AWS_EXECUTION_ENV = 'AWS_Lambda_nodejs22.x';
    process.env.POWERTOOLS_TRACER_CAPTURE_HTTPS_REQUESTS = 'false';
    process.env._X_AMZN_TRACE_ID = 'Root=1-6750a1b2-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1';
    jest.spyOn(Tracer.prototype, 'getSegment').mockReturnValue(undefined);
    jest.spyOn(Tracer.prototype, 'annotateColdStart').mockImplementation(() => undefined);
    jest.spyOn(Tracer.prototype, 'addServiceNameAnnotation').mockImplementation(() => undefined);
    const recorded = jest.spyOn(Tracer.prototype, 'addResponseAsMetadata').mockImplementation(() => undefined);
    const handler = httpHandler(
      routes.health,
      { success: { status: 200, schema: z.unknown() } } as const,
      async () => ({
        body: order,
      }),
    );
    const event = {
      httpMethod: 'GET',
      path: '/health',
      headers: {},
      body: null,
      isBase64Encoded: false,
      pathParameters: null,
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      requestContext: { requestId: 'req-1' },
    } as unknown as APIGatewayProxyEvent;
    const result = (await handler(event, lambdaContext('get-health'))) as { statusCode: number; body: string };
    expect(result.statusCode).toBe(200);
    expect(result.body).toContain('Zwetschgenbaum');
    expect(tracer.loaded).toBe(true);
    expect(recorded).not.toHaveBeenCalled();
  });
});
