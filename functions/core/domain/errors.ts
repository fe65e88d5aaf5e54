/**
 * Typed domain errors. Handlers never build HTTP responses for failures: the HTTP layer maps these classes to status
 * codes in one place, and the saga's Retry/Catch rules match on their `name` (the Lambda error type).
 */
export abstract class DomainError extends Error {
  /** Stable, machine-readable code for clients (problem+json `code`) and for `failureReason`. */
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class ValidationError extends DomainError {
  readonly code = 'VALIDATION_FAILED';
  constructor(
    message: string,
    readonly issues: readonly { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

export class UnauthenticatedError extends DomainError {
  readonly code = 'UNAUTHENTICATED';
}

export class ForbiddenError extends DomainError {
  readonly code: string = 'FORBIDDEN';
}

/** A partner token from an app client that no partner owns (deleted, or never registered). */
export class UnknownPartnerError extends ForbiddenError {
  override readonly code = 'UNKNOWN_PARTNER';
}

/** The partner that owns the token's app client was disabled (`npm run partner -- disable`). */
export class PartnerDisabledError extends ForbiddenError {
  override readonly code = 'PARTNER_DISABLED';
}

export class NotFoundError extends DomainError {
  readonly code = 'NOT_FOUND';
}

export class ProductUnavailableError extends DomainError {
  readonly code = 'PRODUCT_UNAVAILABLE';
}

export class CurrencyMismatchError extends DomainError {
  readonly code = 'CURRENCY_MISMATCH';
}

/** Not enough stock for at least one line: a business outcome, never retried. */
export class OutOfStockError extends DomainError {
  readonly code = 'OUT_OF_STOCK';
}

/** The order moved on (or was failed/cancelled) while a step ran: the step must not act on it. */
export class OrderStateConflictError extends DomainError {
  readonly code = 'ORDER_STATE_CONFLICT';
}

/** The provider refused the payment: a business outcome, never retried. */
export class PaymentDeclinedError extends DomainError {
  readonly code = 'PAYMENT_DECLINED';
}

/**
 * The order waits for the customer's authentication and the provider says it is not finished yet (or the order is
 * not waiting for one at all): confirming now changes nothing (409).
 */
export class PaymentAuthenticationPendingError extends DomainError {
  readonly code = 'PAYMENT_AUTHENTICATION_PENDING';
}

/** The provider failed or answered garbage: transient, retried by the saga with backoff. */
export class PaymentProviderError extends DomainError {
  readonly code = 'PAYMENT_ERROR';
}

/**
 * The adapter's circuit breaker is open after consecutive provider failures, so the call failed fast without
 * reaching the provider. Transient like its parent: the saga retries it (its own name must be in the Retry list,
 * since Step Functions matches error names exactly), and a later attempt finds the breaker half-open or closed.
 */
export class PaymentProviderUnavailableError extends PaymentProviderError {}

/**
 * The provider answered an authorization request with an authorization that can no longer pay for the order: voided
 * or refunded since. That happens when the request replays an idempotency key whose authorization a compensation
 * already reversed (a saga resumed after a crash, a duplicate execution). Not transient, and not a decline: the
 * saga fails the order with PAYMENT_ERROR (its own name is in no Retry list).
 */
export class PaymentAuthorizationReversedError extends PaymentProviderError {}

/** The provider did not answer in time: transient, retried with the same idempotency key. */
export class PaymentTimeoutError extends DomainError {
  readonly code = 'PAYMENT_TIMEOUT';
}

/** The order is past the point where it can be cancelled (fulfilled, failed or already being cancelled otherwise). */
export class OrderNotCancellableError extends DomainError {
  readonly code = 'ORDER_NOT_CANCELLABLE';
}

/** Only CONFIRMED orders can be fulfilled. */
export class OrderNotFulfillableError extends DomainError {
  readonly code = 'ORDER_NOT_FULFILLABLE';
}

/** Only FULFILLED or PARTIALLY_REFUNDED orders can be refunded, and never more than is left to refund. */
export class OrderNotRefundableError extends DomainError {
  readonly code = 'ORDER_NOT_REFUNDABLE';
}

/** A stock adjustment would take the available stock below zero. */
export class InsufficientStockError extends DomainError {
  readonly code = 'INSUFFICIENT_STOCK';
}

/**
 * A product's stock kept changing between reading it and writing a change conditional on what was read (changing its
 * shard count or adjusting it while orders take units): nothing was changed, and the same request may succeed later.
 */
export class StockBusyError extends DomainError {
  readonly code = 'STOCK_BUSY';
}

/** The Idempotency-Key was used before with a different request. */
export class IdempotencyKeyReusedError extends DomainError {
  readonly code = 'IDEMPOTENCY_KEY_REUSED';
}

/** A request with the same Idempotency-Key is still being processed. */
export class IdempotencyKeyInUseError extends DomainError {
  readonly code = 'IDEMPOTENCY_KEY_IN_USE';
}

/** The product exists already (creating it again with the same id). */
export class ProductExistsError extends DomainError {
  readonly code = 'PRODUCT_EXISTS';
}

/** The capture was refused by the provider (authorization voided or expired): the order needs attention. */
export class PaymentCaptureError extends DomainError {
  readonly code = 'PAYMENT_CAPTURE_FAILED';
}

/** The caller has as many webhook endpoints as an owner may (functions/core/domain/webhooks.ts). */
export class WebhookLimitError extends DomainError {
  readonly code = 'WEBHOOK_LIMIT_REACHED';
}

/** The risk rules refused the order: a business outcome, never retried. */
export class RiskRejectedError extends DomainError {
  readonly code = 'RISK_REJECTED';
}

/** The order holds more units than the maxItemsPerOrder feature flag allows right now. */
export class TooManyItemsError extends DomainError {
  readonly code = 'TOO_MANY_ITEMS';
}

/**
 * New orders are refused for now (the acceptingOrders feature flag is off): the client should come back after
 * `retryAfterSeconds`. Orders already placed are not affected.
 */
export class OrdersPausedError extends DomainError {
  readonly code = 'ORDERS_PAUSED';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/**
 * This region is a standby (docs/regions.md): it serves reads, and refuses every write so that exactly one region
 * writes at a time. The client should retry after `retryAfterSeconds`, through the failover hostname, which follows
 * the active region.
 */
export class RegionNotActiveError extends DomainError {
  readonly code = 'REGION_STANDBY';
  readonly retryAfterSeconds = 30;
  constructor(options?: { cause?: unknown }) {
    super('this region is a standby: it serves reads, and writes go to the active region', options);
  }
}

/**
 * A dependency the service needs (the table, the workflow) did not answer its readiness check in time. `checks`
 * names each dependency by its logical name only, never its physical name, ARN or error: readiness is public.
 */
export class NotReadyError extends DomainError {
  readonly code = 'NOT_READY';
  constructor(
    readonly checks: Readonly<Record<string, 'ok' | 'unavailable'>>,
    options?: { cause?: unknown },
  ) {
    const failing = Object.keys(checks).filter((name) => checks[name] !== 'ok');
    super(`not ready: ${failing.join(', ')} unavailable`, options);
  }
}
