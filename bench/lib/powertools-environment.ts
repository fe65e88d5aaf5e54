import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { selectEnvironment } from '../../bin/environment-config';

/**
 * Imported before anything else by bench/run-benchmarks.ts, followed by the functions' Powertools module: the
 * logger, metrics and tracer every handler shares are created once per process, from POWERTOOLS_* variables, so
 * setting them here first makes them behave as in the deployed functions of the costed environment (metrics on, in
 * the Orders namespace, embedded-metric-format lines on stdout; logs at that environment's level, compact JSON)
 * rather than as the local runtime configures them (metrics off, developer pretty-printing). The benchmark counts
 * those lines as CloudWatch Logs bytes and keeps them off the terminal.
 */
const cdkJson = JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as {
  context: { environments: unknown };
};
/** The environment whose settings the benchmarks apply and whose bill they compute. */
export const costedEnvironment = 'prod' as const;
const config = selectEnvironment(cdkJson.context.environments, costedEnvironment);

process.env.POWERTOOLS_SERVICE_NAME = 'orders';
process.env.POWERTOOLS_METRICS_NAMESPACE = 'Orders';
process.env.POWERTOOLS_LOG_LEVEL = config.logLevel;
delete process.env.POWERTOOLS_DEV;
delete process.env.POWERTOOLS_METRICS_DISABLED;
