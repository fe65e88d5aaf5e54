/**
 * Runtime configuration comes from environment variables, set by CDK in AWS and by the local runtime offline. Each
 * value is read once, when first needed at cold start, and a missing one fails fast with its name.
 */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`missing required environment variable ${name}`);
  return value;
}

export function optionalIntEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`environment variable ${name} must be an integer >= 0`);
  return value;
}

/** Names of the variables shared by CDK (which sets them) and functions (which read them). */
export const envNames = {
  tableName: 'TABLE_NAME',
  stateMachineArn: 'STATE_MACHINE_ARN',
  eventBusName: 'EVENT_BUS_NAME',
  paymentApiUrl: 'PAYMENT_API_URL',
  paymentApiKey: 'PAYMENT_API_KEY',
  paymentApiKeySecretArn: 'PAYMENT_API_KEY_SECRET_ARN',
  paymentTimeoutMs: 'PAYMENT_TIMEOUT_MS',
  paymentBreakerThreshold: 'PAYMENT_BREAKER_THRESHOLD',
  paymentBreakerHalfOpenMs: 'PAYMENT_BREAKER_HALF_OPEN_MS',
  faultInjection: 'FAULT_INJECTION',
  holdMinutes: 'HOLD_MINUTES',
  idempotencyTableName: 'IDEMPOTENCY_TABLE_NAME',
  idempotencyTtlSeconds: 'IDEMPOTENCY_TTL_SECONDS',
  cancellationStateMachineArn: 'CANCELLATION_STATE_MACHINE_ARN',
  catalogCacheTtlMs: 'CATALOG_CACHE_TTL_MS',
  attentionQueueUrl: 'ATTENTION_QUEUE_URL',
  recoveryAfterSeconds: 'RECOVERY_AFTER_SECONDS',
  paymentSettleSeconds: 'PAYMENT_SETTLE_SECONDS',
} as const;
