import {
  FaultInjector,
  paymentProviderTarget,
  type FaultDecision,
  type FaultRule,
} from '../../functions/core/observability/fault-injection';

/** How often each saga state fails before its work, fails after it (the instance dies with the work done), or slows. */
export interface StateFaultRates {
  readonly error: number;
  readonly crashAfter: number;
  readonly delay: number;
  readonly delayMs: number;
}

/**
 * The chaos runs' fault rules: the given rates on every saga state, and about 20% of the payment provider's requests
 * failing (10%), losing their answer (5%) or hanging (5%), which both chaos tests hold the provider to.
 */
export function chaosRules(states: readonly string[], rates: StateFaultRates): FaultRule[] {
  return [
    ...states.flatMap((target): FaultRule[] => [
      { target, mode: 'error', rate: rates.error },
      { target, mode: 'crash-after', rate: rates.crashAfter },
      { target, mode: 'delay', rate: rates.delay, delayMs: rates.delayMs },
    ]),
    { target: paymentProviderTarget, mode: 'error', rate: 0.1 },
    { target: paymentProviderTarget, mode: 'crash-after', rate: 0.05 },
    { target: paymentProviderTarget, mode: 'timeout', rate: 0.05 },
  ];
}

/**
 * Records every fault the injector decides on into `decisions`, leaving the decisions themselves unchanged. The
 * handlers share this module instance, so spying on the prototype sees them all; jest.restoreAllMocks undoes it.
 */
export function recordFaultDecisions(decisions: FaultDecision[]): void {
  for (const method of ['forTask', 'forPaymentProvider'] as const) {
    const original = FaultInjector.prototype[method] as (this: FaultInjector, ...args: string[]) => FaultDecision;
    jest.spyOn(FaultInjector.prototype, method).mockImplementation(function (this: FaultInjector, ...args: string[]) {
      const decision = original.apply(this, args);
      if (decision) decisions.push(decision);
      return decision;
    });
  }
}
