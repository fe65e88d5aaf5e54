import type { DomainEvent } from '../../domain/events';

/** One change of the table as the stream tells it, reduced to what the relay reads. */
export interface OutboxChange {
  /** The stream record's sequence number: where the stream resumes when this change's event is not published. */
  readonly sequenceNumber: string;
  readonly eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  readonly newEvent?: DomainEvent;
  readonly oldEvent?: DomainEvent;
  /** The region whose write carried the event (absent on items written before regions were recorded). */
  readonly eventRegion?: string;
}

/** Publishes events in order and says how many, from the first, the bus accepted (all of them, or fewer). */
export interface OrderedPublisher {
  publishInOrder(events: readonly DomainEvent[]): Promise<number>;
}

export interface RelayOutcome {
  readonly published: number;
  /** The sequence number of the first change whose event is not published yet: the stream resumes from it. */
  readonly resumeFrom?: string;
  /** Why the bus did not take it. */
  readonly error?: unknown;
}

/**
 * The event a change puts in the outbox: a new item's event, or a changed item's event whose id is new (a forecast
 * rewritten the same day keeps its suggestion's id and announces nothing again). Removals announce nothing (TTL
 * expiries among them), and neither does a replica's copy of another region's write.
 */
export function eventToRelay(change: OutboxChange, region: string | undefined): DomainEvent | undefined {
  if (change.eventName === 'REMOVE' || !change.newEvent) return undefined;
  if (change.eventRegion && region && change.eventRegion !== region) return undefined;
  if (change.oldEvent?.id === change.newEvent.id) return undefined;
  return change.newEvent;
}

/**
 * Relays the outbox: every event the changes carry is published in stream order, at least once, under its own id.
 * On the first event the bus refuses (or any error), the outcome names that change, and the stream delivers it and
 * everything after it again: later events the bus did accept may be published twice, never lost, and consumers
 * drop duplicates by id.
 */
export async function relayOutbox(
  changes: readonly OutboxChange[],
  publisher: OrderedPublisher,
  region: string | undefined,
  batchSize = 10,
): Promise<RelayOutcome> {
  const pending = changes.flatMap((change) => {
    const event = eventToRelay(change, region);
    return event ? [{ change, event }] : [];
  });
  let published = 0;
  for (let start = 0; start < pending.length; start += batchSize) {
    const batch = pending.slice(start, start + batchSize);
    let accepted: number;
    try {
      accepted = await publisher.publishInOrder(batch.map((entry) => entry.event));
    } catch (error) {
      return { published, resumeFrom: batch[0]!.change.sequenceNumber, error };
    }
    published += accepted;
    if (accepted < batch.length) {
      return {
        published,
        resumeFrom: batch[accepted]!.change.sequenceNumber,
        error: new Error(`the bus accepted ${accepted} of ${batch.length} events`),
      };
    }
  }
  return { published };
}
