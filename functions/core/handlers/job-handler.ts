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
export function jobHandler<O>(jobName: string, run: (event: unknown, context: Context) => Promise<O>) {
  return instrumented(async (event: unknown, context: Context) => {
    logger.appendKeys({ job: jobName });
    tracer.putAnnotation('job', jobName);
    return countingFailures(metricNames.jobError, () => run(event, context));
  });
}
