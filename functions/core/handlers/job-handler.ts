import middy from '@middy/core';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { Context } from 'aws-lambda';
import { logger, metrics, tracer } from '../observability/powertools';
import { metricDimensions, metricNames } from '../observability/metric-names';

/**
 * Wraps a scheduled or on-demand job: the same logger, metrics and tracer setup as saga tasks, with the job's name
 * (instead of an order id) on every log line and trace. The triggering event (an EventBridge schedule, a manual
 * invoke, a CloudFormation custom resource) is handed to the job, which validates whatever it reads from it, with
 * the Lambda context (for its deadline). A failure is counted and rethrown, so the invocation fails visibly and the
 * schedule's retry policy applies.
 */
export function jobHandler<O>(jobName: string, run: (event: unknown, context: Context) => Promise<O>) {
  return middy(async (event: unknown, context: Context) => {
    logger.appendKeys({ job: jobName });
    tracer.putAnnotation('job', jobName);
    try {
      return await run(event, context);
    } catch (error) {
      metrics
        .addDimension(metricDimensions.errorType, (error as Error).name)
        .addMetric(metricNames.jobError, MetricUnit.Count, 1);
      throw error;
    }
  })
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));
}
