import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

// Service name, namespace, log level and sampling come from POWERTOOLS_* variables set by CDK (and the local runtime).
export const logger = new Logger();
export const metrics = new Metrics();
export const tracer = new Tracer();
