import type { Context } from 'aws-lambda';
import { logger, tracer } from '../observability/powertools';
import { metricNames } from '../observability/metric-names';
import { countingFailures, instrumented } from './instrumented';

/**
 * Wraps a scheduled or on-demand job: the same logger, metrics and tracer setup as saga tasks, with the job's name
 * (instead of an order id) on every log line and trace. The triggering event (an EventBridge schedule, a manual
 * invoke, a CloudFormation custom resource) is handed to the job, which validates whatever it reads from it, with
 * the Lambda context (for its deadline). A failure is counted and rethrown, so the invocation fails visibly and the
 * schedule's retry policy applies.
 */
/** Marks an invocation as a release probe (functions/hooks/release-checks.ts sends it). */
export const releaseProbeKey = 'releaseProbe';
const releaseProbeAnswer = { [releaseProbeKey]: true } as const;

export function isReleaseProbe(event: unknown): boolean {
  return typeof event === 'object' && event !== null && (event as Record<string, unknown>)[releaseProbeKey] === true;
}

export function jobHandler<O>(jobName: string, run: (event: unknown, context: Context) => Promise<O>) {
  return instrumented(async (event: unknown, context: Context): Promise<O | typeof releaseProbeAnswer> => {
    logger.appendKeys({ job: jobName });
    if (isReleaseProbe(event)) return releaseProbeAnswer;
    tracer.putAnnotation('job', jobName);
    return countingFailures(metricNames.jobError, () => run(event, context));
  });
}
