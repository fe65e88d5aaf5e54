import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyValidationError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
import { settings } from '../config/settings';
import { IdempotencyKeyInUseError, IdempotencyKeyReusedError } from '../domain/errors';
import { dynamoDbClient } from '../adapters/dynamodb/document-client';
import type { ApiResponse } from '../handlers/http-handler';
import type { IdempotentExecutor, IdempotentRequest } from './idempotency-key';

/**
 * Stripe-style idempotency on top of Powertools idempotency: the first response for (scope, key) is stored for
 * IDEMPOTENCY_TTL_SECONDS (24 h by default) and replayed for the same body; a different body is refused with 422,
 * a duplicate that arrives while the first is still running with 409. Failed requests are not stored, so they can
 * be retried with the same key.
 */
export function idempotentExecutor(keyPrefix: string): IdempotentExecutor {
  const { tableName, ttlSeconds } = settings.idempotency();
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName,
    // The process's one client; the region fence on it only touches writes to the orders table.
    awsSdkV3Client: dynamoDbClient,
  });
  const config = new IdempotencyConfig({
    eventKeyJmesPath: '[scope, key]',
    payloadValidationJmesPath: 'body',
    throwOnNoIdempotencyKey: true,
    expiresAfterSeconds: ttlSeconds,
  });
  const once = makeIdempotent(
    async (_request: IdempotentRequest, execute: () => Promise<ApiResponse>): Promise<ApiResponse> => execute(),
    { persistenceStore, config, keyPrefix },
  );

  return async (request: IdempotentRequest, context: Context, execute: () => Promise<ApiResponse>) => {
    config.registerLambdaContext(context);
    let executed = false;
    try {
      const response = await once(request, async () => {
        executed = true;
        return execute();
      });
      return { ...response, headers: { ...response.headers, 'idempotent-replayed': String(!executed) } };
    } catch (error) {
      if (error instanceof IdempotencyValidationError) {
        throw new IdempotencyKeyReusedError('this Idempotency-Key was used with a different request body', {
          cause: error,
        });
      }
      if (error instanceof IdempotencyAlreadyInProgressError) {
        throw new IdempotencyKeyInUseError(
          'a request with this Idempotency-Key is still being processed; retry later',
          {
            cause: error,
          },
        );
      }
      throw error;
    }
  };
}
