import {
  checkInvariants,
  invariantNames,
  type InvariantName,
  type InvariantPolicy,
  type ReconciliationReport,
  type Violation,
} from '../../domain/invariants';
import type { PaymentProvider, SnapshotSource } from '../../domain/ports';

export interface ReconcileDependencies {
  readonly snapshots: SnapshotSource;
  readonly payments: Pick<PaymentProvider, 'listPayments'>;
  readonly now?: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface ReconcileOptions {
  readonly policy: InvariantPolicy;
  readonly paymentLookbackHours: number;
  /** When set, violations are re-checked on a second snapshot taken this long after the first. */
  readonly confirmDelayMs?: number;
}

export interface ReconcileResult extends ReconciliationReport {
  /** Violations of the first pass that the confirming pass no longer saw (reads that raced a write). */
  readonly unconfirmed: readonly Violation[];
}

/**
 * Checks the system's invariants on the live data. The table is read item by item while orders keep moving, so one
 * pass can see a reservation's product update but not yet its hold: a violation counts only if a second pass, a
 * moment later, finds it again. The second pass runs only when the first found something.
 */
export async function reconcile(deps: ReconcileDependencies, options: ReconcileOptions): Promise<ReconcileResult> {
  const first = await pass(deps, options);
  if (options.confirmDelayMs === undefined || first.violations.length === 0) return { ...first, unconfirmed: [] };
  await (deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))))(options.confirmDelayMs);
  const second = await pass(deps, options);
  const firstKeys = new Set(first.violations.map(violationKey));
  const secondKeys = new Set(second.violations.map(violationKey));
  const confirmed = second.violations.filter((violation) => firstKeys.has(violationKey(violation)));
  return {
    ...second,
    violations: confirmed,
    counts: { ...second.counts, ...countViolations(confirmed) },
    unconfirmed: first.violations.filter((violation) => !secondKeys.has(violationKey(violation))),
  };
}

async function pass(deps: ReconcileDependencies, options: ReconcileOptions): Promise<ReconciliationReport> {
  const now = (deps.now ?? (() => new Date()))();
  const since = new Date(now.getTime() - options.paymentLookbackHours * 3_600_000).toISOString();
  // The table first, the payments after: a payment moves only after its order did (authorize while RESERVED, which
  // young orders are excused for) or right around fulfilment and cancellation, which are rare per order. Listing
  // payments first would instead miss the authorization of every order confirmed while the table is being read.
  const store = await deps.snapshots.load();
  const payments = await deps.payments.listPayments(since);
  return checkInvariants({ ...store, payments, takenAt: now.toISOString(), paymentsSince: since }, options.policy);
}

/** The same finding in two passes: same rule on the same entities (the numbers in the detail may move). */
function violationKey(violation: Violation): string {
  return JSON.stringify([violation.invariant, violation.rule, violation.ids]);
}

function countViolations(violations: readonly Violation[]) {
  const byInvariant = Object.fromEntries(invariantNames.map((name) => [name, 0])) as Record<InvariantName, number>;
  for (const violation of violations) byInvariant[violation.invariant]++;
  return { violations: violations.length, violationsByInvariant: byInvariant };
}
