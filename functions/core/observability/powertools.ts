import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

// Service name, namespace, log level and sampling come from POWERTOOLS_* variables set by CDK (and the local runtime).
export const logger = new Logger();
// Metrics' own notices (such as an invocation that recorded no metric) go through the structured logger and its level.
export const metrics = new Metrics({ logger });
export const tracer = new Tracer();
