import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type middy from '@middy/core';
import { SampledTracer } from '../../functions/core/observability/sampled-tracer';

// The X-Ray SDK's middleware on a captured AWS SDK v3 client (aws-xray-sdk-core, patchers/aws3_p).
const xrayMiddleware = 'XRaySDKInstrumentation';
const hasXRayMiddleware = (client: DynamoDBClient) =>
  client.middlewareStack.identify().some((entry) => entry.startsWith(xrayMiddleware));
const request = () =>
  ({ event: {}, context: {}, response: undefined, error: undefined, internal: {} }) as unknown as middy.Request;
const traceHeader = (sampled: 0 | 1) =>
  `Root=1-6750a1b2-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=${sampled}`;

describe('SampledTracer: the Powertools tracer and the X-Ray SDK load at the first sampled invocation', () => {
  const saved = { ...process.env };
  beforeEach(() => {
    // As in Lambda: Powertools traces only in a Lambda execution environment.
    process.env.AWS_EXECUTION_ENV = 'AWS_Lambda_nodejs22.x';
    process.env._HANDLER = 'index.handler';
  });
  afterEach(() => {
    jest.restoreAllMocks();
    process.env = { ...saved };
  });

  it('loads nothing and leaves clients untouched while invocations are not sampled (and offline, with no header)', async () => {
    const tracer = new SampledTracer();
    const client = tracer.captureAWSv3Client(new DynamoDBClient({ region: 'us-east-1' }));
    const middleware = tracer.middleware({ captureResponse: false });
    for (const header of [undefined, traceHeader(0)]) {
      if (header === undefined) delete process.env._X_AMZN_TRACE_ID;
      else process.env._X_AMZN_TRACE_ID = header;
      const invocation = request();
      await middleware.before!(invocation);
      tracer.putAnnotation('orderId', 'o-1');
      await middleware.after!(invocation);
    }
    expect(tracer.loaded).toBe(false);
    expect(hasXRayMiddleware(client)).toBe(false);
  });

  it('loads nothing on a sampled invocation when POWERTOOLS_TRACE_ENABLED is false', async () => {
    process.env.POWERTOOLS_TRACE_ENABLED = 'false';
    process.env._X_AMZN_TRACE_ID = traceHeader(1);
    const tracer = new SampledTracer();
    const client = tracer.captureAWSv3Client(new DynamoDBClient({ region: 'us-east-1' }));
    await tracer.middleware().before!(request());
    expect(tracer.loaded).toBe(false);
    expect(hasXRayMiddleware(client)).toBe(false);
  });

  it('on a sampled invocation loads the tracer, captures the clients built before, and traces from then on', async () => {
    // Outside Lambda there is no facade segment to annotate: the X-Ray SDK says so on console.warn.
    jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const tracer = new SampledTracer();
    const before = tracer.captureAWSv3Client(new DynamoDBClient({ region: 'us-east-1' }));
    const middleware = tracer.middleware();
    process.env._X_AMZN_TRACE_ID = traceHeader(0);
    await middleware.before!(request());
    expect(tracer.loaded).toBe(false);

    process.env._X_AMZN_TRACE_ID = traceHeader(1);
    const sampled = request();
    await middleware.before!(sampled);
    expect(tracer.loaded).toBe(true);
    expect(hasXRayMiddleware(before)).toBe(true);
    const after = tracer.captureAWSv3Client(new DynamoDBClient({ region: 'us-east-1' }));
    expect(hasXRayMiddleware(after)).toBe(true);
    await middleware.after!(sampled);
  });
});
