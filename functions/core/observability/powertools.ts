// First, so that errors thrown while the other modules load already get readable traces in Lambda.
import './stack-traces';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { personalDataReplacer } from './redaction';
import { SampledTracer } from './sampled-tracer';

// Service name, namespace, log level and sampling come from POWERTOOLS_* variables set by CDK (and the local runtime).
// Every line passes the personal-data replacer: no address, email or phone number is written, whoever logs it.
export const logger = new Logger({ jsonReplacerFn: personalDataReplacer });
// Metrics' own notices (such as an invocation that recorded no metric) go through the structured logger and its level.
export const metrics = new Metrics({ logger });
// The Powertools tracer, loaded with the X-Ray SDK at the first invocation X-Ray samples (./sampled-tracer.ts).
export const tracer = new SampledTracer();

/**
 * Puts one flow's ids (./correlation-id.ts) on every log line of this invocation and on its trace. Call it inside a
 * middy chain that uses `injectLambdaContext(logger, { resetKeys: true })`, which clears them when the invocation
 * ends.
 */
export function tagInvocation(ids: { readonly correlationId?: string; readonly orderId?: string }): void {
  if (ids.correlationId !== undefined) {
    logger.appendKeys({ correlationId: ids.correlationId });
    tracer.putAnnotation('correlationId', ids.correlationId);
  }
  if (ids.orderId !== undefined) {
    logger.appendKeys({ orderId: ids.orderId });
    tracer.putAnnotation('orderId', ids.orderId);
  }
}
