import cancellationDefinition from '../../../statemachines/order-cancellation.asl.json';
import sagaDefinition from '../../../statemachines/order-saga.asl.json';
import type { InvariantPolicy } from '../domain/invariants';
import { readSettings, settings } from './settings';

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

/** The job's configuration from the RECONCILE_* settings (functions/core/config/settings.ts), defaults included. */
export function reconciliationConfigFromEnv(env?: NodeJS.ProcessEnv): ReconciliationConfig {
  const { graceSeconds, paymentLookbackHours, scanSegments, confirmDelayMs } = env
    ? readSettings('reconciliation', env)
    : settings.reconciliation();
  return {
    policy: {
      sagaTimeLimitSeconds: stateMachineTimeLimits.sagaSeconds,
      cancellationTimeLimitSeconds: stateMachineTimeLimits.cancellationSeconds,
      graceSeconds,
    },
    paymentLookbackHours,
    scanSegments,
    confirmDelayMs,
  };
}
