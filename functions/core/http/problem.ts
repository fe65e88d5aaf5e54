import {
  CurrencyMismatchError,
  type DomainError,
  ForbiddenError,
  IdempotencyKeyInUseError,
  IdempotencyKeyReusedError,
  InsufficientStockError,
  NotFoundError,
  NotReadyError,
  OrderNotCancellableError,
  OrderNotFulfillableError,
  OrderNotRefundableError,
  PaymentAuthenticationPendingError,
  PaymentCaptureError,
  PaymentProviderUnavailableError,
  ProductExistsError,
  OrderStateConflictError,
  OrdersPausedError,
  RegionNotActiveError,
  OutOfStockError,
  ProductUnavailableError,
  StockBusyError,
  TooManyItemsError,
  UnauthenticatedError,
  ValidationError,
  WebhookLimitError,
} from '../domain/errors';

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly requestId: string;
  readonly errors?: readonly { path: string; message: string }[];
  /** Readiness: each dependency by logical name, `ok` or `unavailable`. */
  readonly checks?: Readonly<Record<string, 'ok' | 'unavailable'>>;
}

/** The one place where typed errors become HTTP statuses. Anything not listed is our fault: a generic 500. */
const statusByError: readonly [new (...args: never[]) => DomainError, number, string][] = [
  [ValidationError, 400, 'Bad Request'],
  [UnauthenticatedError, 401, 'Unauthorized'],
  [ForbiddenError, 403, 'Forbidden'],
  [NotFoundError, 404, 'Not Found'],
  [OutOfStockError, 409, 'Conflict'],
  [OrderStateConflictError, 409, 'Conflict'],
  [OrderNotCancellableError, 409, 'Conflict'],
  [OrderNotFulfillableError, 409, 'Conflict'],
  [OrderNotRefundableError, 409, 'Conflict'],
  [InsufficientStockError, 409, 'Conflict'],
  [StockBusyError, 409, 'Conflict'],
  [IdempotencyKeyInUseError, 409, 'Conflict'],
  [ProductExistsError, 409, 'Conflict'],
  [WebhookLimitError, 409, 'Conflict'],
  [PaymentCaptureError, 409, 'Conflict'],
  [PaymentAuthenticationPendingError, 409, 'Conflict'],
  [ProductUnavailableError, 422, 'Unprocessable Content'],
  [CurrencyMismatchError, 422, 'Unprocessable Content'],
  [IdempotencyKeyReusedError, 422, 'Unprocessable Content'],
  [TooManyItemsError, 422, 'Unprocessable Content'],
  // A dependency is down and the breaker is failing fast: the request may succeed shortly (Retry-After).
  [PaymentProviderUnavailableError, 503, 'Service Unavailable'],
  // An operator paused order intake (the acceptingOrders feature flag): come back after its Retry-After.
  [OrdersPausedError, 503, 'Service Unavailable'],
  // A dependency failed the readiness check: load balancers and deploy checks keep traffic away until it passes.
  [NotReadyError, 503, 'Service Unavailable'],
  // A standby region refuses writes until it is promoted: the failover hostname already points at the active one.
  [RegionNotActiveError, 503, 'Service Unavailable'],
];

/** Seconds a client should wait before retrying a 503: the error's own figure when it has one. */
export function retryAfterSeconds(error: unknown): number {
  return error instanceof OrdersPausedError || error instanceof RegionNotActiveError ? error.retryAfterSeconds : 5;
}

export function toProblem(error: unknown, requestId: string): Problem {
  for (const [errorClass, status, title] of statusByError) {
    if (error instanceof errorClass) {
      return {
        type: 'about:blank',
        title,
        status,
        code: error.code,
        detail: error.message,
        requestId,
        ...(error instanceof ValidationError && error.issues.length > 0 ? { errors: error.issues } : {}),
        ...(error instanceof NotReadyError ? { checks: error.checks } : {}),
      };
    }
  }
  return {
    type: 'about:blank',
    title: 'Internal Server Error',
    status: 500,
    code: 'INTERNAL_ERROR',
    detail: 'The request failed on our side. Quote the request id when you contact support.',
    requestId,
  };
}
