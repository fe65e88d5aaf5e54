import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { eventSource, type DomainEvent } from '../domain/events';
import type { EventPublisher } from '../domain/ports';
import type { OrderedPublisher } from '../use-cases/events/relay-outbox';
import { settings } from '../config/settings';
import { tracer } from '../observability/powertools';

/**
 * Publishes domain events to EventBridge (the local event bus offline, through AWS_ENDPOINT_URL_EVENTBRIDGE). Only
 * the outbox relay publishes order events (functions/relays/outbox-relay.ts): a state change writes its event with
 * itself, and nothing else may announce it.
 */
export class EventBridgePublisher implements EventPublisher, OrderedPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly eventBusName: string,
  ) {}

  async publish(events: readonly DomainEvent[]): Promise<void> {
    const accepted = await this.publishInOrder(events);
    if (accepted < events.length)
      throw new Error(`${events.length - accepted} of ${events.length} events were not accepted`);
  }

  /** At most 10 events (one PutEvents call); how many from the first were accepted before the first refusal. */
  async publishInOrder(events: readonly DomainEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    const { FailedEntryCount = 0, Entries = [] } = await this.client.send(
      new PutEventsCommand({
        Entries: events.map((event) => ({
          EventBusName: this.eventBusName,
          Source: eventSource,
          DetailType: event.type,
          Detail: JSON.stringify(event),
        })),
      }),
    );
    if (FailedEntryCount === 0) return events.length;
    const firstRefused = Entries.findIndex((entry) => entry.ErrorCode !== undefined || !entry.EventId);
    return firstRefused < 0 ? 0 : firstRefused;
  }
}

/** The publisher for this function's environment, built once per cold start. */
export function eventPublisher(): EventBridgePublisher {
  return new EventBridgePublisher(tracer.captureAWSv3Client(new EventBridgeClient({})), settings.events().eventBusName);
}
