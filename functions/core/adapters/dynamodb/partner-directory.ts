import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../data/table-design';
import { queryAll } from './pagination';
import type { PartnerClientRecord, PartnerDirectory, PartnerRecord } from '../../domain/ports';

/**
 * The partner registry in the orders table (docs/access-patterns.md): `PARTNER / PARTNER#<id>` per partner, all in
 * one partition that only operators read, and `PARTNERCLIENT#<clientId>` per app client, the item API functions get
 * by key. Both are written in one transaction, so a client never points at a partner that does not exist and a
 * disable reaches both at once. No index keys: registry items stay out of every index.
 */
export class DynamoDbPartnerDirectory implements PartnerDirectory {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async byClientId(clientId: string): Promise<PartnerClientRecord | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.partnerClient(clientId) }),
    );
    if (!Item) return undefined;
    return { partnerId: String(Item.partnerId), status: Item.status === 'active' ? 'active' : 'disabled' };
  }

  async get(partnerId: string): Promise<PartnerRecord | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.partner(partnerId), ConsistentRead: true }),
    );
    return Item ? toPartner(Item) : undefined;
  }

  async list(): Promise<PartnerRecord[]> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'PK = :partners',
      ExpressionAttributeValues: { ':partners': keys.partnerPartition },
    });
    return items.map(toPartner);
  }

  async register(partner: PartnerRecord): Promise<boolean> {
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: { ...keys.partner(partner.partnerId), entity: 'partner', ...partner },
                ConditionExpression: 'attribute_not_exists(PK)',
              },
            },
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  ...keys.partnerClient(partner.clientId),
                  entity: 'partner-client',
                  partnerId: partner.partnerId,
                  clientId: partner.clientId,
                  status: partner.status,
                },
                ConditionExpression: 'attribute_not_exists(PK)',
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'TransactionCanceledException') return false;
      throw error;
    }
  }

  async setStatus(partnerId: string, status: PartnerRecord['status'], at: string): Promise<void> {
    const partner = await this.get(partnerId);
    if (!partner) throw new Error(`no partner ${partnerId}`);
    const update = (Key: Record<string, string>) => ({
      Update: {
        TableName: this.tableName,
        Key,
        UpdateExpression: 'SET #status = :status, updatedAt = :at',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': status, ':at': at },
      },
    });
    await this.client.send(
      new TransactWriteCommand({
        TransactItems: [update(keys.partner(partnerId)), update(keys.partnerClient(partner.clientId))],
      }),
    );
  }
}

function toPartner(item: Record<string, unknown>): PartnerRecord {
  return {
    partnerId: String(item.partnerId),
    plan: String(item.plan),
    status: item.status === 'active' ? 'active' : 'disabled',
    clientId: String(item.clientId),
    apiKeyId: String(item.apiKeyId),
    createdAt: String(item.createdAt),
    updatedAt: String(item.updatedAt ?? item.createdAt),
  };
}

/**
 * The registry lookup API functions make on every partner request, cached per function instance: a partner's own
 * traffic costs one read per instance per minute. A disable therefore takes effect within `ttlMs` everywhere (the
 * runbook says so); an unknown client is remembered for a shorter time, so a partner created a moment ago is not
 * refused for long.
 */
export function cachedPartnerLookup(
  directory: Pick<PartnerDirectory, 'byClientId'>,
  options: { ttlMs?: number; unknownTtlMs?: number; now?: () => number } = {},
): (clientId: string) => Promise<PartnerClientRecord | undefined> {
  const { ttlMs = 60_000, unknownTtlMs = 10_000, now = Date.now } = options;
  const cache = new Map<string, { record: PartnerClientRecord | undefined; until: number }>();
  return async (clientId) => {
    const cached = cache.get(clientId);
    if (cached && cached.until > now()) return cached.record;
    const record = await directory.byClientId(clientId);
    cache.set(clientId, { record, until: now() + (record ? ttlMs : unknownTtlMs) });
    return record;
  };
}
