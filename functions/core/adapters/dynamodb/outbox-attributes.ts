import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { DomainEvent } from '../../domain/events';
import type { OutboxChange } from '../../use-cases/events/relay-outbox';

/**
 * The transactional outbox: an item written by a state change carries the event that announces it, so the change
 * and its event are one write that succeeds or fails as a whole. The stream relay (functions/relays/outbox-relay.ts)
 * publishes every event it finds on a new or changed item, at least once, under the event's own id.
 */
export const outboxAttributeNames = {
  event: 'event',
  /**
   * The region whose write produced the event. A global table's replica streams carry the replicated items too: each
   * region's relay publishes only its own region's events, so a standby does not announce the primary's changes again.
   */
  region: 'eventRegion',
} as const;

/** The attributes that put `event` in the outbox (none without an event). */
export function outboxAttributes(event: DomainEvent | undefined): Record<string, unknown> {
  if (!event) return {};
  return {
    [outboxAttributeNames.event]: event,
    ...(process.env.AWS_REGION ? { [outboxAttributeNames.region]: process.env.AWS_REGION } : {}),
  };
}

type StreamImage = Record<string, AttributeValue> | undefined;

/** Only the outbox's attributes are read: the rest of the item (an order's personal data) is never unmarshalled. */
function outboxOf(image: StreamImage): { event?: DomainEvent; region?: string } {
  const event = image?.[outboxAttributeNames.event];
  const region = image?.[outboxAttributeNames.region];
  return {
    ...(event ? { event: unmarshall({ event } as Record<string, AttributeValue>).event as DomainEvent } : {}),
    ...(region?.S ? { region: region.S } : {}),
  };
}

/** A stream record, as Lambda hands it (or the local stream poller, in the same shape). */
export function outboxChange(record: DynamoDBRecord): OutboxChange {
  const stream = record.dynamodb ?? {};
  const next = outboxOf(stream.NewImage as StreamImage);
  const previous = outboxOf(stream.OldImage as StreamImage);
  return {
    sequenceNumber: stream.SequenceNumber ?? '',
    eventName: record.eventName ?? 'MODIFY',
    ...(next.event ? { newEvent: next.event } : {}),
    ...(previous.event ? { oldEvent: previous.event } : {}),
    ...(next.region ? { eventRegion: next.region } : {}),
  };
}
