import { eventConsumers, type EventConsumerDefinition } from '../../functions/consumers/subscriptions';
import { redactedForConsole } from '../../functions/core/observability/redaction';
import type { LocalAwsEmulator, RecordedEvent } from './aws-services';
import { lambdaContext, loadHandler, type LambdaHandler } from './lambda-context';

/** Attempts per event, as the EventBridge rule's target (one try and two retries here; more in AWS). */
const attempts = 3;

/**
 * The local bus delivers each event to the consumers whose rule matches its detail-type, as EventBridge rules do:
 * the same handler modules, given the EventBridge envelope. Delivery is asynchronous and at least once; an event
 * that still fails after its retries is logged (in AWS it goes to the rule's dead-letter queue).
 */
export interface LocalConsumers {
  /** Resolves when no delivery is in progress (deliveries can start others only through new events). */
  settle(): Promise<void>;
  /** Stops delivering, after the deliveries in progress. */
  stop(): Promise<void>;
}

export function subscribeConsumers(aws: LocalAwsEmulator, projectRoot: string): LocalConsumers {
  const handlers = new Map<string, Promise<LambdaHandler>>();
  const inFlight = new Set<Promise<void>>();
  const deliver = async (name: string, consumer: EventConsumerDefinition, event: RecordedEvent) => {
    if (!handlers.has(name)) handlers.set(name, loadHandler(projectRoot, consumer.handler));
    const handler = await handlers.get(name)!;
    const envelope = {
      version: '0',
      id: event.id,
      'detail-type': event.detailType,
      source: event.source,
      account: '000000000000',
      time: event.time,
      region: 'us-east-1',
      resources: [],
      detail: event.detail,
    };
    for (let attempt = 1; ; attempt++) {
      try {
        await handler(envelope, lambdaContext(name));
        return;
      } catch (error) {
        if (attempt >= attempts) {
          console.error(`consumer ${name} gave up on event ${event.id}`, redactedForConsole(error));
          return;
        }
      }
    }
  };
  const unsubscribe = aws.onEvent((event) => {
    for (const [name, consumer] of Object.entries(eventConsumers) as [string, EventConsumerDefinition][]) {
      if (!consumer.detailTypes.includes(event.detailType)) continue;
      const delivery = deliver(name, consumer, event).finally(() => inFlight.delete(delivery));
      inFlight.add(delivery);
    }
  });
  const settle = async () => {
    while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
  };
  return {
    settle,
    stop: async () => {
      unsubscribe();
      await settle();
    },
  };
}
