import middy from '@middy/core';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type * as z from 'zod/mini';
import { parseOrThrow } from '../schemas/validation';
import { faultInjectionFromEnv, faultInjectionMiddleware } from './fault-injection';
import { logger, metrics, tracer } from './powertools';

/**
 * Wraps a saga task: validates the state's input, tags logs and traces with the order id, and lets errors escape
 * with their class name, which is what the state machine's Retry and Catch rules match on.
 */
export function taskHandler<I extends { orderId: string }, O>(schema: z.ZodMiniType<I>, run: (input: I) => Promise<O>) {
  // Read once at cold start. Unset, as in production (where AWS FIS injects faults), it adds no middleware at all.
  const faults = faultInjectionFromEnv();
  const handler = middy(async (event: unknown) => {
    const input = parseOrThrow(schema, event, 'task input');
    logger.appendKeys({ orderId: input.orderId });
    tracer.putAnnotation('orderId', input.orderId);
    try {
      return await run(input);
    } catch (error) {
      // Counted by error type: declines and stock-outs are expected, anything else deserves a look.
      metrics.addDimension('errorType', (error as Error).name).addMetric('TaskError', MetricUnit.Count, 1);
      throw error;
    }
  })
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));
  if (!faults) return handler;
  return handler.use(
    faultInjectionMiddleware(faults, (fault, functionName) =>
      logger.warn('injecting fault', { faultTarget: fault.target, faultMode: fault.mode, functionName }),
    ),
  );
}
