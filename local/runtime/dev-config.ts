import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { selectEnvironment, type EnvironmentConfig } from '../../bin/environment-config';
import { originRule, parseOriginList } from '../../functions/core/http/cors';
import type { RateLimitOverrides } from '../emulators/rate-limiter';

/** The local runtime runs with the `dev` environment's settings from cdk.json (throttles, usage plans, holds). */
export function devEnvironment(projectRoot: string): EnvironmentConfig {
  const cdkJson = JSON.parse(readFileSync(join(projectRoot, 'cdk.json'), 'utf8')) as {
    context: { environments: unknown };
  };
  return selectEnvironment(cdkJson.context.environments, 'dev');
}

/**
 * The customer emails offline: the dev environment's sender, and the template names and configuration set the local
 * SES emulator serves (as CDK names them for an environment called `local`).
 */
export function localEmail(config: EnvironmentConfig) {
  return {
    fromAddress: config.email.fromAddress,
    templatePrefix: 'orders-local-',
    configurationSetName: 'orders-local',
  };
}

export interface LocalApiKey {
  /** The client app (`storefront`) or partner (`partner-a`) the key was issued to. */
  readonly owner: string;
  readonly plan: string;
  readonly value: string;
}

/**
 * One fixed, documented API key per client app of the dev environment, so curl examples work as written:
 * `local-<app>-key`. Each can be overridden with LOCAL_API_KEY_<APP> (e.g. LOCAL_API_KEY_STOREFRONT).
 */
export function localApiKeys(config: EnvironmentConfig, env: NodeJS.ProcessEnv = process.env): LocalApiKey[] {
  return Object.entries(config.api.clientApps).map(([app, { plan }]) => ({
    owner: app,
    plan,
    value: env[`LOCAL_API_KEY_${app.toUpperCase().replaceAll('-', '_')}`] ?? `local-${app}-key`,
  }));
}

/**
 * The browser origins the local gateway and handlers allow (CORS): the dev environment's `api.cors.allowedOrigins`
 * (http://localhost:5173 and http://127.0.0.1:5173, the usual dev server of a web front end), or the
 * comma-separated LOCAL_CORS_ALLOWED_ORIGINS for a front end served elsewhere. A malformed origin fails the start.
 */
export function localCorsOrigins(config: EnvironmentConfig, env: NodeJS.ProcessEnv = process.env): readonly string[] {
  const raw = env.LOCAL_CORS_ALLOWED_ORIGINS;
  if (raw === undefined || raw.trim() === '') return config.api.cors.allowedOrigins;
  const { origins, invalid } = parseOriginList(raw);
  if (invalid !== undefined) throw new Error(`LOCAL_CORS_ALLOWED_ORIGINS: "${invalid}" is not ${originRule}`);
  return origins;
}

/**
 * Lowers the gateway's rate limits for tests and demos (they can never be raised above cdk.json's dev values):
 *   LOCAL_RATE_LIMIT_SCALE=0.01              multiplies every rate, burst and daily quota (0 < scale ≤ 1)
 *   LOCAL_THROTTLE_RATE / LOCAL_THROTTLE_BURST  caps every throttle: stage default, methods, usage plans
 *   LOCAL_QUOTA_PER_DAY                      caps every usage plan's daily quota
 *   LOCAL_CALLER_THROTTLE_RATE + _BURST      caps every per-caller limit (api.perCallerLimits)
 *   LOCAL_USER_THROTTLE_RATE + _BURST        adds a per-user bucket (by token `sub`); local only, off by default
 * A value that is not a number fails the start instead of being ignored.
 */
export function localRateLimitOverrides(env: NodeJS.ProcessEnv = process.env): RateLimitOverrides {
  const read = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value)) throw new Error(`${name} must be a number, got "${raw}"`);
    return value;
  };
  const scale = read('LOCAL_RATE_LIMIT_SCALE');
  const rateLimit = read('LOCAL_THROTTLE_RATE');
  const burstLimit = read('LOCAL_THROTTLE_BURST');
  const quotaPerDay = read('LOCAL_QUOTA_PER_DAY');
  const userRate = read('LOCAL_USER_THROTTLE_RATE');
  const userBurst = read('LOCAL_USER_THROTTLE_BURST');
  if ((userRate === undefined) !== (userBurst === undefined)) {
    throw new Error('set both LOCAL_USER_THROTTLE_RATE and LOCAL_USER_THROTTLE_BURST, or neither');
  }
  const callerRate = read('LOCAL_CALLER_THROTTLE_RATE');
  const callerBurst = read('LOCAL_CALLER_THROTTLE_BURST');
  if ((callerRate === undefined) !== (callerBurst === undefined)) {
    throw new Error('set both LOCAL_CALLER_THROTTLE_RATE and LOCAL_CALLER_THROTTLE_BURST, or neither');
  }
  return {
    ...(scale === undefined ? {} : { scale }),
    ...(rateLimit === undefined ? {} : { rateLimit }),
    ...(burstLimit === undefined ? {} : { burstLimit }),
    ...(quotaPerDay === undefined ? {} : { quotaPerDay }),
    ...(userRate === undefined || userBurst === undefined
      ? {}
      : { perUser: { rateLimit: userRate, burstLimit: userBurst } }),
    ...(callerRate === undefined || callerBurst === undefined
      ? {}
      : { perCaller: { rateLimit: callerRate, burstLimit: callerBurst } }),
  };
}
