import { outboxAttributeNames } from '../core/adapters/dynamodb/outbox-attributes';

/**
 * The table-stream relays: CDK gives each a function and an event source mapping on the orders table's stream;
 * offline, local/emulators/stream-relay.ts reads DynamoDB Local's stream and invokes the same handler module.
 */
export const outboxRelay = {
  handler: 'functions/relays/outbox-relay.ts',
  description: 'Publishes the events state changes write with themselves (the outbox) to the orders bus',
  /** Records per invocation: a busy minute's events in a few PutEvents calls of 10. */
  batchSize: 100,
  /**
   * The event source mapping's filter (Lambda's event filtering syntax): new or changed items that carry an event.
   * Everything else in the stream (most writes) never invokes the relay; offline the stream poller applies the same
   * pattern.
   */
  filterPattern: {
    eventName: ['INSERT', 'MODIFY'],
    dynamodb: { NewImage: { [outboxAttributeNames.event]: { M: { id: { S: [{ exists: true }] } } } } },
  },
} as const;
