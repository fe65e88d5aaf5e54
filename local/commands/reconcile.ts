import { parseArgs } from 'node:util';
import { runCommand } from './lib/data-command';
import { formatReport, reconcileRunningSystem } from './lib/reconciliation';
import { LocalSystemNotRunningError, readRuntimeFile } from '../runtime/runtime-file';

const usage = `npm run reconcile -- [options]
Checks the running npm start's data against the invariants (docs/runbooks/reconciliation-violations.md).
  --json                        print the report as JSON instead
  --runtime-file <path>         another system's runtime file (default .local-data/runtime.json)`;

/**
 * `npm run reconcile`: runs the reconciliation job's use case against the system `npm start` is running (found
 * through .local-data/runtime.json) and prints the report. Exit status: 0 when every invariant holds, 1 when
 * something is violated, 2 when the check could not run. The RECONCILE_* variables tune it as they tune the job.
 */
async function main(): Promise<number> {
  // The payment adapter logs through Powertools: quiet, and no metrics, for a command-line report.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.POWERTOOLS_SERVICE_NAME ??= 'orders-reconcile';
  process.env.POWERTOOLS_METRICS_NAMESPACE ??= 'Orders';
  const { values } = parseArgs({
    options: { json: { type: 'boolean' }, 'runtime-file': { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const endpoints = await readRuntimeFile(values['runtime-file']);
  const report = await reconcileRunningSystem(endpoints).catch((error: unknown) => {
    if (!refused(error)) throw error;
    throw new LocalSystemNotRunningError(
      `nothing answers at ${endpoints.dynamoDbEndpoint} or ${endpoints.payments.url}`,
    );
  });
  console.log(values.json ? JSON.stringify(report, null, 2) : formatReport(report));
  return report.violations.length > 0 ? 1 : 0;
}

function refused(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if ((error as NodeJS.ErrnoException).code === 'ECONNREFUSED') return true;
  if (error instanceof AggregateError && error.errors.some(refused)) return true;
  return refused(error.cause);
}

runCommand('reconcile', usage, main);
