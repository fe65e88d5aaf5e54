/**
 * API Gateway's throttles and quotas, for the local gateway: token buckets refilled at `rateLimit` tokens per second
 * up to `burstLimit`, one token per request. Pure (no I/O, no timers; the clock is injected), so tests drive it
 * without waiting.
 *
 * The buckets a request draws from, as API Gateway applies them:
 * - per API key: the key's usage plan rate/burst and its daily quota (reset at 00:00 UTC). Every key has buckets of
 *   its own, even keys of the same plan; only methods that require a key use them.
 * - per method: the route's own throttle, or the stage default. Each method has one bucket shared by all callers,
 *   which is how a stage's method settings behave, the stage-wide default included.
 * - per caller on a method (`api.perCallerLimits` in cdk.json): a bucket per bearer token, which is what the WAF
 *   rate-based rule in AWS keys on (WAF cannot read a token's claims, and a token belongs to one caller). WAF counts
 *   requests over a sliding window; a bucket of `limit` tokens refilled at limit/window per second admits the same
 *   sustained rate and the same burst.
 * - per user (opt-in, local only): a bucket per token `sub` on authenticated routes. No AWS counterpart, so it is off
 *   unless asked for.
 * A request is admitted only if every bucket has a token and the quota is not used up; then, and only then, it takes
 * one from each. A rejected request costs nothing, so a client that backs off for Retry-After is served again.
 */
export interface ThrottleLimit {
  /** Steady-state requests per second (may be fractional once lowered). */
  readonly rateLimit: number;
  /** Bucket size: requests that may arrive at once. */
  readonly burstLimit: number;
}

export interface PlanLimit extends ThrottleLimit {
  /** None for a tier whose keys are public (the storefront's): see `api.usagePlans` in bin/environment-config.ts. */
  readonly quotaPerDay?: number;
}

export interface RateLimits {
  /** Stage default, applied to every method without a throttle of its own. */
  readonly stage: ThrottleLimit;
  /** Method throttles by method key (`POST /orders`). */
  readonly methods: Readonly<Record<string, ThrottleLimit>>;
  /** Usage plans by name. */
  readonly plans: Readonly<Record<string, PlanLimit>>;
  /** Per-caller limits by method key: one bucket per caller (bearer token) on that method. */
  readonly callers: Readonly<Record<string, ThrottleLimit>>;
  readonly perUser?: ThrottleLimit;
}

/** How to lower the configured limits (never raise them): a factor, then caps. */
export interface RateLimitOverrides {
  /** Multiplies every rate, burst and quota; 0 < scale ≤ 1. Bursts and quotas round down but stay at least 1. */
  readonly scale?: number;
  /** Caps every throttle rate (stage, methods, usage plans). */
  readonly rateLimit?: number;
  /** Caps every throttle burst. */
  readonly burstLimit?: number;
  /** Caps every usage plan's daily quota. */
  readonly quotaPerDay?: number;
  /** Caps every per-caller limit (`api.perCallerLimits`), to show one caller held back while others are served. */
  readonly perCaller?: ThrottleLimit;
  /** Turns on the per-user bucket with these limits. */
  readonly perUser?: ThrottleLimit;
}

export interface RateLimitRequest {
  /** Method key, as in `RateLimits.methods`: `POST /orders`. */
  readonly method: string;
  /** The caller's API key and its plan, on methods that require a key. */
  readonly apiKey?: { readonly value: string; readonly plan: string };
  /** The verified token's `sub`, on authenticated methods. */
  readonly user?: string;
  /** The caller's bearer token, on authenticated methods: the key of per-caller limits. */
  readonly caller?: string;
}

export type Admission =
  | { readonly allowed: true }
  | {
      readonly allowed: false;
      /** `quota`: the key's daily quota is used up (API Gateway's "Limit Exceeded"); `throttled`: a bucket is empty. */
      readonly reason: 'quota' | 'throttled';
      /** Which limit said no, for logs and tests. */
      readonly limitedBy: LimitedBy;
      /** Whole seconds (≥ 1) until the request would be admitted, if nobody else takes the tokens first. */
      readonly retryAfterSeconds: number;
    };

type LimitedBy = 'quota' | 'api-key' | 'method' | 'caller' | 'user';

export const methodKey = (method: string, path: string) => `${method} ${path}`;

const dayMs = 24 * 60 * 60 * 1000;
// Refill arithmetic in floating point can land a hair under a whole token after exactly the advertised wait.
const epsilon = 1e-9;

interface Bucket {
  tokens: number;
  updatedAt: number;
}

interface Quota {
  day: number;
  used: number;
}

export class RateLimiter {
  private readonly keyBuckets = new Map<string, Bucket>();
  private readonly methodBuckets = new Map<string, Bucket>();
  private readonly userBuckets = new Map<string, Bucket>();
  private readonly callerBuckets = new Map<string, Bucket>();
  private readonly quotas = new Map<string, Quota>();

  constructor(
    readonly limits: RateLimits,
    private readonly clock: () => number = Date.now,
  ) {}

  admit(request: RateLimitRequest): Admission {
    const now = this.clock();
    const draws: { bucket: Bucket; limit: ThrottleLimit; limitedBy: Exclude<LimitedBy, 'quota'> }[] = [];
    let quota: Quota | undefined;

    if (request.apiKey) {
      const { value, plan: name } = request.apiKey;
      const plan = this.limits.plans[name];
      if (!plan) throw new Error(`no usage plan "${name}"`);
      quota = this.quotaOf(value, now);
      // API Gateway answers a spent quota with "Limit Exceeded" whatever the buckets hold: it lasts until midnight.
      if (plan.quotaPerDay !== undefined && quota.used >= plan.quotaPerDay)
        return denied('quota', 'quota', ((quota.day + 1) * dayMs - now) / 1000);
      draws.push({ bucket: bucketIn(this.keyBuckets, value, plan, now), limit: plan, limitedBy: 'api-key' });
    }
    const methodLimit = this.limits.methods[request.method] ?? this.limits.stage;
    draws.push({
      bucket: bucketIn(this.methodBuckets, request.method, methodLimit, now),
      limit: methodLimit,
      limitedBy: 'method',
    });
    const callerLimit = this.limits.callers[request.method];
    if (request.caller !== undefined && callerLimit) {
      const id = `${request.method} ${request.caller}`;
      draws.push({
        bucket: bucketIn(this.callerBuckets, id, callerLimit, now),
        limit: callerLimit,
        limitedBy: 'caller',
      });
    }
    if (request.user !== undefined && this.limits.perUser) {
      const limit = this.limits.perUser;
      draws.push({ bucket: bucketIn(this.userBuckets, request.user, limit, now), limit, limitedBy: 'user' });
    }

    // The longest wait wins: the request needs a token from every bucket at once.
    let wait: { seconds: number; limitedBy: Exclude<LimitedBy, 'quota'> } | undefined;
    for (const { bucket, limit, limitedBy } of draws) {
      refill(bucket, limit, now);
      if (bucket.tokens + epsilon >= 1) continue;
      const seconds = (1 - bucket.tokens) / limit.rateLimit;
      if (!wait || seconds > wait.seconds) wait = { seconds, limitedBy };
    }
    if (wait) return denied('throttled', wait.limitedBy, wait.seconds);

    for (const { bucket } of draws) bucket.tokens = Math.max(0, bucket.tokens - 1);
    if (quota) quota.used += 1;
    return { allowed: true };
  }

  /** Requests the key may still make today. */
  remainingQuota(apiKey: string, plan: string): number {
    const limit = this.limits.plans[plan];
    if (!limit) throw new Error(`no usage plan "${plan}"`);
    if (limit.quotaPerDay === undefined) return Infinity;
    return Math.max(0, limit.quotaPerDay - this.quotaOf(apiKey, this.clock()).used);
  }

  private quotaOf(apiKey: string, now: number): Quota {
    const day = Math.floor(now / dayMs);
    let quota = this.quotas.get(apiKey);
    if (!quota || quota.day !== day) {
      quota = { day, used: 0 };
      this.quotas.set(apiKey, quota);
    }
    return quota;
  }
}

function bucketIn(buckets: Map<string, Bucket>, id: string, limit: ThrottleLimit, now: number): Bucket {
  let bucket = buckets.get(id);
  if (!bucket) {
    bucket = { tokens: limit.burstLimit, updatedAt: now };
    buckets.set(id, bucket);
  }
  return bucket;
}

function refill(bucket: Bucket, limit: ThrottleLimit, now: number) {
  // A clock that steps backwards (NTP) must not drain the bucket.
  const elapsedSeconds = Math.max(0, now - bucket.updatedAt) / 1000;
  bucket.tokens = Math.min(limit.burstLimit, bucket.tokens + elapsedSeconds * limit.rateLimit);
  bucket.updatedAt = Math.max(bucket.updatedAt, now);
}

function denied(reason: 'quota' | 'throttled', limitedBy: LimitedBy, seconds: number) {
  return { allowed: false, reason, limitedBy, retryAfterSeconds: Math.max(1, Math.ceil(seconds - epsilon)) } as const;
}

/**
 * The limits the stack declares for an environment: the stage default, the method throttles, the per-caller limits
 * and each usage plan, lowered by `overrides`. Throws if an override would raise a limit or is not a positive number.
 */
export function rateLimitsFor(
  api: {
    readonly throttle: ThrottleLimit;
    readonly usagePlans: Readonly<Record<string, PlanLimit>>;
    /** By route id. */
    readonly methodThrottles: Readonly<Record<string, ThrottleLimit>>;
    /** By route id: requests per caller within a window. */
    readonly perCallerLimits: Readonly<Record<string, { readonly limit: number; readonly windowSeconds: number }>>;
  },
  routes: Readonly<Record<string, { readonly method: string; readonly path: string }>>,
  overrides: RateLimitOverrides = {},
): RateLimits {
  const { scale = 1 } = overrides;
  if (!(scale > 0 && scale <= 1)) {
    throw new Error(
      `rate limit scale must be greater than 0 and at most 1 (limits are only ever lowered), got ${scale}`,
    );
  }
  positive('rate limit cap', overrides.rateLimit);
  positive('burst limit cap', overrides.burstLimit);
  positive('quota cap', overrides.quotaPerDay);
  for (const cap of [overrides.perUser, overrides.perCaller]) {
    if (!cap) continue;
    positive('per-caller rate limit', cap.rateLimit);
    positive('per-caller burst limit', cap.burstLimit);
  }
  if (overrides.perUser) {
    positive('per-user rate limit', overrides.perUser.rateLimit);
    positive('per-user burst limit', overrides.perUser.burstLimit);
  }

  const atLeastOne = (value: number) => Math.max(1, Math.floor(value));
  const lower = (limit: ThrottleLimit): ThrottleLimit => ({
    rateLimit: Math.min(limit.rateLimit * scale, overrides.rateLimit ?? Infinity),
    burstLimit: Math.min(atLeastOne(limit.burstLimit * scale), atLeastOne(overrides.burstLimit ?? Infinity)),
  });
  const keyOf = (routeId: string) => {
    const route = routes[routeId];
    if (!route) throw new Error(`no route "${routeId}" in the route table`);
    return methodKey(route.method, route.path);
  };
  const methods: Record<string, ThrottleLimit> = {};
  for (const [id, limit] of Object.entries(api.methodThrottles)) methods[keyOf(id)] = lower(limit);
  const callers: Record<string, ThrottleLimit> = {};
  for (const [id, { limit, windowSeconds }] of Object.entries(api.perCallerLimits)) {
    const scaled = lower({ rateLimit: limit / windowSeconds, burstLimit: limit });
    callers[keyOf(id)] = overrides.perCaller
      ? {
          rateLimit: Math.min(scaled.rateLimit, overrides.perCaller.rateLimit),
          burstLimit: Math.min(scaled.burstLimit, atLeastOne(overrides.perCaller.burstLimit)),
        }
      : scaled;
  }
  const plans: Record<string, PlanLimit> = {};
  for (const [name, plan] of Object.entries(api.usagePlans)) {
    // Limits are only ever lowered: a plan without a quota (public keys) stays without one.
    if (plan.quotaPerDay === undefined) {
      plans[name] = lower(plan);
      continue;
    }
    plans[name] = {
      ...lower(plan),
      quotaPerDay: Math.min(atLeastOne(plan.quotaPerDay * scale), atLeastOne(overrides.quotaPerDay ?? Infinity)),
    };
  }
  return {
    stage: lower(api.throttle),
    methods,
    plans,
    callers,
    ...(overrides.perUser
      ? { perUser: { rateLimit: overrides.perUser.rateLimit, burstLimit: atLeastOne(overrides.perUser.burstLimit) } }
      : {}),
  };
}

function positive(name: string, value: number | undefined) {
  if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
    throw new Error(`${name} must be a positive number, got ${value}`);
  }
}

/** `50 rps, burst 100`: how the start banner and errors show a throttle. */
export function describeThrottle(limit: ThrottleLimit): string {
  return `${Number(limit.rateLimit.toFixed(3))} rps, burst ${limit.burstLimit}`;
}

/** The active limits as start-banner lines: each dev API key with its plan, then the per-method throttles. */
export function describeRateLimits(
  limits: RateLimits,
  apiKeys: readonly { readonly owner: string; readonly plan: string; readonly value: string }[],
): string[] {
  const keyRows = apiKeys.map((key): [string, string] => {
    const plan = limits.plans[key.plan];
    const quota = plan?.quotaPerDay === undefined ? 'no daily quota' : `${plan.quotaPerDay} requests/day`;
    const figures = plan ? `${describeThrottle(plan)}, ${quota}` : 'no usage plan';
    return [`${key.value} (${key.owner}, ${key.plan})`, figures];
  });
  const methodRows: [string, string][] = [
    ...Object.entries(limits.methods).map(([method, limit]): [string, string] => [method, describeThrottle(limit)]),
    ['every other method', `${describeThrottle(limits.stage)} (stage default)`],
    ...Object.entries(limits.callers).map(([method, limit]): [string, string] => [
      `${method}, per caller`,
      `${limit.burstLimit} requests per ${Math.round(limit.burstLimit / limit.rateLimit)} s (per token)`,
    ]),
    ['per user (token sub)', limits.perUser ? describeThrottle(limits.perUser) : 'off'],
  ];
  const width = Math.max(...[...keyRows, ...methodRows].map(([label]) => label.length)) + 2;
  const lines = (rows: readonly (readonly [string, string])[]) =>
    rows.map(([label, figures]) => `  ${label.padEnd(width)}${figures}`);
  return [
    'API keys (x-api-key header; one per client app and partner, each with its own buckets and quota from its plan):',
    ...lines(keyRows),
    'Method throttles (shared by all callers) and per-caller limits; beyond them 429 with Retry-After:',
    ...lines(methodRows),
  ];
}
