import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { selectEnvironment, type EnvironmentConfig } from '../bin/environment-config';

/** The local runtime runs with the `dev` environment's settings from cdk.json (throttles, usage plans, holds). */
export function devEnvironment(projectRoot: string): EnvironmentConfig {
  const cdkJson = JSON.parse(readFileSync(join(projectRoot, 'cdk.json'), 'utf8')) as {
    context: { environments: unknown };
  };
  return selectEnvironment(cdkJson.context.environments, 'dev');
}

export interface LocalApiKey {
  readonly plan: string;
  readonly value: string;
}

/**
 * One fixed, documented API key per usage plan of the dev environment, so curl examples work as written:
 * `local-<plan>-key`. Each can be overridden with LOCAL_API_KEY_<PLAN> (e.g. LOCAL_API_KEY_CUSTOMER_APP).
 */
export function localApiKeys(config: EnvironmentConfig, env: NodeJS.ProcessEnv = process.env): LocalApiKey[] {
  return Object.keys(config.api.usagePlans).map((plan) => ({
    plan,
    value: env[`LOCAL_API_KEY_${plan.toUpperCase().replaceAll('-', '_')}`] ?? `local-${plan}-key`,
  }));
}
