/**
 * The load test's plan and bookkeeping, kept free of I/O so it can be unit-tested (test/unit/bench-load-plan.test.ts):
 * the request mix, the phases (ramp, steady, spike) and how responses are sorted into error classes.
 */

export const requestKinds = ['place-order', 'get-order', 'list-products'] as const;
export type RequestKind = (typeof requestKinds)[number];

export type RequestMix = Readonly<Record<RequestKind, number>>;

export const defaultMix: RequestMix = { 'place-order': 2, 'get-order': 3, 'list-products': 5 };

/** Parses `place-order=2,get-order=3,list-products=5` (weights; kinds left out weigh 0). */
export function parseMix(text: string): RequestMix {
  const mix: Record<RequestKind, number> = { 'place-order': 0, 'get-order': 0, 'list-products': 0 };
  for (const part of text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)) {
    const [kind, weight] = part.split('=');
    if (!kind || !(requestKinds as readonly string[]).includes(kind)) {
      throw new Error(`unknown request kind "${kind ?? part}" in --mix (known: ${requestKinds.join(', ')})`);
    }
    const value = Number(weight);
    if (!Number.isFinite(value) || value < 0) throw new Error(`--mix weight of ${kind} must be a number >= 0`);
    mix[kind as RequestKind] = value;
  }
  if (Object.values(mix).every((weight) => weight === 0)) throw new Error('--mix needs at least one weight above 0');
  return mix;
}

/** Picks a kind with probability proportional to its weight; `random` is in [0, 1). */
export function pickKind(mix: RequestMix, random: number): RequestKind {
  const total = requestKinds.reduce((sum, kind) => sum + mix[kind], 0);
  let threshold = random * total;
  for (const kind of requestKinds) {
    if (mix[kind] === 0) continue;
    if (threshold < mix[kind]) return kind;
    threshold -= mix[kind];
  }
  return [...requestKinds].reverse().find((kind) => mix[kind] > 0)!;
}

export interface Step {
  readonly phase: 'ramp' | 'steady' | 'spike';
  readonly label: string;
  readonly connections: number;
  readonly seconds: number;
}

export interface PlanOptions {
  readonly rampSeconds: number;
  readonly rampSteps: number;
  readonly steadySeconds: number;
  readonly spikeSeconds: number;
  /** Connections of the steady phase, which the ramp climbs to. */
  readonly connections: number;
  readonly spikeConnections: number;
}

/** The ramp climbs in equal steps to the steady connections; the spike follows the steady phase. A 0 s phase is left out. */
export function buildPlan(options: PlanOptions): Step[] {
  const steps: Step[] = [];
  if (options.rampSeconds > 0) {
    const count = Math.max(1, Math.min(options.rampSteps, options.connections));
    const seconds = options.rampSeconds / count;
    for (let index = 1; index <= count; index++) {
      const connections = Math.max(1, Math.round((options.connections * index) / count));
      steps.push({ phase: 'ramp', label: `ramp ${index}/${count}`, connections, seconds });
    }
  }
  if (options.steadySeconds > 0) {
    steps.push({ phase: 'steady', label: 'steady', connections: options.connections, seconds: options.steadySeconds });
  }
  if (options.spikeSeconds > 0) {
    steps.push({
      phase: 'spike',
      label: 'spike',
      connections: options.spikeConnections,
      seconds: options.spikeSeconds,
    });
  }
  return steps;
}

export interface ErrorClasses {
  readonly ok2xx: number;
  readonly other3xx: number;
  /** 4xx responses by status code (429 = throttled). */
  readonly clientErrors: Readonly<Record<string, number>>;
  readonly server5xx: number;
  readonly timeouts: number;
  /** Connection errors other than timeouts (refused, reset). */
  readonly connectionErrors: number;
}

/** Sorts one run's status counts (autocannon's statusCodeStats) and error counts into classes. */
export function classify(
  statusCounts: Readonly<Record<string, { readonly count?: number }>>,
  errors: number,
  timeouts: number,
): ErrorClasses {
  let ok2xx = 0;
  let other3xx = 0;
  let server5xx = 0;
  const clientErrors: Record<string, number> = {};
  for (const [status, { count = 0 }] of Object.entries(statusCounts)) {
    const code = Number(status);
    if (code >= 200 && code < 300) ok2xx += count;
    else if (code >= 300 && code < 400) other3xx += count;
    else if (code >= 400 && code < 500) clientErrors[status] = (clientErrors[status] ?? 0) + count;
    else if (code >= 500) server5xx += count;
  }
  return { ok2xx, other3xx, clientErrors, server5xx, timeouts, connectionErrors: Math.max(0, errors - timeouts) };
}

/** `404×3, 429×120` (largest first), or `–`. */
export function describeClientErrors(clientErrors: Readonly<Record<string, number>>): string {
  const entries = Object.entries(clientErrors).filter(([, count]) => count > 0);
  if (entries.length === 0) return '–';
  return entries
    .sort((a, b) => b[1] - a[1])
    .map(([status, count]) => `${status}×${count}`)
    .join(', ');
}
