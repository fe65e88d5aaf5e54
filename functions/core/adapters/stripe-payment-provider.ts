import type Stripe from 'stripe';
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
import type {
  AuthorizationOutcome,
  AuthorizationRequest,
  PaymentLookup,
  PaymentState,
  PaymentProvider,
  PaymentRecord,
  RefundRequest,
} from '../domain/ports';
import { sleep, type FaultInjector } from '../observability/fault-injection';
import {
  defaultPaymentResilience,
  powertoolsPaymentTelemetry,
  type PaymentProviderTelemetry,
  type PaymentResilience,
} from './payment-resilience';
import { fromStripeAmount, toStripeAmount, UnsupportedAmountError } from './stripe-amounts';
import { loadedStripeErrors, loadStripeSdk } from './stripe-sdk';

/** Where the Stripe secret key comes from; `reload` skips any cache (after Stripe refused the key). */
export interface SecretKeySource {
  current(): Promise<string>;
  reload(): Promise<string>;
}

export interface StripePaymentProviderOptions {
  /** Stripe's API base: `https://api.stripe.com` in AWS, the sandbox's `http://127.0.0.1:<port>` offline. */
  readonly apiUrl: string;
  readonly secretKey: SecretKeySource;
  /** Deadline of one request (connection, answer and body). */
  readonly timeoutMs: number;
  readonly resilience?: Partial<PaymentResilience>;
  readonly telemetry?: PaymentProviderTelemetry;
  /** Offline and dev only (FAULT_INJECTION): makes requests fail, hang or slow down as a sick provider would. */
  readonly faults?: FaultInjector;
  /** The SDK's HTTP client; unit tests substitute one built on a fake fetch (`Stripe.createFetchHttpClient`). */
  readonly httpClient?: Stripe.HttpClient;
}

/** Stripe refused an operation on a PaymentIntent in its current state (say, capturing a cancelled one). */
class PaymentRefusedError extends PaymentProviderError {
  constructor(
    readonly providerCode: string,
    /** The PaymentIntent's status as Stripe gave it with the refusal. */
    readonly intentStatus: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(`payment provider refused: ${providerCode}`, options);
  }
}

interface CallOptions {
  readonly bypassBreaker?: boolean;
  /** Sent as `x-correlation-id` with every attempt of the call (Stripe keeps it in its request log). */
  readonly correlationId?: string | undefined;
  readonly idempotencyKey?: string;
}

/**
 * Compensations (cancels and refunds) always try the provider. They are rare and must get through: failing fast would
 * burn the state machine's retries (seconds apart, or milliseconds in tests) without one real request, and leave
 * an authorization live when the provider had already recovered. Their outcomes do not feed the breaker either.
 */
const compensation: CallOptions = { bypassBreaker: true };

/** Errors Stripe answered deliberately (a 4xx other than 402 and 429): repeating the request cannot help. */
const answeredByProvider = new WeakSet<Error>();

/** Stripe refused the secret key (401): worth reading the key again, once. */
const authenticationFailures = new WeakSet<Error>();

/**
 * What of a Stripe error may travel on as a cause: its type, code and request id. Never the error itself, whose raw
 * answer holds the PaymentIntent (with its PaymentMethod and client secret) and would end up in logs and workflow
 * histories.
 */
function summary(error: Stripe.errors.StripeError): Error {
  const parts = [
    error.type,
    error.code,
    error.decline_code,
    error.statusCode,
    error.requestId && `request ${error.requestId}`,
  ];
  return new Error(`Stripe ${parts.filter(Boolean).join(' ')}`);
}

/** Stripe's codes for an operation the PaymentIntent's (or charge's) state does not allow. */
const refusalCodes = new Set(['payment_intent_unexpected_state', 'charge_already_refunded', 'charge_not_captured']);

/** PaymentIntents a reversal cancels: they hold money (requires_capture) or could still be completed by the customer. */
const cancellable = new Set<Stripe.PaymentIntent.Status>(['requires_capture', 'requires_action']);

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

function answered(error: PaymentProviderError): PaymentProviderError {
  answeredByProvider.add(error);
  return error;
}

/** Stripe's answer (or the SDK's failure to get one) as the domain's error. */
function toDomainError(error: unknown, timeoutMs: number): unknown {
  if (error instanceof UnsupportedAmountError) {
    return answered(new PaymentProviderError(`amount not chargeable: ${error.message}`));
  }
  const errors = loadedStripeErrors();
  if (!errors || !(error instanceof errors.StripeError)) return error;
  const code = error.code ?? error.type;
  const cause = summary(error);
  if (error instanceof errors.StripeCardError) {
    // Stripe files processing_error under card errors, yet it is the issuer's fault and "try again later" is its advice.
    if (error.code === 'processing_error') {
      return new PaymentProviderError('payment provider failed: processing_error', { cause });
    }
    return new PaymentDeclinedError(`payment declined: ${error.decline_code ?? code}`, { cause });
  }
  if (error instanceof errors.StripeInvalidRequestError) {
    // An unknown PaymentMethod is the customer's (or their client's) problem, as a declined card is.
    if (error.code === 'resource_missing' && error.param === 'payment_method') {
      return new PaymentDeclinedError('payment declined: unknown payment method', { cause });
    }
    if (error.code && refusalCodes.has(error.code)) {
      return new PaymentRefusedError(error.code, error.payment_intent?.status, { cause });
    }
  }
  if (error instanceof errors.StripeConnectionError && /timed? ?out/i.test(error.message)) {
    return new PaymentTimeoutError(`payment provider gave no answer within ${timeoutMs} ms`, { cause });
  }
  const failure = new PaymentProviderError(`payment provider answered ${error.statusCode ?? 'nothing'}: ${code}`, {
    cause,
  });
  if (error instanceof errors.StripeAuthenticationError) authenticationFailures.add(failure);
  const status = error.statusCode ?? 0;
  return status >= 400 && status < 500 && status !== 429 ? answered(failure) : failure;
}

/**
 * The payment port on Stripe's PaymentIntents, through the official SDK: authorize = create and confirm with manual
 * capture, capture = capture, reverse = cancel the order's uncaptured intents and refund its captured ones. The same
 * code runs offline, where the SDK is pointed at the local Stripe sandbox by its host, port and protocol options.
 *
 * Declines are business outcomes; transient failures are retried a little here (see PaymentResilience; the SDK's own
 * retries are off so the two do not multiply), each request under its own deadline, behind a consecutive-failure
 * circuit breaker that turns an outage into an immediate PaymentProviderUnavailableError instead of a timeout per
 * request (compensations excepted, see `compensation`). The breaker lives as long as the function instance.
 * Only PaymentMethod and PaymentIntent ids ever pass through here: no card data.
 */
export class StripePaymentProvider implements PaymentProvider, PaymentLookup {
  private readonly retry: RetryPolicy;
  private readonly breaker: CircuitBreakerPolicy;
  private readonly deadline: TimeoutPolicy;
  private readonly telemetry: PaymentProviderTelemetry;
  private client: Promise<Stripe> | undefined;

  constructor(private readonly options: StripePaymentProviderOptions) {
    const resilience = { ...defaultPaymentResilience, ...options.resilience };
    this.telemetry = options.telemetry ?? powertoolsPaymentTelemetry;
    // Fails at construction, as it did when the SDK client was built here, rather than at the first payment call.
    new URL(options.apiUrl);
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
    // Aggressive: the deadline holds even though the SDK takes no abort signal (its own timeout ends the socket).
    this.deadline = timeout(options.timeoutMs, TimeoutStrategy.Aggressive);
  }

  async authorize(request: AuthorizationRequest): Promise<AuthorizationOutcome> {
    const options = { idempotencyKey: request.idempotencyKey, correlationId: request.correlationId };
    const created = await this.call(options, (requestOptions, stripe) =>
      stripe.paymentIntents.create(
        {
          ...toStripeAmount(request.amount),
          payment_method: request.paymentToken,
          confirm: true,
          capture_method: 'manual',
          // No redirect-based payment methods: the saga cannot send the customer anywhere (3-D Secure answers
          // requires_action instead, finished by the client with Stripe.js and the intent's client secret).
          automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
          // The correlation id is the order's own (kept on the order, reused by recovery), so a retried request has
          // the same body as the first and Stripe replays it instead of answering idempotency_error.
          metadata: {
            orderId: request.reference,
            ...(request.correlationId ? { correlationId: request.correlationId } : {}),
          },
        },
        requestOptions,
      ),
    );
    // A replayed key answers with the intent as it was first created; a compensation of an earlier execution may
    // have cancelled it since (the step ran again after a crash or in a duplicate execution): confirming the order on
    // it would ship goods nobody pays for. So a replay is checked against the intent as it is now.
    const intent =
      created.lastResponse.headers['idempotent-replayed'] === 'true'
        ? await this.call({ correlationId: request.correlationId }, (requestOptions, stripe) =>
            stripe.paymentIntents.retrieve(created.id, {}, requestOptions),
          )
        : created;
    switch (intent.status) {
      case 'requires_capture':
        return { authorizationId: intent.id };
      case 'requires_action':
        // The client secret goes to the order (shown to its owner only); never into an error, a log or a result
        // that a workflow keeps.
        return {
          authorizationId: intent.id,
          customerAction: {
            clientSecret: intent.client_secret ?? '',
            ...(intent.next_action?.type ? { nextActionType: intent.next_action.type } : {}),
          },
        };
      case 'requires_payment_method':
        throw new PaymentDeclinedError(`payment declined: ${intent.last_payment_error?.code ?? 'declined'}`);
      default:
        throw new PaymentAuthorizationReversedError(
          `payment intent ${intent.id} for ${request.reference} is ${intent.status}, no longer usable`,
        );
    }
  }

  /** The PaymentIntent as it is now, in the port's terms (after the customer's 3-D Secure challenge, say). */
  async paymentState(authorizationId: string, correlationId?: string): Promise<PaymentState> {
    const intent = await this.call({ correlationId }, (requestOptions, stripe) =>
      stripe.paymentIntents.retrieve(authorizationId, {}, requestOptions),
    );
    switch (intent.status) {
      case 'requires_capture':
        return 'authorized';
      case 'succeeded':
        return 'captured';
      case 'canceled':
        return 'voided';
      case 'requires_payment_method':
        // A failed challenge leaves the intent waiting for another payment method: for the order, a decline.
        return 'declined';
      default:
        // requires_action, requires_confirmation, processing: the customer (or the issuer) is not done yet.
        return 'action_required';
    }
  }

  async capture(authorizationId: string, idempotencyKey: string, correlationId?: string): Promise<void> {
    try {
      await this.call({ idempotencyKey, correlationId }, (requestOptions, stripe) =>
        stripe.paymentIntents.capture(authorizationId, {}, requestOptions),
      );
    } catch (error) {
      if (error instanceof PaymentRefusedError) {
        throw new PaymentCaptureError(`capture refused: ${error.providerCode}`, { cause: error });
      }
      throw error;
    }
  }

  /**
   * Finds the order's PaymentIntents by their `orderId` metadata (Stripe's search) and gives each back. Stripe's search
   * index may lag a new intent by up to a minute; the lost-answer case that needs it is covered by the recovery job,
   * which reverses a failed order's payments again once the settle period (PAYMENT_SETTLE_SECONDS) has passed.
   */
  async reverse(
    reference: string,
    idempotencyKey: string,
    correlationId?: string,
  ): Promise<{ voided: number; refunded: number }> {
    const options: CallOptions = { ...compensation, correlationId };
    const intents: Stripe.PaymentIntent[] = [];
    let page: string | undefined;
    do {
      const result = await this.call(options, (requestOptions, stripe) =>
        stripe.paymentIntents.search(
          {
            query: `metadata['orderId']:'${reference.replaceAll("'", "\\'")}'`,
            limit: 100,
            // The charge says whether a captured intent was refunded already (then there is nothing left to give).
            expand: ['data.latest_charge'],
            ...(page ? { page } : {}),
          },
          requestOptions,
        ),
      );
      intents.push(...result.data);
      page = result.has_more && result.next_page ? result.next_page : undefined;
    } while (page);
    let voided = 0;
    let refunded = 0;
    for (const intent of intents) {
      if (cancellable.has(intent.status)) {
        await this.settled(
          this.call({ ...options, idempotencyKey: `${idempotencyKey}:cancel:${intent.id}` }, (requestOptions, stripe) =>
            stripe.paymentIntents.cancel(intent.id, {}, requestOptions),
          ),
        );
        voided++;
      } else if (intent.status === 'succeeded' && !(intent.latest_charge as Stripe.Charge | null)?.refunded) {
        // Refunds what is left of the captured amount (Stripe's default without `amount`).
        const done = await this.settled(
          this.call({ ...options, idempotencyKey: `${idempotencyKey}:refund:${intent.id}` }, (requestOptions, stripe) =>
            stripe.refunds.create({ payment_intent: intent.id }, requestOptions),
          ),
        );
        if (done) refunded++;
      }
    }
    return { voided, refunded };
  }

  /**
   * A refund after fulfilment: `refunds.create` on the order's captured PaymentIntent with the amount in Stripe's
   * units. Stripe refuses more than is left (`charge_already_refunded`, or an invalid amount): a refusal.
   */
  async refund(request: RefundRequest): Promise<{ refundId: string }> {
    const refund = await this.call(
      { ...compensation, idempotencyKey: request.idempotencyKey, correlationId: request.correlationId },
      (requestOptions, stripe) =>
        stripe.refunds.create(
          {
            payment_intent: request.authorizationId,
            amount: toStripeAmount(request.amount).amount,
            metadata: { orderId: request.reference },
          },
          requestOptions,
        ),
    );
    return { refundId: refund.id };
  }

  async listPayments(since: string): Promise<PaymentRecord[]> {
    const payments: PaymentRecord[] = [];
    const gte = Math.floor(new Date(since).getTime() / 1000);
    let startingAfter: string | undefined;
    // Page by page through call(), not the SDK's auto-pagination, so that each page has its own deadline and retries.
    for (;;) {
      const page = await this.call({}, (requestOptions, stripe) =>
        stripe.paymentIntents.list(
          {
            created: { gte },
            limit: 100,
            expand: ['data.latest_charge'],
            ...(startingAfter ? { starting_after: startingAfter } : {}),
          },
          requestOptions,
        ),
      );
      for (const intent of page.data) {
        const record = toPaymentRecord(intent);
        if (record) payments.push(record);
      }
      if (!page.has_more || page.data.length === 0) return payments;
      startingAfter = page.data.at(-1)!.id;
    }
  }

  /** A compensation that found its work already done (cancelled or refunded meanwhile) succeeded all the same. */
  private async settled(operation: Promise<unknown>): Promise<boolean> {
    try {
      await operation;
      return true;
    } catch (error) {
      if (error instanceof PaymentRefusedError) {
        if (error.providerCode === 'charge_already_refunded' || error.intentStatus === 'canceled') return false;
      }
      throw error;
    }
  }

  /** Our order id on a PaymentIntent (`metadata.orderId`), for the webhook events that name only the intent. */
  async orderIdOf(paymentIntentId: string): Promise<string | undefined> {
    const intent = await this.call(compensation, (requestOptions, stripe) =>
      stripe.paymentIntents.retrieve(paymentIntentId, {}, requestOptions),
    );
    return intent.metadata?.orderId || undefined;
  }

  /**
   * One logical call: retried on transient failures, each attempt through the breaker and under the deadline. If
   * Stripe refuses the key (rotated in Secrets Manager since it was cached), the key is read again, once, and the call
   * made once more.
   */
  private async call<T>(
    { bypassBreaker = false, correlationId, idempotencyKey }: CallOptions,
    operation: (requestOptions: Stripe.RequestOptions, stripe: Stripe) => Promise<T>,
  ): Promise<T> {
    // Outside the policies, like the key below: loading the SDK says nothing about the provider's health.
    const stripe = await this.stripeClient();
    const run = async (apiKey: string) => {
      const requestOptions: Stripe.RequestOptions = {
        apiKey,
        ...(idempotencyKey ? { idempotencyKey } : {}),
        ...(correlationId ? { headers: { 'x-correlation-id': correlationId } } : {}),
      };
      const attempt = () => this.attempt(() => operation(requestOptions, stripe));
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
    };
    // Outside the policies: a Secrets Manager hiccup says nothing about the provider's health.
    try {
      return await run(await this.options.secretKey.current());
    } catch (error) {
      if (!(error instanceof Error && authenticationFailures.has(error))) throw error;
      return run(await this.options.secretKey.reload());
    }
  }

  /** The SDK client, built at the first call (./stripe-sdk.ts says why). */
  private stripeClient(): Promise<Stripe> {
    const { apiUrl, timeoutMs, httpClient } = this.options;
    const api = new URL(apiUrl);
    // The key goes with each request (it may be re-read from Secrets Manager), so the client is built without one.
    this.client ??= loadStripeSdk().then(
      (StripeSdk) =>
        new StripeSdk('sk_unset', {
          host: api.hostname,
          ...(api.port ? { port: api.port } : {}),
          protocol: api.protocol === 'http:' ? 'http' : 'https',
          maxNetworkRetries: 0,
          timeout: timeoutMs,
          telemetry: false,
          ...(httpClient ? { httpClient } : {}),
        }),
    );
    return this.client;
  }

  private async attempt<T>(operation: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await this.deadline.execute(({ signal }) => this.request(operation, signal));
    } catch (error) {
      if (error instanceof TaskCancelledError) {
        throw new PaymentTimeoutError(`payment provider gave no answer within ${this.options.timeoutMs} ms`, {
          cause: error,
        });
      }
      throw error;
    } finally {
      this.telemetry.requestCompleted(performance.now() - started);
    }
  }

  private async request<T>(operation: () => Promise<T>, signal: AbortSignal): Promise<T> {
    const fault = this.options.faults?.forPaymentProvider();
    if (fault) {
      this.telemetry.faultInjected(fault);
      if (fault.mode === 'error') throw new PaymentProviderError('payment provider answered 500: injected fault');
      // Waits for the deadline to abort it, exactly as a request to a provider that never answers.
      if (fault.mode === 'timeout') await sleep(2 ** 31 - 1, signal);
      if (fault.mode === 'delay') await sleep(fault.delayMs, signal);
    }
    let result: T;
    try {
      result = await operation();
    } catch (error) {
      throw toDomainError(error, this.options.timeoutMs);
    }
    // The provider did the work but its answer never arrived (a connection reset): only the idempotency key on the
    // retry keeps this from charging twice.
    if (fault?.mode === 'crash-after') {
      throw new PaymentProviderError('connection to the payment provider lost before its answer: injected fault');
    }
    return result;
  }
}

/** A PaymentIntent as the reconciliation sees payments; intents that never held money (declined, unauthenticated) and
 * intents of other systems on the same account (no `orderId`) are none of its business. */
function toPaymentRecord(intent: Stripe.PaymentIntent): PaymentRecord | undefined {
  const reference = intent.metadata.orderId;
  const charge = typeof intent.latest_charge === 'object' ? intent.latest_charge : undefined;
  if (!reference || !intent.latest_charge) return undefined;
  const status =
    intent.status === 'requires_capture'
      ? 'authorized'
      : intent.status === 'canceled'
        ? 'voided'
        : intent.status === 'succeeded'
          ? charge?.refunded
            ? 'refunded'
            : (charge?.amount_refunded ?? 0) > 0
              ? 'partially_refunded'
              : 'captured'
          : undefined;
  if (!status) return undefined;
  return { id: intent.id, reference, ...fromStripeAmount(intent.amount, intent.currency), status };
}
