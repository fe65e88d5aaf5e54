import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import {
  BrokenCircuitError,
  circuitBreaker,
  ConsecutiveBreaker,
  ExponentialBackoff,
  fullJitterGenerator,
  handleWhen,
  retry,
  TaskCancelledError,
  timeout,
  TimeoutStrategy,
  type CircuitBreakerPolicy,
  type RetryPolicy,
  type TimeoutPolicy,
} from 'cockatiel';
import {
  PaymentAuthorizationReversedError,
  PaymentCaptureError,
  PaymentDeclinedError,
  PaymentProviderError,
  PaymentProviderUnavailableError,
  PaymentTimeoutError,
} from '../domain/errors';
import type { AuthorizationRequest, PaymentProvider, PaymentRecord } from '../domain/ports';
import { faultInjectionFromEnv, sleep, type FaultInjector } from '../observability/fault-injection';
import {
  defaultPaymentResilience,
  powertoolsPaymentTelemetry,
  type PaymentProviderTelemetry,
  type PaymentResilience,
} from './payment-resilience';
export {
  defaultPaymentResilience,
  powertoolsPaymentTelemetry,
  type PaymentProviderTelemetry,
  type PaymentResilience,
} from './payment-resilience';
import { settings, type Settings } from '../config/settings';

interface ProviderAuthorization {
  id: string;
  status: 'authorized' | 'voided' | 'captured' | 'refunded';
  reference: string;
  amount: number;
  currency: string;
}

export interface HttpPaymentProviderOptions {
  readonly baseUrl: string;
  readonly apiKey: () => Promise<string>;
  /** Deadline of one request (connection, answer and body). */
  readonly timeoutMs: number;
  readonly resilience?: Partial<PaymentResilience>;
  readonly telemetry?: PaymentProviderTelemetry;
  /** Offline and dev only (FAULT_INJECTION): makes requests fail, hang or slow down as a sick provider would. */
  readonly faults?: FaultInjector;
  /** The HTTP client; tests substitute a fake. */
  readonly fetch?: typeof fetch;
}

/** The provider refused an operation on a payment in its current state (say, capturing a voided authorization). */
class PaymentRefusedError extends PaymentProviderError {
  constructor(readonly providerCode: string) {
    super(`payment provider refused: ${providerCode}`);
  }
}

interface CallOptions {
  readonly bypassBreaker?: boolean;
  /** Sent as `x-correlation-id` with every attempt of the call. */
  readonly correlationId?: string | undefined;
}

/**
 * Compensations (voids and refunds) always try the provider. They are rare and must get through: failing fast would
 * burn the state machine's retries (seconds apart, or milliseconds in tests) without one real request, and leave
 * an authorization live when the provider had already recovered. Their outcomes do not feed the breaker either.
 */
const compensation: CallOptions = { bypassBreaker: true };

const reversals: Partial<Record<ProviderAuthorization['status'], 'void' | 'refund'>> = {
  authorized: 'void',
  captured: 'refund',
};

/** Errors the provider answered deliberately (4xx other than 402/409): repeating the request cannot help. */
const answeredByProvider = new WeakSet<Error>();

/**
 * Transient: worth another request with the same idempotency key, and evidence that the provider is unwell (counted
 * by the breaker). Declines, refusals and other 4xx answers are neither: the provider is up and has decided.
 */
function isTransient(error: Error): boolean {
  if (error instanceof PaymentTimeoutError) return true;
  return (
    error instanceof PaymentProviderError &&
    !(error instanceof PaymentRefusedError) &&
    !(error instanceof PaymentProviderUnavailableError) &&
    !answeredByProvider.has(error)
  );
}

/**
 * Adapter for a card payment provider with a Stripe-like HTTP API (idempotency keys, authorize then void/capture).
 * Offline it talks to the local sandbox provider; in AWS to the endpoint and key the environment config names.
 * Declines are business outcomes; transient failures are retried a little here (see PaymentResilience), each
 * request under its own deadline, behind a consecutive-failure circuit breaker that turns an outage into an
 * immediate PaymentProviderUnavailableError instead of a timeout per request (compensations excepted, see
 * `compensation`). The breaker lives as long as the function instance, so each warm instance learns about an
 * outage on its own.
 */
export class HttpPaymentProvider implements PaymentProvider {
  private readonly retry: RetryPolicy;
  private readonly breaker: CircuitBreakerPolicy;
  private readonly deadline: TimeoutPolicy;
  private readonly telemetry: PaymentProviderTelemetry;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: HttpPaymentProviderOptions) {
    const resilience = { ...defaultPaymentResilience, ...options.resilience };
    this.telemetry = options.telemetry ?? powertoolsPaymentTelemetry;
    // Wrapped, so the global fetch is never called with the adapter as its `this`.
    this.fetch = options.fetch ?? ((input, init) => fetch(input, init));
    // The same idempotency key goes with every attempt, so a retry after a lost answer returns the first result.
    this.retry = retry(handleWhen(isTransient), {
      maxAttempts: Math.max(0, resilience.attempts - 1),
      backoff: new ExponentialBackoff({
        generator: fullJitterGenerator,
        initialDelay: resilience.backoffInitialMs,
        maxDelay: resilience.backoffMaxMs,
      }),
    });
    this.retry.onRetry(({ attempt, delay, ...reason }) =>
      this.telemetry.retrying(attempt, delay, 'error' in reason ? reason.error : undefined),
    );
    this.breaker = circuitBreaker(handleWhen(isTransient), {
      halfOpenAfter: resilience.breakerHalfOpenAfterMs,
      breaker: new ConsecutiveBreaker(Math.max(1, resilience.breakerThreshold)),
    });
    this.breaker.onBreak(() => this.telemetry.breakerChanged('open'));
    this.breaker.onHalfOpen(() => this.telemetry.breakerChanged('half-open'));
    this.breaker.onReset(() => this.telemetry.breakerChanged('closed'));
    // Aggressive: the deadline holds even if something inside ignores the abort signal.
    this.deadline = timeout(options.timeoutMs, TimeoutStrategy.Aggressive);
  }

  async authorize(request: AuthorizationRequest): Promise<{ authorizationId: string }> {
    const body = {
      amount: request.amount.amount,
      currency: request.amount.currency,
      paymentToken: request.paymentToken,
      reference: request.reference,
    };
    const authorization = await this.call<ProviderAuthorization>(
      'POST',
      '/v1/authorizations',
      request.idempotencyKey,
      body,
      { correlationId: request.correlationId },
    );
    // A replayed key answers with the authorization it created, which may have been voided since by the compensation
    // of an earlier execution (then the crash or a duplicate execution ran this step again): confirming the order on
    // it would ship goods nobody pays for.
    if (authorization.status !== 'authorized') {
      throw new PaymentAuthorizationReversedError(
        `authorization ${authorization.id} for ${request.reference} is ${authorization.status}, no longer usable`,
      );
    }
    return { authorizationId: authorization.id };
  }

  async capture(authorizationId: string, idempotencyKey: string, correlationId?: string): Promise<void> {
    try {
      await this.call(
        'POST',
        `/v1/authorizations/${encodeURIComponent(authorizationId)}/capture`,
        idempotencyKey,
        undefined,
        { correlationId },
      );
    } catch (error) {
      if (error instanceof PaymentRefusedError) {
        throw new PaymentCaptureError(`capture refused: ${error.providerCode}`, { cause: error });
      }
      throw error;
    }
  }

  async reverse(
    reference: string,
    idempotencyKey: string,
    correlationId?: string,
  ): Promise<{ voided: number; refunded: number }> {
    const options: CallOptions = { ...compensation, correlationId };
    const { data } = await this.call<{ data: ProviderAuthorization[] }>(
      'GET',
      `/v1/authorizations?reference=${encodeURIComponent(reference)}`,
      undefined,
      undefined,
      options,
    );
    let voided = 0;
    let refunded = 0;
    for (const authorization of data) {
      // Live authorizations are voided, captured ones refunded; voided and refunded ones need nothing.
      const action = reversals[authorization.status];
      if (!action) continue;
      await this.call(
        'POST',
        `/v1/authorizations/${encodeURIComponent(authorization.id)}/${action}`,
        `${idempotencyKey}:${action}:${authorization.id}`,
        undefined,
        options,
      );
      if (action === 'void') voided++;
      else refunded++;
    }
    return { voided, refunded };
  }

  async listPayments(since: string): Promise<PaymentRecord[]> {
    const payments: PaymentRecord[] = [];
    let startingAfter: string | undefined;
    for (;;) {
      const query = new URLSearchParams({ created_gte: since, limit: '100' });
      if (startingAfter) query.set('starting_after', startingAfter);
      const page = await this.call<{ data: ProviderAuthorization[]; has_more: boolean }>(
        'GET',
        `/v1/authorizations?${query.toString()}`,
      );
      payments.push(
        ...page.data.map(({ id, reference, amount, currency, status }) => ({
          id,
          reference,
          amount,
          currency,
          status,
        })),
      );
      if (!page.has_more || page.data.length === 0) return payments;
      startingAfter = page.data.at(-1)!.id;
    }
  }

  /** One logical call: retried on transient failures, each attempt through the breaker and under the deadline. */
  private async call<T>(
    method: string,
    path: string,
    idempotencyKey?: string,
    body?: unknown,
    { bypassBreaker = false, correlationId }: CallOptions = {},
  ): Promise<T> {
    // Outside the policies: a Secrets Manager hiccup says nothing about the provider's health.
    const apiKey = await this.options.apiKey();
    const headers = {
      authorization: `Bearer ${apiKey}`,
      'content-type': 'application/json',
      ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
      ...(correlationId ? { 'x-correlation-id': correlationId } : {}),
    };
    const attempt = () => this.attempt<T>(method, path, headers, body);
    try {
      return await this.retry.execute(() => (bypassBreaker ? attempt() : this.breaker.execute(attempt)));
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        throw new PaymentProviderUnavailableError('payment provider circuit breaker is open: failing fast', {
          cause: error,
        });
      }
      throw error;
    }
  }

  private async attempt<T>(
    method: string,
    path: string,
    headers: Readonly<Record<string, string>>,
    body: unknown,
  ): Promise<T> {
    const started = performance.now();
    try {
      return await this.deadline.execute(({ signal }) => this.request<T>(method, path, headers, body, signal));
    } catch (error) {
      if (error instanceof TaskCancelledError) throw this.timedOut(error);
      throw error;
    } finally {
      this.telemetry.requestCompleted(performance.now() - started);
    }
  }

  private timedOut(cause: unknown): PaymentTimeoutError {
    return new PaymentTimeoutError(`payment provider gave no answer within ${this.options.timeoutMs} ms`, { cause });
  }

  private async request<T>(
    method: string,
    path: string,
    headers: Readonly<Record<string, string>>,
    body: unknown,
    signal: AbortSignal,
  ): Promise<T> {
    const fault = this.options.faults?.forPaymentProvider();
    if (fault) {
      this.telemetry.faultInjected(fault);
      if (fault.mode === 'error') throw new PaymentProviderError('payment provider answered 500: injected fault');
      // Waits for the deadline to abort it, exactly as a request to a provider that never answers.
      if (fault.mode === 'timeout') await sleep(2 ** 31 - 1, signal);
      if (fault.mode === 'delay') await sleep(fault.delayMs, signal);
    }
    let response: Response;
    let payload: { error?: { code?: string } } | undefined;
    try {
      response = await this.fetch(new URL(path, this.options.baseUrl), {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal,
      });
      payload = (await response.json().catch(() => undefined)) as typeof payload;
    } catch (error) {
      if (signal.aborted) throw this.timedOut(error);
      throw new PaymentProviderError('payment provider unreachable', { cause: error });
    }
    if (signal.aborted) throw this.timedOut(signal.reason);
    // The provider did the work but its answer never arrived (a connection reset): only the idempotency key on the
    // retry keeps this from charging twice.
    if (fault?.mode === 'crash-after') {
      throw new PaymentProviderError('connection to the payment provider lost before its answer: injected fault');
    }
    if (response.status === 402) {
      throw new PaymentDeclinedError(`payment declined: ${payload?.error?.code ?? 'declined'}`);
    }
    if (response.status === 409) throw new PaymentRefusedError(payload?.error?.code ?? 'conflict');
    if (!response.ok || payload === undefined) {
      const error = new PaymentProviderError(
        `payment provider answered ${response.status}: ${payload?.error?.code ?? 'no body'}`,
      );
      if (response.status >= 400 && response.status < 500 && response.status !== 429) answeredByProvider.add(error);
      throw error;
    }
    return payload as T;
  }
}

/** The provider's API key: from Secrets Manager in AWS (cached for five minutes), from the environment offline. */
export function paymentApiKeySource(
  {
    apiKeySecretArn: secretArn,
    apiKey: key,
  }: Pick<Settings<'payment'>, 'apiKeySecretArn' | 'apiKey'> = settings.payment(),
): () => Promise<string> {
  if (secretArn) {
    return async () => {
      const secret = await getSecret<string>(secretArn, { maxAge: 300 });
      if (!secret) throw new PaymentProviderError('payment API key secret is empty');
      return secret;
    };
  }
  // settings.payment() has already failed, naming both variables, if neither is set.
  if (!key) throw new Error('the payment API key is not configured');
  return async () => key;
}

/** The provider for this function's environment, built once per cold start (so is its circuit breaker). */
export function paymentProvider(): HttpPaymentProvider {
  const faults = faultInjectionFromEnv();
  const payment = settings.payment();
  return new HttpPaymentProvider({
    baseUrl: payment.apiUrl,
    apiKey: paymentApiKeySource(payment),
    timeoutMs: payment.timeoutMs,
    resilience: {
      breakerThreshold: payment.breakerThreshold ?? defaultPaymentResilience.breakerThreshold,
      breakerHalfOpenAfterMs: payment.breakerHalfOpenMs ?? defaultPaymentResilience.breakerHalfOpenAfterMs,
    },
    ...(faults ? { faults } : {}),
  });
}
