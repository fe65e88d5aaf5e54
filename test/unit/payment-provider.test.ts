import {
  HttpPaymentProvider,
  type PaymentProviderTelemetry,
  type PaymentResilience,
} from '../../functions/core/adapters/payment-provider';
import {
  PaymentCaptureError,
  PaymentDeclinedError,
  PaymentProviderError,
  PaymentProviderUnavailableError,
  PaymentTimeoutError,
} from '../../functions/core/domain/errors';
import {
  FaultInjector,
  parseFaultInjectionConfig,
  type FaultRule,
} from '../../functions/core/observability/fault-injection';
import { startPaymentSandbox, type PaymentSandbox } from '../../local/emulators/payment-sandbox';

/** What the fake provider does with one request. */
type Reply = { status: number; body?: unknown } | 'hang' | 'network-error';

const authorized = (id = 'auth_1') => ({
  status: 201,
  body: { id, status: 'authorized', reference: 'order-1', amount: 1000, currency: 'EUR' },
});

const authorization = {
  reference: 'order-1',
  amount: { amount: 1000, currency: 'EUR' },
  paymentToken: 'tok_visa',
  idempotencyKey: 'order-1:authorize',
};

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * An adapter in front of a scripted fake `fetch` (each request takes the next reply; 500 once the script runs out),
 * with short timings: 50 ms per request, 1-5 ms backoff, a breaker that opens after 3 failures for 100 ms.
 */
function adapter(replies: Reply[], resilience: Partial<PaymentResilience> = {}, faults?: FaultRule[]) {
  const requests: { method: string; url: string; idempotencyKey: string | null; correlationId: string | null }[] = [];
  const events: string[] = [];
  const fakeFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    requests.push({
      method: init?.method ?? 'GET',
      url: String(input),
      idempotencyKey: new Headers(init?.headers).get('idempotency-key'),
      correlationId: new Headers(init?.headers).get('x-correlation-id'),
    });
    const reply = replies.shift() ?? { status: 500 };
    if (reply === 'network-error') throw new TypeError('fetch failed');
    if (reply === 'hang') {
      return new Promise<Response>((_resolve, reject) =>
        init?.signal?.addEventListener('abort', () => reject(init.signal!.reason as Error)),
      );
    }
    return new Response(JSON.stringify(reply.body ?? { error: { code: 'processing_error' } }), {
      status: reply.status,
      headers: { 'content-type': 'application/json' },
    });
  };
  const telemetry: PaymentProviderTelemetry = {
    requestCompleted: () => undefined,
    retrying: (attempt) => events.push(`retry ${attempt}`),
    breakerChanged: (state) => events.push(`breaker ${state}`),
    faultInjected: (fault) => events.push(`fault ${fault.mode}`),
  };
  const payments = new HttpPaymentProvider({
    baseUrl: 'http://127.0.0.1:9',
    apiKey: async () => 'sk_test',
    timeoutMs: 50,
    resilience: {
      backoffInitialMs: 5,
      backoffMaxMs: 5,
      breakerThreshold: 3,
      breakerHalfOpenAfterMs: 100,
      ...resilience,
    },
    telemetry,
    fetch: fakeFetch as typeof fetch,
    ...(faults
      ? { faults: new FaultInjector(parseFaultInjectionConfig(JSON.stringify({ seed: 1, rules: faults }))) }
      : {}),
  });
  return { payments, requests, events, replies };
}

describe('payment adapter correlation ids', () => {
  it('sends the caller’s correlation id with every attempt of every call, and none when there is none', async () => {
    const { payments, requests } = adapter([
      { status: 500 },
      authorized('auth_1'),
      { status: 200, body: { data: [authorized('auth_1').body] } },
      { status: 200, body: { ...authorized('auth_1').body, status: 'voided' } },
      { status: 200, body: {} },
      authorized('auth_2'),
    ]);
    await payments.authorize({ ...authorization, correlationId: 'corr-1' });
    await payments.reverse('order-1', 'order-1:reverse', 'corr-2');
    await payments.capture('auth_1', 'order-1:capture', 'corr-3');
    await payments.authorize({ ...authorization, idempotencyKey: 'order-2:authorize' });
    expect(requests.map((request) => [request.method, request.correlationId])).toEqual([
      ['POST', 'corr-1'],
      ['POST', 'corr-1'],
      ['GET', 'corr-2'],
      ['POST', 'corr-2'],
      ['POST', 'corr-3'],
      ['POST', null],
    ]);
  });
});

describe('payment adapter retries', () => {
  it('never retries a decline', async () => {
    const { payments, requests } = adapter([{ status: 402, body: { error: { code: 'card_declined' } } }]);
    await expect(payments.authorize(authorization)).rejects.toThrow(PaymentDeclinedError);
    expect(requests).toHaveLength(1);
  });

  it('never retries a 409 refusal', async () => {
    const { payments, requests } = adapter([{ status: 409, body: { error: { code: 'authorization_voided' } } }]);
    await expect(payments.capture('auth_1', 'order-1:capture')).rejects.toThrow(PaymentCaptureError);
    expect(requests).toHaveLength(1);
  });

  it('does not retry other answers of the provider (4xx)', async () => {
    const { payments, requests } = adapter([{ status: 400, body: { error: { code: 'parameter_invalid' } } }]);
    await expect(payments.authorize(authorization)).rejects.toThrow(/answered 400: parameter_invalid/);
    expect(requests).toHaveLength(1);
  });

  it('retries a 500 with the same idempotency key and returns the answer of the retry', async () => {
    const { payments, requests, events } = adapter([{ status: 500 }, authorized('auth_2')]);
    await expect(payments.authorize(authorization)).resolves.toEqual({ authorizationId: 'auth_2' });
    expect(requests.map((request) => request.idempotencyKey)).toEqual(['order-1:authorize', 'order-1:authorize']);
    expect(events).toEqual(['retry 1']);
  });

  it('retries a network error', async () => {
    const { payments, requests } = adapter(['network-error', authorized()]);
    await expect(payments.authorize(authorization)).resolves.toEqual({ authorizationId: 'auth_1' });
    expect(requests).toHaveLength(2);
  });

  it('gives each request its own deadline and retries a timeout with the same idempotency key', async () => {
    const { payments, requests } = adapter(['hang', authorized()]);
    const started = performance.now();
    await expect(payments.authorize(authorization)).resolves.toEqual({ authorizationId: 'auth_1' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    expect(requests.map((request) => request.idempotencyKey)).toEqual(['order-1:authorize', 'order-1:authorize']);
  });

  it('gives up after its attempts with the last error, leaving further retries to the state machine', async () => {
    const { payments, requests } = adapter(['hang', 'hang', authorized()]);
    await expect(payments.authorize(authorization)).rejects.toThrow(PaymentTimeoutError);
    expect(requests).toHaveLength(2);
  });
});

describe('payment adapter circuit breaker', () => {
  it('opens after N consecutive failures, then fails fast without calling the provider', async () => {
    const { payments, requests, events } = adapter([{ status: 500 }, { status: 503 }, 'network-error']);
    await expect(payments.authorize(authorization)).rejects.toThrow(PaymentProviderError);
    // The third failure opens the breaker; the retry that follows is refused at once.
    const opened = payments.authorize(authorization);
    await expect(opened).rejects.toThrow(PaymentProviderUnavailableError);
    await expect(opened).rejects.toMatchObject({ name: 'PaymentProviderUnavailableError', code: 'PAYMENT_ERROR' });
    expect(events).toEqual(['retry 1', 'breaker open', 'retry 1']);
    expect(requests).toHaveLength(3);

    for (let call = 0; call < 5; call++) {
      await expect(payments.listPayments('2024-01-01T00:00:00Z')).rejects.toThrow(PaymentProviderUnavailableError);
    }
    expect(requests).toHaveLength(3);
  });

  it('lets compensations through while open: a void must not give up without trying', async () => {
    const { payments, requests, replies } = adapter([{ status: 500 }, { status: 500 }, { status: 500 }]);
    await expect(payments.authorize(authorization)).rejects.toThrow(PaymentProviderError);
    await expect(payments.authorize(authorization)).rejects.toThrow(PaymentProviderUnavailableError);
    replies.push(
      { status: 200, body: { data: [authorized().body] } },
      { status: 200, body: { ...authorized().body, status: 'voided' } },
    );
    await expect(payments.reverse('order-1', 'order-1:reverse')).resolves.toEqual({ voided: 1, refunded: 0 });
    expect(requests.slice(-2).map(({ method, url }) => `${method} ${new URL(url).pathname}`)).toEqual([
      'GET /v1/authorizations',
      'POST /v1/authorizations/auth_1/void',
    ]);
    // The compensation's success says nothing about the breaker's own trial: it is still open.
    await expect(payments.authorize(authorization)).rejects.toThrow(PaymentProviderUnavailableError);
  });

  it('half-opens after the configured time: a successful trial closes it', async () => {
    const { payments, requests, events, replies } = adapter([{ status: 500 }, { status: 500 }, { status: 500 }]);
    await expect(payments.authorize(authorization)).rejects.toThrow(PaymentProviderError);
    await expect(payments.authorize(authorization)).rejects.toThrow(PaymentProviderUnavailableError);
    await wait(40);
    await expect(payments.authorize(authorization)).rejects.toThrow(PaymentProviderUnavailableError);

    await wait(80);
    replies.push(authorized(), authorized());
    await expect(payments.authorize(authorization)).resolves.toEqual({ authorizationId: 'auth_1' });
    expect(events).toEqual(['retry 1', 'breaker open', 'retry 1', 'breaker half-open', 'breaker closed']);
    await expect(payments.authorize(authorization)).resolves.toEqual({ authorizationId: 'auth_1' });
    expect(requests).toHaveLength(5);
  });

  it('opens again when the trial fails', async () => {
    const { payments, requests, events } = adapter([]);
    await expect(payments.authorize(authorization)).rejects.toThrow(PaymentProviderError);
    await expect(payments.authorize(authorization)).rejects.toThrow(PaymentProviderUnavailableError);
    await wait(120);
    await expect(payments.authorize(authorization)).rejects.toThrow(PaymentProviderUnavailableError);
    expect(requests).toHaveLength(4);
    expect(events.slice(-3)).toEqual(['breaker half-open', 'breaker open', 'retry 1']);
  });

  it('does not count declines: the provider is up and has decided', async () => {
    const decline = { status: 402, body: { error: { code: 'card_declined' } } };
    const { payments, requests, events } = adapter(Array.from({ length: 6 }, () => decline));
    for (let call = 0; call < 6; call++) {
      await expect(payments.authorize(authorization)).rejects.toThrow(PaymentDeclinedError);
    }
    expect(requests).toHaveLength(6);
    expect(events).toEqual([]);
  });
});

describe('payment adapter fault injection', () => {
  it('error behaves like a 500 without reaching the provider', async () => {
    const { payments, requests, events } = adapter([authorized()], { breakerThreshold: 10 }, [
      { target: 'payment-provider', mode: 'error', rate: 1 },
    ]);
    await expect(payments.authorize(authorization)).rejects.toThrow(/answered 500: injected fault/);
    expect(requests).toHaveLength(0);
    expect(events).toEqual(['fault error', 'retry 1', 'fault error']);
  });

  it('timeout waits for the deadline, like a provider that never answers', async () => {
    const { payments, requests } = adapter([authorized()], { breakerThreshold: 10 }, [
      { target: 'payment-provider', mode: 'timeout', rate: 1 },
    ]);
    const started = performance.now();
    await expect(payments.authorize(authorization)).rejects.toThrow(PaymentTimeoutError);
    expect(performance.now() - started).toBeGreaterThanOrEqual(95);
    expect(requests).toHaveLength(0);
  });

  it('crash-after lets the request through and loses the answer, so the retry repeats the idempotency key', async () => {
    const { payments, requests } = adapter([authorized(), authorized()], { breakerThreshold: 10 }, [
      { target: 'payment-provider', mode: 'crash-after', rate: 1 },
    ]);
    await expect(payments.authorize(authorization)).rejects.toThrow(/lost before its answer/);
    expect(requests.map((request) => request.idempotencyKey)).toEqual(['order-1:authorize', 'order-1:authorize']);
  });
});

describe('payment adapter against the sandbox', () => {
  let sandbox: PaymentSandbox;
  const provider = (resilience: Partial<PaymentResilience> = {}) =>
    new HttpPaymentProvider({
      baseUrl: sandbox.url,
      apiKey: async () => sandbox.apiKey,
      timeoutMs: 100,
      resilience: {
        backoffInitialMs: 5,
        backoffMaxMs: 5,
        breakerThreshold: 4,
        breakerHalfOpenAfterMs: 150,
        ...resilience,
      },
      telemetry: {
        requestCompleted: () => undefined,
        retrying: () => undefined,
        breakerChanged: () => undefined,
        faultInjected: () => undefined,
      },
    });

  beforeEach(async () => {
    sandbox = await startPaymentSandbox({ port: 0, apiKey: 'sk_test_unit', hangMs: 400 });
  });

  afterEach(async () => {
    await sandbox.stop();
  });

  it('retries a timeout with the same Idempotency-Key: one authorization, voided by reference afterwards', async () => {
    const payments = provider();
    await expect(
      payments.authorize({ ...authorization, paymentToken: 'tok_timeout', idempotencyKey: 'order-1:authorize' }),
    ).rejects.toThrow(PaymentTimeoutError);
    expect(sandbox.authorizations().filter((made) => made.reference === 'order-1')).toHaveLength(1);
    await expect(payments.reverse('order-1', 'order-1:reverse')).resolves.toEqual({ voided: 1, refunded: 0 });
    expect(sandbox.authorizations().map((made) => made.status)).toEqual(['voided']);
  });

  it('refuses an authorization that a replayed key answers with after it was voided', async () => {
    // A saga voided the order's authorization, then the step ran again (resumed after a crash, a duplicate
    // execution): the provider replays its first answer, which names a voided authorization.
    const payments = provider();
    await expect(payments.authorize(authorization)).resolves.toMatchObject({ authorizationId: expect.any(String) });
    await expect(payments.reverse('order-1', 'order-1:reverse')).resolves.toEqual({ voided: 1, refunded: 0 });
    await expect(payments.authorize(authorization)).rejects.toMatchObject({
      name: 'PaymentAuthorizationReversedError',
      code: 'PAYMENT_ERROR',
    });
    expect(sandbox.authorizations().map((made) => made.status)).toEqual(['voided']);
  });

  it('fails fast during an outage and recovers once the provider is back', async () => {
    const payments = provider();
    sandbox.setOutage('error');
    await expect(payments.authorize(authorization)).rejects.toThrow(/answered 500: api_error/);
    await expect(payments.authorize(authorization)).rejects.toThrow(/answered 500: api_error/);
    await expect(payments.authorize(authorization)).rejects.toThrow(PaymentProviderUnavailableError);

    sandbox.setOutage(undefined);
    await expect(payments.authorize(authorization)).rejects.toThrow(PaymentProviderUnavailableError);
    await wait(200);
    await expect(payments.authorize(authorization)).resolves.toMatchObject({ authorizationId: expect.any(String) });
    expect(sandbox.authorizations()).toHaveLength(1);
  });

  it('times out on a hanging outage without the provider doing anything', async () => {
    const payments = provider();
    sandbox.setOutage('timeout');
    await expect(payments.authorize(authorization)).rejects.toThrow(PaymentTimeoutError);
    sandbox.setOutage(undefined);
    expect(sandbox.authorizations()).toEqual([]);
  });
});
