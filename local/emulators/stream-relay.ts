import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse } from 'aws-lambda';
import { listStreamShards } from './stream-shards';
import { redactedForConsole } from '../../functions/core/observability/redaction';
import { lambdaContext, loadHandler, type LambdaHandler } from './lambda-context';

export interface StreamRelayOptions {
  readonly projectRoot: string;
  /** The handler module the event source mapping invokes in AWS (functions/relays/outbox-relay.ts). */
  readonly handlerModule: string;
  readonly endpoint: string;
  readonly tableName: string;
  /**
   * Where each shard's position is kept between runs (a persistent table's stream outlives the process); none keeps
   * it in memory only. Without a saved position a shard is read from its oldest record, as the event source mapping
   * does with TRIM_HORIZON: at least once, never a gap.
   */
  readonly checkpointFile?: string;
  /** Records per invocation (the event source mapping's batch size). */
  readonly batchSize?: number;
  /** How long an idle poller waits before asking again. */
  readonly idleMs?: number;
  /** The event source mapping's filter: records that do not match are passed over, as Lambda does. */
  readonly filterPattern?: unknown;
}

/**
 * Lambda's event filtering, for the subset our mappings use: objects match field by field, a list matches when one
 * of its rules does, and a rule is a value or `{ exists: boolean }`.
 */
export function matchesFilter(pattern: unknown, value: unknown): boolean {
  if (Array.isArray(pattern)) {
    return pattern.some((rule: unknown) =>
      typeof rule === 'object' && rule !== null && 'exists' in rule
        ? (value !== undefined) === (rule as { exists: boolean }).exists
        : rule === value,
    );
  }
  if (typeof pattern !== 'object' || pattern === null) return false;
  if (typeof value !== 'object' || value === null) {
    // A field the record lacks matches only rules that ask for its absence.
    return Object.values(pattern).every((rule) => matchesFilter(rule, undefined));
  }
  return Object.entries(pattern).every(([key, rule]) => matchesFilter(rule, (value as Record<string, unknown>)[key]));
}

const region = 'us-east-1';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * The event source mapping of the outbox relay, offline: reads DynamoDB Local's stream of the table shard by shard,
 * in order, and invokes the same handler Lambda invokes in AWS with the same record shape. Like Lambda with
 * ReportBatchItemFailures, it moves past the records before the first failure the handler reports and delivers that
 * record and the rest again (with backoff); an invocation that throws gets its whole batch again. Offline nothing is
 * given up on: a record is retried until the handler takes it.
 */
export class LocalStreamRelay {
  private readonly streams: DynamoDBStreamsClient;
  private readonly tables: DynamoDBClient;
  private handler?: Promise<LambdaHandler>;
  /** Per shard: the last sequence number the handler took. */
  private readonly checkpoints = new Map<string, string>();
  private readonly iterators = new Map<string, string>();
  private readonly finished = new Set<string>();
  private shards: Shard[] = [];
  private streamArn?: string;
  private running?: Promise<void>;
  private stopping = false;
  /** Polling rounds started so far, and the number of the last one that found nothing to do. */
  private round = 0;
  private lastQuietRound = -1;
  private failures = 0;

  constructor(private readonly options: StreamRelayOptions) {
    const endpoint = options.endpoint;
    this.streams = new DynamoDBStreamsClient({ endpoint, region, credentials });
    this.tables = new DynamoDBClient({ endpoint, region, credentials });
    if (options.checkpointFile && existsSync(options.checkpointFile)) {
      for (const [shardId, sequenceNumber] of Object.entries(readCheckpoints(options.checkpointFile))) {
        this.checkpoints.set(shardId, sequenceNumber);
      }
    }
  }

  /** Starts polling (again, after `stop`, from where it stopped). */
  start(): void {
    if (this.running) return;
    this.stopping = false;
    this.iterators.clear();
    this.running = this.poll().catch((error: unknown) => {
      console.error('the local stream relay stopped', redactedForConsole(error));
    });
  }

  /** Stops after the invocation in progress; the positions reached are kept. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
    this.running = undefined;
  }

  get isRunning(): boolean {
    return this.running !== undefined;
  }

  /**
   * Resolves true once every record written before the call has been taken by the handler: a polling round that
   * began after the call found nothing new on any shard and nothing waiting for a retry. False at the deadline (a
   * relay that is stopped, or whose bus keeps refusing).
   */
  async settle(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const calledDuring = this.round;
    while (Date.now() < deadline) {
      if (this.lastQuietRound > calledDuring) return true;
      await sleep(10);
    }
    return false;
  }

  private async poll(): Promise<void> {
    let rounds = 0;
    while (!this.stopping) {
      this.round += 1;
      const round = this.round;
      // Shards are listed again from time to time: DynamoDB closes a shard and opens its children as it goes.
      if (rounds % 50 === 0 || this.shards.every((shard) => this.finished.has(shard.ShardId!))) await this.listShards();
      rounds += 1;
      let busy = false;
      for (const shard of this.readableShards()) {
        if (this.stopping) return;
        busy = (await this.pollShard(shard.ShardId!)) || busy;
      }
      if (busy) continue;
      this.lastQuietRound = round;
      await sleep(this.options.idleMs ?? 25);
    }
  }

  /** Open shards whose parent is read to its end: a key's records stay in order across a shard split. */
  private readableShards(): Shard[] {
    const known = new Set(this.shards.map((shard) => shard.ShardId));
    return this.shards.filter(
      (shard) =>
        !this.finished.has(shard.ShardId!) &&
        (!shard.ParentShardId || !known.has(shard.ParentShardId) || this.finished.has(shard.ParentShardId)),
    );
  }

  private async listShards(): Promise<void> {
    this.streamArn ??= (await this.tables.send(new DescribeTableCommand({ TableName: this.options.tableName }))).Table
      ?.LatestStreamArn;
    if (!this.streamArn) throw new Error(`the table ${this.options.tableName} has no stream`);
    this.shards = await listStreamShards(this.streams, this.streamArn);
  }

  /** Reads one batch of a shard and hands it to the handler; true when there was something to do. */
  private async pollShard(shardId: string): Promise<boolean> {
    const iterator = this.iterators.get(shardId) ?? (await this.iteratorFor(shardId));
    const { Records = [], NextShardIterator } = await this.streams.send(
      new GetRecordsCommand({ ShardIterator: iterator, Limit: this.options.batchSize ?? 100 }),
    );
    if (Records.length === 0) {
      if (NextShardIterator) this.iterators.set(shardId, NextShardIterator);
      else {
        this.finished.add(shardId);
        this.iterators.delete(shardId);
      }
      return false;
    }
    const lambdaRecords = Records.map((record) => this.lambdaRecord(record));
    const { filterPattern } = this.options;
    const matching = filterPattern
      ? lambdaRecords.filter((record) => matchesFilter(filterPattern, record))
      : lambdaRecords;
    const failed = matching.length > 0 ? await this.invoke(matching) : undefined;
    // Everything before the first record the handler did not take is done, the records filtered out included.
    const failedAt = failed === undefined ? undefined : lambdaRecords.indexOf(matching[failed]!);
    const taken = failedAt === undefined ? Records : Records.slice(0, failedAt);
    if (taken.length > 0) this.checkpoint(shardId, taken[taken.length - 1]!.dynamodb!.SequenceNumber!);
    if (failedAt === undefined) {
      this.failures = 0;
      if (NextShardIterator) this.iterators.set(shardId, NextShardIterator);
      else this.finished.add(shardId);
      return true;
    }
    // Delivered again from the first record not taken, after a backoff that grows while the handler keeps failing.
    this.iterators.delete(shardId);
    this.failures += 1;
    await sleep(Math.min(2000, 20 * 2 ** Math.min(this.failures, 7)));
    return true;
  }

  private async iteratorFor(shardId: string): Promise<string> {
    const checkpoint = this.checkpoints.get(shardId);
    const { ShardIterator } = await this.streams.send(
      new GetShardIteratorCommand({
        StreamArn: this.streamArn!,
        ShardId: shardId,
        ...(checkpoint
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: checkpoint }
          : { ShardIteratorType: 'TRIM_HORIZON' }),
      }),
    );
    if (!ShardIterator) throw new Error(`no iterator for shard ${shardId}`);
    return ShardIterator;
  }

  /** Invokes the handler; the index of the first record it did not take, or undefined when it took them all. */
  private async invoke(records: LambdaStreamRecord[]): Promise<number | undefined> {
    this.handler ??= loadHandler(this.options.projectRoot, this.options.handlerModule);
    const handler = await this.handler;
    try {
      const response = (await handler({ Records: records }, lambdaContext('outbox-relay'))) as
        DynamoDBBatchResponse | undefined;
      const failed = response?.batchItemFailures?.[0]?.itemIdentifier;
      if (failed === undefined) return undefined;
      const index = records.findIndex((record) => record.dynamodb.SequenceNumber === failed);
      return index < 0 ? 0 : index;
    } catch (error) {
      console.error('the outbox relay failed; its batch is delivered again', redactedForConsole(error));
      return 0;
    }
  }

  /** The record as Lambda's event source mapping hands it over (the creation time in epoch seconds). */
  private lambdaRecord(record: StreamRecord): LambdaStreamRecord {
    const { ApproximateCreationDateTime, ...stream } = record.dynamodb ?? {};
    return {
      eventID: record.eventID,
      eventName: record.eventName,
      eventVersion: record.eventVersion,
      eventSource: 'aws:dynamodb',
      awsRegion: region,
      dynamodb: {
        ...stream,
        ...(ApproximateCreationDateTime
          ? { ApproximateCreationDateTime: Math.floor(ApproximateCreationDateTime.getTime() / 1000) }
          : {}),
      },
      eventSourceARN: this.streamArn,
    };
  }

  private checkpoint(shardId: string, sequenceNumber: string): void {
    this.checkpoints.set(shardId, sequenceNumber);
    const file = this.options.checkpointFile;
    if (!file) return;
    mkdirSync(dirname(file), { recursive: true });
    // Written aside, then renamed over the file (atomic): a process killed mid-write leaves the previous positions.
    const next = `${file}.next`;
    writeFileSync(next, JSON.stringify(Object.fromEntries(this.checkpoints)));
    renameSync(next, file);
  }
}

/**
 * The saved positions; none when the file cannot be read as them (left by a version that wrote it in place and was
 * killed mid-write): the relay then starts at the trim horizon and delivers again what it had, which consumers drop.
 */
function readCheckpoints(file: string): Record<string, string> {
  try {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (
      saved &&
      typeof saved === 'object' &&
      !Array.isArray(saved) &&
      Object.values(saved).every((value) => typeof value === 'string')
    ) {
      return saved as Record<string, string>;
    }
  } catch {
    // Unreadable: as if absent.
  }
  console.warn(`stream relay: ${file} holds no readable positions; starting at the stream's trim horizon`);
  return {};
}

type LambdaStreamRecord = Omit<StreamRecord, 'dynamodb'> & {
  readonly dynamodb: Omit<NonNullable<StreamRecord['dynamodb']>, 'ApproximateCreationDateTime'> & {
    readonly ApproximateCreationDateTime?: number;
  };
  readonly eventSource: string;
  readonly awsRegion: string;
  readonly eventSourceARN?: string;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
