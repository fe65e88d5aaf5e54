import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { outboxAttributeNames } from '../../../functions/core/adapters/dynamodb/outbox-attributes';
import { scanAll } from '../../../functions/core/adapters/dynamodb/pagination';
import type { DomainEvent } from '../../../functions/core/domain/events';
import type { OrderedPublisher } from '../../../functions/core/use-cases/events/relay-outbox';

export interface RepublishRange {
  /** ISO instants: events that occurred in [from, to]. */
  readonly from: string;
  readonly to: string;
  /** Only events of this type. */
  readonly type?: string;
  /** Only events written in this region (a replica also holds the other region's). */
  readonly region?: string;
}

/**
 * Every event the table's items carry for a time range, oldest first: what the outbox relay published (or should
 * have). An operator's tool after the relay gave up on a batch (docs/runbooks/outbox-relay.md), so a Scan with a
 * filter is fine here: it never runs on a request path.
 */
export async function eventsInRange(
  client: DynamoDBDocumentClient,
  tableName: string,
  range: RepublishRange,
): Promise<DomainEvent[]> {
  const items = await scanAll(client, {
    TableName: tableName,
    FilterExpression: 'attribute_exists(#event) AND #event.occurredAt BETWEEN :from AND :to',
    ProjectionExpression: '#event, #region',
    ExpressionAttributeNames: { '#event': outboxAttributeNames.event, '#region': outboxAttributeNames.region },
    ExpressionAttributeValues: { ':from': range.from, ':to': range.to },
  });
  return items
    .filter(
      (item) =>
        !range.region || !item[outboxAttributeNames.region] || item[outboxAttributeNames.region] === range.region,
    )
    .map((item) => item[outboxAttributeNames.event] as DomainEvent)
    .filter((event) => !range.type || event.type === range.type)
    .sort((a, b) => a.occurredAt.localeCompare(b.occurredAt) || a.id.localeCompare(b.id));
}

/**
 * Publishes the events again, in order, 10 per call, retrying a refused one a few times with backoff. Consumers
 * already hold most of them and drop those by id. Resolves with how many were published.
 */
export async function republishEvents(
  events: readonly DomainEvent[],
  publisher: OrderedPublisher,
  attempts = 5,
): Promise<number> {
  let published = 0;
  for (let attempt = 1; published < events.length; attempt++) {
    const batch = events.slice(published, published + 10);
    const accepted = await publisher.publishInOrder(batch).catch(() => 0);
    published += accepted;
    if (accepted < batch.length) {
      if (attempt >= attempts)
        throw new Error(`the bus kept refusing events: ${published} of ${events.length} published`);
      await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
    } else {
      attempt = 0;
    }
  }
  return published;
}
