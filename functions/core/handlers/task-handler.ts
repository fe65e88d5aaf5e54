import type * as z from 'zod/mini';
import { parseOrThrow } from '../schemas/validation';
import { isCorrelationId } from '../observability/correlation-id';
import { faultInjectionFromEnv, faultInjectionMiddleware } from '../observability/fault-injection';
import { logger, tagInvocation } from '../observability/powertools';
import { metricNames } from '../observability/metric-names';
import { countingFailures, instrumented } from './instrumented';

/** What a task knows besides its validated input. */
export interface TaskContext {
  /**
   * The saga's correlation id: every state passes `correlationId` from the execution's input, which the workflow
   * starters always set. Undefined when a task is invoked without it (by hand, say) or with a malformed one.
   */
  readonly correlationId: string | undefined;
}

/**
 * Wraps a saga task: validates the state's input, tags logs and traces with the order id and the saga's correlation
 * id, and lets errors escape with their class name, which is what the state machine's Retry and Catch rules match
 * on. The correlation id is read beside the schema (whose objects drop keys they do not name), so a missing or
 * malformed one never fails a step: it only leaves the step's logs without it.
 */
export function taskHandler<I extends { orderId: string }, O>(
  schema: z.ZodMiniType<I>,
  run: (input: I, context: TaskContext) => Promise<O>,
) {
  // Read once at cold start. Unset, as in production (where AWS FIS injects faults), it adds no middleware at all.
  const faults = faultInjectionFromEnv();
  const handler = instrumented(async (event: unknown) => {
    const sent = (event as { correlationId?: unknown } | null | undefined)?.correlationId;
    const correlationId = isCorrelationId(sent) ? sent : undefined;
    tagInvocation({ correlationId });
    const input = parseOrThrow(schema, event, 'task input');
    tagInvocation({ orderId: input.orderId });
    // Counted by error type: declines and stock-outs are expected, anything else deserves a look.
    return countingFailures(metricNames.taskError, () => run(input, { correlationId }));
  });
  if (!faults) return handler;
  return handler.use(
    faultInjectionMiddleware(faults, (fault, functionName) =>
      logger.warn('injecting fault', { faultTarget: fault.target, faultMode: fault.mode, functionName }),
    ),
  );
}
