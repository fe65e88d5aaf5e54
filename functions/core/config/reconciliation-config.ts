import cancellationDefinition from '../../../statemachines/order-cancellation.asl.json';
import sagaDefinition from '../../../statemachines/order-saga.asl.json';
import type { InvariantPolicy } from '../domain/invariants';

/** Variables the reconciliation job reads (all optional); CDK and `npm run reconcile` pass the same names. */
export const reconciliationEnvNames = {
  graceSeconds: 'RECONCILE_GRACE_SECONDS',
  paymentLookbackHours: 'RECONCILE_PAYMENT_LOOKBACK_HOURS',
  scanSegments: 'RECONCILE_SCAN_SEGMENTS',
  confirmDelayMs: 'RECONCILE_CONFIRM_DELAY_MS',
} as const;

export interface ReconciliationConfig {
  readonly policy: InvariantPolicy;
  /** How far back payments are listed; absence checks cover only orders created inside the window. */
  readonly paymentLookbackHours: number;
  /** Parallel Scan segments. */
  readonly scanSegments: number;
  /** Wait before the confirming second pass; undefined skips the pass. */
  readonly confirmDelayMs?: number;
}

/**
 * The time limits are read from the ASL files CDK deploys, so the job's idea of "a saga may still be running" cannot
 * drift from the state machines. Without a TimeoutSeconds an Express workflow stops at five minutes.
 */
export const stateMachineTimeLimits = {
  sagaSeconds: (sagaDefinition as { TimeoutSeconds?: number }).TimeoutSeconds ?? 300,
  cancellationSeconds: (cancellationDefinition as { TimeoutSeconds?: number }).TimeoutSeconds ?? 300,
};

export function reconciliationConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ReconciliationConfig {
  const read = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0) throw new Error(`environment variable ${name} must be an integer >= 0`);
    return value;
  };
  const scanSegments = read(reconciliationEnvNames.scanSegments, 4);
  if (scanSegments < 1 || scanSegments > 1_000_000) {
    throw new Error(`${reconciliationEnvNames.scanSegments} must be between 1 and 1000000`);
  }
  const lookback = read(reconciliationEnvNames.paymentLookbackHours, 72);
  if (lookback < 1) throw new Error(`${reconciliationEnvNames.paymentLookbackHours} must be at least 1`);
  return {
    policy: {
      sagaTimeLimitSeconds: stateMachineTimeLimits.sagaSeconds,
      cancellationTimeLimitSeconds: stateMachineTimeLimits.cancellationSeconds,
      graceSeconds: read(reconciliationEnvNames.graceSeconds, 120),
    },
    paymentLookbackHours: lookback,
    scanSegments,
    confirmDelayMs: read(reconciliationEnvNames.confirmDelayMs, 2000),
  };
}
