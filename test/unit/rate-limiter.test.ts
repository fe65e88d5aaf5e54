import { join } from 'node:path';
import { routes as routeTable } from '../../functions/api/routes';
import { devEnvironment, localRateLimitOverrides } from '../../local/runtime/dev-config';
import { rateLimitsFor, RateLimiter, type RateLimitOverrides } from '../../local/emulators/rate-limiter';

const api = {
  throttle: { rateLimit: 10, burstLimit: 5 },
  usagePlans: {
    'customer-app': { rateLimit: 2, burstLimit: 3, quotaPerDay: 1000, description: 'apps' },
    'partner-standard': { rateLimit: 1, burstLimit: 2, quotaPerDay: 4, description: 'partners' },
  },
  methodThrottles: { placeOrder: { rateLimit: 4, burstLimit: 4 } },
  perCallerLimits: { placeOrder: { limit: 60, windowSeconds: 60 } },
};
const routes = {
  placeOrder: { method: 'POST', path: '/orders' },
  listProducts: { method: 'GET', path: '/products' },
  health: { method: 'GET', path: '/health' },
};

const noon = Date.UTC(2025, 0, 15, 12, 0, 0);
let now = noon;
const advance = (ms: number) => {
  now += ms;
};

function limiter(overrides: RateLimitOverrides = {}) {
  return new RateLimiter(rateLimitsFor(api, routes, overrides), () => now);
}

const app = (value = 'key-a') => ({ value, plan: 'customer-app' });
const partner = (value = 'key-p') => ({ value, plan: 'partner-standard' });

/** Makes `count` requests at the current instant and returns how many were admitted. */
function burst(rateLimiter: RateLimiter, count: number, request: Parameters<RateLimiter['admit']>[0]): number {
  let admitted = 0;
  for (let i = 0; i < count; i++) if (rateLimiter.admit(request).allowed) admitted++;
  return admitted;
}

beforeEach(() => {
  now = noon;
});

describe('rate limiter: usage plan buckets (per API key)', () => {
  it('admits a burst, then refills at the plan rate and says when', () => {
    const limits = limiter();
    const request = { method: 'GET /products', apiKey: app() };
    expect(burst(limits, 3, request)).toBe(3);
    expect(limits.admit(request)).toEqual({
      allowed: false,
      reason: 'throttled',
      limitedBy: 'api-key',
      retryAfterSeconds: 1,
    });
    advance(499); // 2 per second: a token every 500 ms
    expect(limits.admit(request).allowed).toBe(false);
    advance(1);
    expect(limits.admit(request).allowed).toBe(true);
    expect(limits.admit(request).allowed).toBe(false);
    advance(60_000); // refills up to the burst, never beyond
    expect(burst(limits, 5, request)).toBe(3);
  });

  it('gives every key buckets of its own, even keys of the same plan', () => {
    const limits = limiter();
    expect(burst(limits, 4, { method: 'GET /products', apiKey: app('key-a') })).toBe(3);
    expect(limits.admit({ method: 'GET /products', apiKey: app('key-b') }).allowed).toBe(true);
  });

  it('rounds Retry-After up to whole seconds from the refill rate', () => {
    const limits = limiter();
    const request = { method: 'GET /products', apiKey: partner() };
    expect(burst(limits, 2, request)).toBe(2);
    advance(100);
    expect(limits.admit(request)).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    const slow = limiter({ scale: 0.125 }); // customer-app: 0.25 per second, burst 1 → 4 s for the next token
    const appRequest = { method: 'GET /products', apiKey: app() };
    expect(slow.admit(appRequest).allowed).toBe(true);
    expect(slow.admit(appRequest)).toMatchObject({ allowed: false, limitedBy: 'api-key', retryAfterSeconds: 4 });
    advance(3_999);
    expect(slow.admit(appRequest).allowed).toBe(false);
    advance(1);
    expect(slow.admit(appRequest).allowed).toBe(true);
  });
});

describe('rate limiter: daily quota', () => {
  it('answers "Limit Exceeded" once the quota is spent, with Retry-After until 00:00 UTC, then resets', () => {
    const limits = limiter();
    const request = { method: 'GET /products', apiKey: partner() };
    expect(burst(limits, 2, request)).toBe(2);
    advance(2_000);
    expect(burst(limits, 2, request)).toBe(2);
    expect(limits.remainingQuota('key-p', 'partner-standard')).toBe(0);
    advance(10_000); // buckets full again: only the quota says no
    const secondsToMidnight = (Date.UTC(2025, 0, 16) - now) / 1000;
    expect(limits.admit(request)).toEqual({
      allowed: false,
      reason: 'quota',
      limitedBy: 'quota',
      retryAfterSeconds: secondsToMidnight,
    });
    now = Date.UTC(2025, 0, 15, 23, 59, 59, 500);
    expect(limits.admit(request)).toMatchObject({ reason: 'quota', retryAfterSeconds: 1 });
    now = Date.UTC(2025, 0, 16);
    expect(limits.admit(request).allowed).toBe(true);
    expect(limits.remainingQuota('key-p', 'partner-standard')).toBe(3);
  });

  it('counts only admitted requests against the quota', () => {
    const limits = limiter();
    const request = { method: 'GET /products', apiKey: partner() };
    expect(burst(limits, 10, request)).toBe(2);
    expect(limits.remainingQuota('key-p', 'partner-standard')).toBe(2);
  });

  it('keeps a quota per key', () => {
    const limits = limiter({ quotaPerDay: 1 });
    expect(limits.admit({ method: 'GET /products', apiKey: partner('key-1') }).allowed).toBe(true);
    expect(limits.admit({ method: 'GET /products', apiKey: partner('key-1') })).toMatchObject({ reason: 'quota' });
    expect(limits.admit({ method: 'GET /products', apiKey: partner('key-2') }).allowed).toBe(true);
  });
});

describe('rate limiter: method and stage throttles (shared by all callers)', () => {
  it("shares a method's own throttle across keys", () => {
    const limits = limiter();
    expect(burst(limits, 3, { method: 'POST /orders', apiKey: app('key-a') })).toBe(3);
    // key-b's own bucket is full, but POST /orders (burst 4) has one token left for everyone
    expect(limits.admit({ method: 'POST /orders', apiKey: app('key-b') }).allowed).toBe(true);
    expect(limits.admit({ method: 'POST /orders', apiKey: app('key-b') })).toMatchObject({
      allowed: false,
      reason: 'throttled',
      limitedBy: 'method',
    });
    // other methods have buckets of their own
    expect(limits.admit({ method: 'GET /products', apiKey: app('key-b') }).allowed).toBe(true);
  });

  it('applies the stage default to each method without a throttle, keys or not', () => {
    const limits = limiter();
    expect(burst(limits, 6, { method: 'GET /health' })).toBe(5);
    expect(limits.admit({ method: 'GET /health' })).toMatchObject({ limitedBy: 'method', retryAfterSeconds: 1 });
    expect(limits.admit({ method: 'GET /products' }).allowed).toBe(true);
    advance(100); // 10 per second
    expect(limits.admit({ method: 'GET /health' }).allowed).toBe(true);
  });

  it('takes nothing from any bucket when one of them says no', () => {
    const limits = limiter();
    expect(burst(limits, 4, { method: 'POST /orders', apiKey: app('key-a') })).toBe(3);
    expect(limits.admit({ method: 'POST /orders', apiKey: app('key-b') }).allowed).toBe(true);
    // POST /orders is empty now: key-c's refusals must leave key-c's own bucket full
    expect(burst(limits, 5, { method: 'POST /orders', apiKey: app('key-c') })).toBe(0);
    expect(burst(limits, 3, { method: 'GET /products', apiKey: app('key-c') })).toBe(3);
  });

  it('advertises the longest wait when several buckets are empty', () => {
    const limits = limiter({ scale: 0.5 }); // POST /orders: 2/s burst 2; partner: 0.5/s burst 1
    expect(limits.admit({ method: 'POST /orders', apiKey: partner('key-1') }).allowed).toBe(true);
    expect(limits.admit({ method: 'POST /orders', apiKey: partner('key-2') }).allowed).toBe(true);
    expect(limits.admit({ method: 'POST /orders', apiKey: partner('key-1') })).toMatchObject({
      limitedBy: 'api-key',
      retryAfterSeconds: 2,
    });
  });

  it('does not drain a bucket when the clock steps backwards', () => {
    const limits = limiter();
    expect(burst(limits, 2, { method: 'GET /health' })).toBe(2);
    advance(-60_000);
    expect(burst(limits, 4, { method: 'GET /health' })).toBe(3);
  });
});

describe('rate limiter: per-user buckets (opt-in)', () => {
  it('is off unless asked for', () => {
    const limits = limiter();
    expect(burst(limits, 5, { method: 'GET /health', user: 'alice' })).toBe(5);
  });

  it('throttles each token subject on its own when on', () => {
    const limits = limiter({ perUser: { rateLimit: 1, burstLimit: 2 } });
    const request = { method: 'POST /orders', apiKey: app('key-a'), user: 'sub-alice' };
    expect(burst(limits, 2, request)).toBe(2);
    expect(limits.admit(request)).toMatchObject({ allowed: false, limitedBy: 'user', retryAfterSeconds: 1 });
    expect(limits.admit({ ...request, user: 'sub-bob' }).allowed).toBe(true);
  });
});

describe('rate limiter: a plan without a daily quota', () => {
  it('never answers QUOTA_EXCEEDED for its keys, and a quota cap leaves it without one', () => {
    const open = {
      ...api,
      usagePlans: {
        ...api.usagePlans,
        'customer-app': { rateLimit: 100, burstLimit: 100, description: 'public keys' },
      },
    };
    const limits = new RateLimiter(rateLimitsFor(open, routes, { quotaPerDay: 2 }), () => now);
    expect(limits.limits.plans['customer-app']?.quotaPerDay).toBeUndefined();
    expect(limits.limits.plans['partner-standard']?.quotaPerDay).toBe(2);
    for (let i = 0; i < 50; i++) {
      expect(limits.admit({ method: 'GET /products', apiKey: app('copied-key') }).allowed).toBe(true);
      advance(100);
    }
    expect(limits.remainingQuota('copied-key', 'customer-app')).toBe(Infinity);
  });
});

describe('rate limiter: per-caller limits', () => {
  it('holds one caller back on its method while another caller is still served', () => {
    // POST /orders: 60 per 60 s per caller, capped here to 2 at once and one every 2 s.
    const limits = limiter({ perCaller: { rateLimit: 0.5, burstLimit: 2 } });
    const from = (caller: string) => ({ method: 'POST /orders', apiKey: app(`key-${caller}`), caller });
    expect(burst(limits, 2, from('Bearer a'))).toBe(2);
    expect(limits.admit(from('Bearer a'))).toMatchObject({ allowed: false, limitedBy: 'caller', retryAfterSeconds: 2 });
    expect(limits.admit(from('Bearer b')).allowed).toBe(true);
    // Only on the limited method: the same caller still reads.
    expect(limits.admit({ method: 'GET /products', apiKey: app('key-a'), caller: 'Bearer a' }).allowed).toBe(true);
    advance(2000);
    expect(limits.admit(from('Bearer a')).allowed).toBe(true);
  });

  it('admits its burst at once, then its rate: the sliding window of the WAF rule, in tokens', () => {
    const limits = limiter({ perCaller: { rateLimit: 0.5, burstLimit: 3 } });
    const request = { method: 'POST /orders', caller: 'Bearer a' };
    let admitted = 0;
    for (let second = 0; second < 10; second++) {
      admitted += burst(limits, 4, request);
      advance(1000);
    }
    // 3 at once, then one every 2 s for the next 9 s (the method throttle, 4/s, never binds).
    expect(admitted).toBe(3 + 4);
  });
});

describe('rate limits from the environment config', () => {
  const dev = devEnvironment(join(__dirname, '../..'));

  it("are cdk.json's dev values when nothing is lowered", () => {
    const limits = rateLimitsFor(dev.api, routeTable);
    expect(limits.stage).toEqual(dev.api.throttle);
    expect(limits.methods['POST /orders']).toEqual({ rateLimit: 50, burstLimit: 100 });
    expect(Object.keys(limits.methods)).toEqual(
      Object.keys(dev.api.methodThrottles).map((id) => {
        const route = routeTable[id as keyof typeof routeTable];
        return `${route.method} ${route.path}`;
      }),
    );
    const perCaller = dev.api.perCallerLimits.placeOrder!;
    expect(limits.callers['POST /orders']).toEqual({
      rateLimit: perCaller.limit / perCaller.windowSeconds,
      burstLimit: perCaller.limit,
    });
    for (const [name, plan] of Object.entries(dev.api.usagePlans)) {
      expect(limits.plans[name]).toEqual({
        rateLimit: plan.rateLimit,
        burstLimit: plan.burstLimit,
        quotaPerDay: plan.quotaPerDay,
      });
    }
    expect(limits.perUser).toBeUndefined();
  });

  it('scales every rate, burst and quota down, keeping bursts and quotas at least 1', () => {
    const limits = rateLimitsFor(dev.api, routeTable, { scale: 0.01 });
    expect(limits.stage).toEqual({ rateLimit: 0.5, burstLimit: 1 });
    expect(limits.methods['POST /orders']).toEqual({ rateLimit: 0.5, burstLimit: 1 });
    expect(limits.plans['partner-standard']).toEqual({ rateLimit: 0.1, burstLimit: 1, quotaPerDay: 500 });
    expect(rateLimitsFor(api, routes, { scale: 0.0001 }).plans['partner-standard']).toMatchObject({
      burstLimit: 1,
      quotaPerDay: 1,
    });
  });

  it('caps throttles and quotas, and a cap above the config changes nothing', () => {
    const capped = rateLimitsFor(dev.api, routeTable, { rateLimit: 20, burstLimit: 30, quotaPerDay: 100 });
    expect(capped.stage).toEqual({ rateLimit: 20, burstLimit: 30 });
    expect(capped.plans['partner-standard']).toEqual({ rateLimit: 10, burstLimit: 20, quotaPerDay: 100 });
    const high = rateLimitsFor(dev.api, routeTable, { rateLimit: 1e6, burstLimit: 1e6, quotaPerDay: 1e9 });
    expect(high).toEqual(rateLimitsFor(dev.api, routeTable));
  });

  it('refuses to raise limits or to take nonsense', () => {
    expect(() => rateLimitsFor(dev.api, routeTable, { scale: 2 })).toThrow(/at most 1/);
    expect(() => rateLimitsFor(dev.api, routeTable, { scale: 0 })).toThrow(/greater than 0/);
    expect(() => rateLimitsFor(dev.api, routeTable, { burstLimit: -1 })).toThrow(/positive/);
    expect(() => rateLimitsFor(dev.api, routeTable, { perUser: { rateLimit: 0, burstLimit: 1 } })).toThrow(/positive/);
    expect(() => rateLimitsFor(dev.api, routeTable, { perCaller: { rateLimit: 1, burstLimit: 0 } })).toThrow(
      /positive/,
    );
  });

  it('reads the overrides from LOCAL_* environment variables', () => {
    expect(localRateLimitOverrides({})).toEqual({});
    expect(
      localRateLimitOverrides({
        LOCAL_RATE_LIMIT_SCALE: '0.01',
        LOCAL_THROTTLE_RATE: '2',
        LOCAL_THROTTLE_BURST: '4',
        LOCAL_QUOTA_PER_DAY: '1000',
        LOCAL_USER_THROTTLE_RATE: '1',
        LOCAL_USER_THROTTLE_BURST: '3',
        LOCAL_CALLER_THROTTLE_RATE: '0.1',
        LOCAL_CALLER_THROTTLE_BURST: '2',
      }),
    ).toEqual({
      scale: 0.01,
      rateLimit: 2,
      burstLimit: 4,
      quotaPerDay: 1000,
      perUser: { rateLimit: 1, burstLimit: 3 },
      perCaller: { rateLimit: 0.1, burstLimit: 2 },
    });
    expect(() => localRateLimitOverrides({ LOCAL_RATE_LIMIT_SCALE: 'half' })).toThrow(/must be a number/);
    expect(() => localRateLimitOverrides({ LOCAL_USER_THROTTLE_RATE: '1' })).toThrow(/both/);
    expect(() => localRateLimitOverrides({ LOCAL_CALLER_THROTTLE_BURST: '1' })).toThrow(/both/);
  });
});
