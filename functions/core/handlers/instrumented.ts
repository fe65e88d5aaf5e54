import middy from '@middy/core';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';
import { logger, metrics, tracer } from '../observability/powertools';
import { metricDimensions, type MetricName } from '../observability/metric-names';

/**
 * The middy chain that saga tasks and jobs share: a traced invocation, logs carrying the Lambda context (keys of the
 * previous invocation reset), and metrics flushed at the end with the cold-start metric. The event is never logged,
 * whatever POWERTOOLS_LOGGER_LOG_EVENT says: the HTTP handlers' twin setting keeps tokens out of logs, and one rule for
 * every function is easier to keep.
 */
export function instrumented<E, R>(run: (event: E, context: Context) => Promise<R>) {
  return middy(run)
    .use(tracer.middleware())
    .use(injectLambdaContext(logger, { resetKeys: true, logEvent: false }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));
}

/**
 * Runs the business part of an invocation; a failure is counted under `errorMetric` by its class name and rethrown
 * unchanged, because the state machine's Retry and Catch rules (and a schedule's retry policy) act on the error.
 */
export async function countingFailures<R>(errorMetric: MetricName, work: () => Promise<R>): Promise<R> {
  try {
    return await work();
  } catch (error) {
    metrics.addDimension(metricDimensions.errorType, (error as Error).name).addMetric(errorMetric, MetricUnit.Count, 1);
    throw error;
  }
}
