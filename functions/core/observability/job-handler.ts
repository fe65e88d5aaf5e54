import middy from '@middy/core';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { logger, metrics, tracer } from './powertools';

/**
 * Wraps a scheduled or on-demand job: the same logger, metrics and tracer setup as saga tasks, with the job's name
 * (instead of an order id) on every log line and trace. The triggering event (an EventBridge schedule, a manual
 * invoke) is handed to the job, which validates whatever it reads from it. A failure is counted and rethrown, so the invocation
 * fails visibly and the schedule's retry policy applies.
 */
export function jobHandler<O>(jobName: string, run: (event: unknown) => Promise<O>) {
  return middy(async (event: unknown) => {
    logger.appendKeys({ job: jobName });
    tracer.putAnnotation('job', jobName);
    try {
      return await run(event);
    } catch (error) {
      metrics.addDimension('errorType', (error as Error).name).addMetric('JobError', MetricUnit.Count, 1);
      throw error;
    }
  })
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));
}
