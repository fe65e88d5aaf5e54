import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { metricNames } from '../observability/metric-names';
import type { FaultDecision } from '../observability/fault-injection';
import { logger, metrics } from '../observability/powertools';

/**
 * How the adapter rides out a flaky provider. The state machine retries the whole task too (AuthorizePayment: 3
 * invocations; VoidPayment: 6), so in-invocation retries stay few and short: they absorb a dropped connection or one
 * 5xx cheaply, while anything longer is left to Step Functions, whose waits cost nothing (no Lambda running) and
 * whose attempts are visible in the execution history. Their product bounds the provider calls per order step.
 */
export interface PaymentResilience {
  /** Requests per call within one invocation, the first included. */
  readonly attempts: number;
  /** Retry n waits a random time in [0, min(backoffMaxMs, backoffInitialMs * 2^(n-1))): exponential, full jitter. */
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  /** Consecutive transient failures (5xx, network error, timeout) that open the breaker. */
  readonly breakerThreshold: number;
  /** How long an open breaker fails fast before letting one trial request through (half-open). */
  readonly breakerHalfOpenAfterMs: number;
}

/**
 * Two requests per invocation with a [0, 200) ms pause: with the state machine's 3 invocations that is at most 6
 * requests per authorization, all with the same idempotency key. The breaker opens only after more consecutive
 * failures than one order's worth (6), so a single card that makes the provider fail does not shut the instance
 * off for every other customer. Once open, it lets one trial request through after 5 s; authorizations arriving
 * meanwhile fail at once, and their orders fail with PAYMENT_ERROR unless the state machine's retries outlast that.
 */
export const defaultPaymentResilience: PaymentResilience = {
  attempts: 2,
  backoffInitialMs: 200,
  backoffMaxMs: 500,
  breakerThreshold: 10,
  breakerHalfOpenAfterMs: 5000,
};

/** Where the adapter reports its health; Powertools metrics and logs by default, a recorder in tests. */
export interface PaymentProviderTelemetry {
  /** Duration of one request to the provider (one attempt), whatever its outcome. */
  requestCompleted(latencyMs: number): void;
  retrying(attempt: number, delayMs: number, error: unknown): void;
  breakerChanged(state: 'open' | 'half-open' | 'closed'): void;
  faultInjected(fault: FaultDecision): void;
}

const breakerMetricNames = {
  open: metricNames.paymentBreakerOpened,
  'half-open': metricNames.paymentBreakerHalfOpened,
  closed: metricNames.paymentBreakerClosed,
} as const;

export const powertoolsPaymentTelemetry: PaymentProviderTelemetry = {
  requestCompleted: (latencyMs) =>
    metrics.addMetric(metricNames.paymentProviderLatency, MetricUnit.Milliseconds, latencyMs),
  retrying: (attempt, delayMs, error) => {
    metrics.addMetric(metricNames.paymentProviderRetry, MetricUnit.Count, 1);
    logger.info('retrying payment provider request', {
      attempt,
      delayMs,
      reason: (error as Error | undefined)?.message,
    });
  },
  breakerChanged: (state) => {
    // A single metric is flushed at once, with no invocation dimensions (say, the failed task's errorType), so the
    // alarm on PaymentBreakerOpened sees one clean series.
    metrics.singleMetric().addMetric(breakerMetricNames[state], MetricUnit.Count, 1);
    if (state === 'open') logger.warn('payment provider circuit breaker opened: failing fast');
    else logger.info(`payment provider circuit breaker ${state}`);
  },
  faultInjected: (fault) => logger.warn('injecting fault', { faultTarget: fault.target, faultMode: fault.mode }),
};
