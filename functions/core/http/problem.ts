import {
  CurrencyMismatchError,
  type DomainError,
  ForbiddenError,
  IdempotencyKeyInUseError,
  IdempotencyKeyReusedError,
  InsufficientStockError,
  NotFoundError,
  OrderNotCancellableError,
  OrderNotFulfillableError,
  PaymentCaptureError,
  PaymentProviderUnavailableError,
  ProductExistsError,
  OrderStateConflictError,
  OutOfStockError,
  ProductUnavailableError,
  UnauthenticatedError,
  ValidationError,
} from '../domain/errors';

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly requestId: string;
  readonly errors?: readonly { path: string; message: string }[];
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
  [InsufficientStockError, 409, 'Conflict'],
  [IdempotencyKeyInUseError, 409, 'Conflict'],
  [ProductExistsError, 409, 'Conflict'],
  [PaymentCaptureError, 409, 'Conflict'],
  [ProductUnavailableError, 422, 'Unprocessable Content'],
  [CurrencyMismatchError, 422, 'Unprocessable Content'],
  [IdempotencyKeyReusedError, 422, 'Unprocessable Content'],
  // A dependency is down and the breaker is failing fast: the request may succeed shortly (Retry-After).
  [PaymentProviderUnavailableError, 503, 'Service Unavailable'],
];

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
