import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { eventSource, type DomainEvent } from '../domain/events';
import type { EventPublisher } from '../domain/ports';
import { settings } from '../config/settings';
import { tracer } from '../observability/powertools';

/** Publishes domain events to EventBridge (the local event bus offline, through AWS_ENDPOINT_URL_EVENTBRIDGE). */
export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly eventBusName: string,
  ) {}

  async publish(events: readonly DomainEvent[]): Promise<void> {
    if (events.length === 0) return;
    const { FailedEntryCount = 0 } = await this.client.send(
      new PutEventsCommand({
        Entries: events.map((event) => ({
          EventBusName: this.eventBusName,
          Source: eventSource,
          DetailType: event.type,
          Detail: JSON.stringify(event),
        })),
      }),
    );
    if (FailedEntryCount > 0) throw new Error(`${FailedEntryCount} of ${events.length} events were not accepted`);
  }
}

/** The publisher for this function's environment, built once per cold start. */
export function eventPublisher(): EventBridgePublisher {
  return new EventBridgePublisher(tracer.captureAWSv3Client(new EventBridgeClient({})), settings.events().eventBusName);
}
