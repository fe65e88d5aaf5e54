import type { Context } from 'aws-lambda';
import { ValidationError } from '../domain/errors';
import type { ApiResponse } from '../handlers/http-handler';

export const idempotencyHeader = 'idempotency-key';
/** Printable ASCII without spaces, as Stripe-style keys are; also published in the API description. */
export const idempotencyKeyPattern = /^[\x21-\x7e]{1,255}$/;

export interface IdempotentRequest {
  /** Who and what the key applies to: the caller and the request line. Keys of different callers never collide. */
  readonly scope: string;
  readonly key: string;
  /** The parsed body: a replay must carry the same one. */
  readonly body: unknown;
}

export function readIdempotencyKey(headers: Readonly<Record<string, string | undefined>>): string | undefined {
  const key = headers[idempotencyHeader];
  if (key === undefined) return undefined;
  if (!idempotencyKeyPattern.test(key)) {
    throw new ValidationError('invalid Idempotency-Key', [
      { path: 'headers.Idempotency-Key', message: '1 to 255 printable ASCII characters without spaces' },
    ]);
  }
  return key;
}

/** Runs `execute` at most once per (scope, key); see ./idempotency.ts. */
export type IdempotentExecutor = (
  request: IdempotentRequest,
  context: Context,
  execute: () => Promise<ApiResponse>,
) => Promise<ApiResponse>;
