import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { DomainEvent } from '../../functions/core/domain/events';
import { eventToRelay, relayOutbox, type OutboxChange } from '../../functions/core/use-cases/events/relay-outbox';
import { outboxChange } from '../../functions/core/adapters/dynamodb/outbox-attributes';

const event = (id: string): DomainEvent => ({
  id,
  type: 'order.confirmed',
  version: 2,
  occurredAt: '2026-12-03T10:00:00.000Z',
  data: { orderId: id.split(':')[0] },
});

const change = (sequenceNumber: string, newEvent?: DomainEvent, extra: Partial<OutboxChange> = {}): OutboxChange => ({
  sequenceNumber,
  eventName: 'INSERT',
  ...(newEvent ? { newEvent } : {}),
  ...extra,
});

/** A bus that accepts events until `capacity` is used up, recording what it took. */
function bus(capacity = Infinity, fail?: Error) {
  const taken: string[] = [];
  return {
    taken,
    publisher: {
      publishInOrder: async (events: readonly DomainEvent[]) => {
        if (fail) throw fail;
        const accepted = Math.max(0, Math.min(events.length, capacity - taken.length));
        taken.push(...events.slice(0, accepted).map((e) => e.id));
        return accepted;
      },
    },
  };
}

describe('which changes announce an event', () => {
  it('relays a new item’s event and a changed item’s event with a new id, nothing else', () => {
    expect(eventToRelay(change('1', event('a:x')), 'eu-west-1')?.id).toBe('a:x');
    expect(eventToRelay(change('1', event('a:x'), { eventName: 'MODIFY', oldEvent: event('a:x') }), undefined)).toBe(
      undefined,
    );
    expect(
      eventToRelay(change('1', event('a:y'), { eventName: 'MODIFY', oldEvent: event('a:x') }), undefined)?.id,
    ).toBe('a:y');
    expect(eventToRelay(change('1', event('a:x'), { eventName: 'REMOVE' }), undefined)).toBe(undefined);
    expect(eventToRelay(change('1'), undefined)).toBe(undefined);
  });

  it("leaves another region's events to that region's relay (a replica's copy of the write)", () => {
    const written = change('1', event('a:x'), { eventRegion: 'us-east-1' });
    expect(eventToRelay(written, 'eu-west-1')).toBe(undefined);
    expect(eventToRelay(written, 'us-east-1')?.id).toBe('a:x');
  });
});

describe('relayOutbox', () => {
  const changes = Array.from({ length: 25 }, (_, index) =>
    change(String(100 + index), index % 5 === 4 ? undefined : event(`o${index}:order.placed`)),
  );

  it('publishes every event in stream order, in calls of at most 10', async () => {
    const calls: number[] = [];
    const target = bus();
    const outcome = await relayOutbox(
      changes,
      {
        publishInOrder: async (events) => {
          calls.push(events.length);
          return target.publisher.publishInOrder(events);
        },
      },
      undefined,
    );
    expect(outcome).toEqual({ published: 20 });
    expect(calls).toEqual([10, 10]);
    expect(target.taken).toEqual(changes.flatMap((c) => (c.newEvent ? [c.newEvent.id] : [])));
  });

  it('resumes at the first event the bus refused: nothing after it is skipped', async () => {
    const target = bus(13);
    const outcome = await relayOutbox(changes, target.publisher, undefined);
    // 13 accepted: the 14th event is the change at index 16 (every fifth change carries none).
    expect(outcome).toMatchObject({ published: 13, resumeFrom: '116' });
    expect(outcome.error).toBeInstanceOf(Error);
  });

  it('resumes at the batch’s first event when the call throws', async () => {
    const outcome = await relayOutbox(changes, bus(Infinity, new Error('throttled')).publisher, undefined);
    expect(outcome).toMatchObject({ published: 0, resumeFrom: '100' });
  });
});

describe('the stream record, as Lambda hands it over', () => {
  it('reads only the outbox attributes of the images', () => {
    const record: DynamoDBRecord = {
      eventName: 'MODIFY',
      dynamodb: {
        SequenceNumber: '42',
        NewImage: marshall({
          PK: 'PRODUCT#p',
          event: event('p:inventory.reorder-suggested:2026-12-03'),
          eventRegion: 'eu-west-1',
        }) as never,
        OldImage: marshall({ PK: 'PRODUCT#p', event: event('p:inventory.reorder-suggested:2026-12-02') }) as never,
      },
    };
    expect(outboxChange(record)).toEqual({
      sequenceNumber: '42',
      eventName: 'MODIFY',
      newEvent: event('p:inventory.reorder-suggested:2026-12-03'),
      oldEvent: event('p:inventory.reorder-suggested:2026-12-02'),
      eventRegion: 'eu-west-1',
    });
  });
});
