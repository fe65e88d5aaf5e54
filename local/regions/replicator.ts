import {
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  PutItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import { listStreamShards } from '../emulators/stream-shards';

/**
 * Global-table replication between two offline regions: each table's DynamoDB Streams records (NEW_AND_OLD_IMAGES)
 * are copied to the other region's DynamoDB Local, both ways, after a configurable lag, last writer wins per item by
 * write time. What it models and what it does not: docs/failover-drill.md.
 *
 * How it tells its own writes from the application's: it remembers what it wrote (a ledger per region and item: the
 * image written, or a delete) and recognises the record that write produces in the destination's stream, which it
 * then does not copy back. No marker attribute is added to items, so the application sees exactly the items it wrote.
 *
 * Write times: DynamoDB Local's ApproximateCreationDateTime is truncated to the minute (measured), far too coarse to
 * order two writes. A record's write time is therefore the moment the replicator first read it (streams are polled
 * every `pollMs` while a region answers), kept within the minute DynamoDB Local names, strictly increasing per
 * region. Records read after a region was unreachable (killed, then restarted) were written before it went down:
 * they are stamped with the start of the last read that reached the streams' end, not with the later moment they
 * could be read, so that they lose against what the other region wrote during the outage.
 */

export interface ReplicaRegion {
  /** The region's name (us-east-1): how `pending`, `drained` and `stats` name it. */
  readonly region: string;
  readonly dynamoDbEndpoint: string;
}

export interface ReplicatorOptions {
  readonly regions: readonly [ReplicaRegion, ReplicaRegion];
  /** Replication lag: a record is applied this long after its write time (0 = as soon as read). */
  readonly lagMs?: number;
  /** Tables to replicate; by default every table whose stream carries NEW_AND_OLD_IMAGES, found again as they appear. */
  readonly tables?: readonly string[];
  /** How long a reader that found nothing waits before polling a stream again (bounds the write-time error). */
  readonly pollMs?: number;
  /** The longest wait between attempts while a region does not answer. */
  readonly maxBackoffMs?: number;
}

export interface DirectionStats {
  /** Application writes read from the source's streams and queued for the destination. */
  read: number;
  /** Written to the destination. */
  applied: number;
  /** Not written: the destination holds a version written later (last writer wins). */
  droppedOlder: number;
  /** Written, but the destination held that very image (or nothing to delete): no change. */
  unchanged: number;
  /** Records of the replicator's own writes seen in the destination's stream (never copied back). */
  echoes: number;
  /** An application write in the destination raced a replicated one: the later one was written again. */
  repairs: number;
  /** Attempts that failed (the destination did not answer) and were retried. */
  retries: number;
  /** Write time to applied, for the last record applied and the largest seen (lag included). */
  lastLatencyMs: number;
  maxLatencyMs: number;
}

export interface RegionStats {
  /** Since when the region's DynamoDB does not answer (epoch ms), or undefined while it does. */
  downSince: number | undefined;
  /** Stream records read from it, the replicator's own writes included. */
  recordsRead: number;
  /** Reads of its streams that failed (each makes what is read next count as written before the failure). */
  readFailures: number;
}

export interface Replicator {
  /** Records read from `from` and not yet applied in `to` (records not yet read from a region that is down: unknown). */
  pending(from: string, to: string): number;
  /**
   * How far `to` is behind `from`: the age of the oldest record read and not yet applied (0 when none), the offline
   * counterpart of a global table's ReplicationLatency. Records a dead region has not handed over are not counted.
   */
  behindMs(from: string, to: string): number;
  /**
   * Resolves once everything written in `from` before the call is applied (or dropped as older) in `to`: a read of
   * every stream of `from` that began after the call reached their ends, and all it read is applied (with the lag).
   * Writes of `from` that an older write replicated from `to` overwrote in `from` (a conflict) are written back
   * there first, so `from` holds the winner too.
   * Waits for a region that is down to come back; rejects after `timeoutMs`. Writes continuing meanwhile do not delay
   * it.
   */
  drained(from: string, to: string, timeoutMs?: number): Promise<void>;
  /**
   * Resolves once a read of every stream of `region` that began after the call reached their ends: everything the
   * region wrote before is read (and stamped as written before). A drill restarting a region calls it between the
   * region's database coming back and its first new write (the fence of `npm run region -- fence`), so the backlog and
   * new writes are told apart exactly. Rejects after `timeoutMs`.
   */
  caughtUp(region: string, timeoutMs?: number): Promise<void>;
  /** Changes the lag; records not yet applied get the new one. */
  setLag(ms: number): void;
  /**
   * Stalls reading `region`'s streams, as a stream reader that stops taking records: what the region writes meanwhile
   * is neither read nor replicated until `resumeReading`. Resolves once no read of it is under way.
   */
  pauseReading(region: string): Promise<void>;
  resumeReading(region: string): void;
  /** Stalls applying in `from` → `to`: records are still read and queued, and applied after `resumeApplying`. */
  pauseApplying(from: string, to: string): void;
  resumeApplying(from: string, to: string): void;
  readonly lagMs: number;
  /** Per direction (`us-east-1->us-west-2`) and per region; live objects. */
  readonly stats: {
    readonly directions: Readonly<Record<string, DirectionStats>>;
    readonly regions: Readonly<Record<string, RegionStats>>;
  };
  stop(): Promise<void>;
}

type Image = Record<string, AttributeValue>;

/** A version's write time, with its region breaking ties (so both regions pick the same winner). */
interface Version {
  readonly stamp: number;
  readonly origin: string;
}

interface Change extends Version {
  /** Its place in its direction's queue (1, 2, ...; 0 for a repair, which goes first). */
  readonly serial: number;
  readonly table: string;
  readonly itemId: string;
  readonly keys: Image;
  /** The new image; undefined for a delete. */
  readonly image: Image | undefined;
  /** A write attempt failed without an answer: it may have happened. */
  uncertain?: boolean;
  /** Re-applies a destination's own later write that a replicated one overwrote: due at once. */
  readonly repair?: boolean;
  /** A repair's place among its direction's repairs (1, 2, ...). */
  readonly repairSerial?: number;
}

interface LedgerEntry extends Version {
  readonly fingerprint: string;
}

interface TableCursor {
  readonly table: string;
  readonly streamArn: string;
  shards: Shard[];
  readonly checkpoints: Map<string, string>;
  readonly iterators: Map<string, string>;
  readonly finished: Set<string>;
  polls: number;
}

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** DynamoDB Local truncates ApproximateCreationDateTime to the minute: the write happened within it. */
const creationTimeResolutionMs = 60_000;
/** GetRecords' limit: a read that returns fewer reached the shard's end. */
const recordsPerRead = 1000;
/** Changes of distinct items applied at once per direction (one item's changes always one after the other). */
const maxInFlight = 16;

/** Canonical JSON of an item or key: attribute order and set order do not matter. */
export function canonicalImage(value: unknown): string {
  const normalise = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(normalise);
    if (node instanceof Uint8Array) return { $bytes: Buffer.from(node).toString('base64') };
    if (typeof node !== 'object' || node === null) return node;
    const entries = Object.entries(node as Record<string, unknown>)
      .filter(([, child]) => child !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, child]) => {
        const normalised = normalise(child);
        // String, number and binary sets are unordered.
        return [
          key,
          (key === 'SS' || key === 'NS' || key === 'BS') && Array.isArray(normalised)
            ? [...normalised].map((member) => JSON.stringify(member)).sort()
            : normalised,
        ] as const;
      });
    return Object.fromEntries(entries);
  };
  return JSON.stringify(normalise(value));
}

/** Whether version `a` wins over `b`: the later write, or on a tie the region whose name sorts last. */
function wins(a: Version, b: Version | undefined): boolean {
  if (!b) return true;
  return a.stamp > b.stamp || (a.stamp === b.stamp && a.origin > b.origin);
}

class RegionSide {
  readonly db: DynamoDBClient;
  readonly streams: DynamoDBStreamsClient;
  readonly cursors = new Map<string, TableCursor>();
  /** The version each item holds here, as far as the replicator knows (its writes and the application's). */
  readonly versions = new Map<string, Version>();
  /** The latest application write read from this region's streams, per item (to repair a race, see `onRecord`). */
  readonly localWrites = new Map<string, { readonly version: Version; readonly image: Image | undefined }>();
  /** What the replicator wrote here and has not yet seen in the stream, per item. */
  readonly ledger = new Map<string, LedgerEntry[]>();
  readonly stats: RegionStats = { downSince: undefined, recordsRead: 0, readFailures: 0 };
  /** Reading stalled (`pauseReading`), and whether the reader has stopped reading for it. */
  readingPaused = false;
  readerIdle = false;
  /** True while reading the backlog after a gap: those records were written after `lastContact`, before the gap. */
  catchingUp = false;
  /** When the last read round that reached every stream's end began (before a gap, while catching up). */
  lastContact = 0;
  /** The last write time handed out: strictly increasing, so two writes of one item read together stay ordered. */
  lastStamp = 0;
  round = 0;
  /** The last read round that reached the end of every shard, and each outgoing change queued by then. */
  lastCaughtUpRound = -1;
  queuedAtCaughtUp = 0;
  /** Repairs of this region's own writes queued by then (see `onRecord`): `drained` waits for them too. */
  repairsAtCaughtUp = 0;

  constructor(
    readonly name: string,
    endpoint: string,
  ) {
    // One attempt, short timeouts: a region that is down must not hold the other direction's reader for long.
    const config = {
      endpoint,
      region: name,
      credentials,
      maxAttempts: 1,
      requestHandler: { connectionTimeout: 1000, requestTimeout: 5000 },
    };
    this.db = new DynamoDBClient(config);
    this.streams = new DynamoDBStreamsClient(config);
  }
}

class Direction {
  /** In serial order; a change leaves it once applied (or dropped). */
  readonly queue: Change[] = [];
  /** Serial of the last change queued. */
  queued = 0;
  /** Serial of the last repair queued. */
  repairsQueued = 0;
  /** Applying stalled (`pauseApplying`). */
  paused = false;
  readonly stats: DirectionStats = {
    read: 0,
    applied: 0,
    droppedOlder: 0,
    unchanged: 0,
    echoes: 0,
    repairs: 0,
    retries: 0,
    lastLatencyMs: 0,
    maxLatencyMs: 0,
  };

  constructor(
    readonly from: RegionSide,
    readonly to: RegionSide,
  ) {}
}

export function startReplicator(options: ReplicatorOptions): Replicator {
  const [first, second] = options.regions;
  if (first.region === second.region) throw new Error('the two regions need different names');
  const pollMs = options.pollMs ?? 20;
  const maxBackoffMs = options.maxBackoffMs ?? 250;
  let lagMs = options.lagMs ?? 0;
  let stopping = false;

  const sides = [
    new RegionSide(first.region, first.dynamoDbEndpoint),
    new RegionSide(second.region, second.dynamoDbEndpoint),
  ];
  const outgoing = new Map<RegionSide, Direction>([
    [sides[0]!, new Direction(sides[0]!, sides[1]!)],
    [sides[1]!, new Direction(sides[1]!, sides[0]!)],
  ]);
  const incoming = (side: RegionSide) => [...outgoing.values()].find((direction) => direction.to === side)!;
  const itemId = (table: string, keys: Image) => `${table}\u0000${canonicalImage(keys)}`;

  /** When a record read now was written: see the file's comment. */
  const writeTime = (side: RegionSide, record: StreamRecord, now: number) => {
    const approximate = record.dynamodb?.ApproximateCreationDateTime?.getTime();
    const observed = side.catchingUp ? side.lastContact : now;
    const bounded =
      approximate === undefined
        ? observed
        : Math.min(Math.max(observed, approximate), approximate + creationTimeResolutionMs - 1);
    side.lastStamp = Math.max(bounded, side.lastStamp + 0.001);
    return side.lastStamp;
  };

  const onRecord = (side: RegionSide, table: string, record: StreamRecord, now: number) => {
    side.stats.recordsRead += 1;
    const keys = record.dynamodb?.Keys as Image | undefined;
    if (!keys) return;
    const id = itemId(table, keys);
    const image = record.eventName === 'REMOVE' ? undefined : (record.dynamodb?.NewImage as Image | undefined);
    const fingerprint = image ? canonicalImage(image) : 'REMOVE';
    const entries = side.ledger.get(id);
    const mine = entries?.findIndex((entry) => entry.fingerprint === fingerprint) ?? -1;
    if (mine >= 0) {
      const [entry] = entries!.splice(mine, 1);
      if (entries!.length === 0) side.ledger.delete(id);
      const direction = incoming(side);
      direction.stats.echoes += 1;
      // An application write here that the replicator had not read yet when it decided, and that precedes its write
      // in this stream, was overwritten by an older version: write it again, so that both regions end on it.
      const local = side.localWrites.get(id);
      if (local && wins(local.version, entry)) {
        direction.repairsQueued += 1;
        direction.queue.unshift({
          serial: 0,
          table,
          itemId: id,
          keys,
          image: local.image,
          ...local.version,
          repair: true,
          repairSerial: direction.repairsQueued,
        });
        direction.stats.repairs += 1;
      }
      return;
    }
    const version: Version = { stamp: writeTime(side, record, now), origin: side.name };
    if (wins(version, side.versions.get(id))) side.versions.set(id, version);
    side.localWrites.set(id, { version, image });
    const direction = outgoing.get(side)!;
    direction.queued += 1;
    direction.queue.push({ serial: direction.queued, table, itemId: id, keys, image, ...version });
    direction.stats.read += 1;
  };

  const tablesOf = async (side: RegionSide): Promise<string[]> => {
    if (options.tables) return [...options.tables];
    const names: string[] = [];
    let start: string | undefined;
    do {
      const page = await side.db.send(new ListTablesCommand(start ? { ExclusiveStartTableName: start } : {}));
      names.push(...(page.TableNames ?? []));
      start = page.LastEvaluatedTableName;
    } while (start);
    return names;
  };

  const discover = async (side: RegionSide) => {
    for (const table of await tablesOf(side)) {
      if (side.cursors.has(table)) continue;
      const { Table } = await side.db.send(new DescribeTableCommand({ TableName: table }));
      if (Table?.StreamSpecification?.StreamViewType !== 'NEW_AND_OLD_IMAGES' || !Table.LatestStreamArn) continue;
      side.cursors.set(table, {
        table,
        streamArn: Table.LatestStreamArn,
        shards: [],
        checkpoints: new Map(),
        iterators: new Map(),
        finished: new Set(),
        polls: 0,
      });
    }
  };

  const listShards = async (side: RegionSide, cursor: TableCursor) => {
    cursor.shards = await listStreamShards(side.streams, cursor.streamArn);
  };

  /** Reads one batch from each readable shard of a table: whether it found records, and read to every shard's end. */
  const pollTable = async (side: RegionSide, cursor: TableCursor) => {
    if (cursor.polls % 50 === 0 || cursor.shards.every((shard) => cursor.finished.has(shard.ShardId!))) {
      await listShards(side, cursor);
    }
    cursor.polls += 1;
    const known = new Set(cursor.shards.map((shard) => shard.ShardId));
    // A child shard is read after its parent, so an item's records stay in order across a split.
    const readable = cursor.shards.filter(
      (shard) =>
        !cursor.finished.has(shard.ShardId!) &&
        (!shard.ParentShardId || !known.has(shard.ParentShardId) || cursor.finished.has(shard.ParentShardId)),
    );
    let found = false;
    let atEnd = true;
    for (const shard of readable) {
      const shardId = shard.ShardId!;
      let iterator = cursor.iterators.get(shardId);
      if (!iterator) {
        const checkpoint = cursor.checkpoints.get(shardId);
        ({ ShardIterator: iterator } = await side.streams.send(
          new GetShardIteratorCommand({
            StreamArn: cursor.streamArn,
            ShardId: shardId,
            ...(checkpoint
              ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: checkpoint }
              : { ShardIteratorType: 'TRIM_HORIZON' }),
          }),
        ));
      }
      if (!iterator) continue;
      const { Records = [], NextShardIterator } = await side.streams.send(
        new GetRecordsCommand({ ShardIterator: iterator, Limit: recordsPerRead }),
      );
      const now = Date.now();
      for (const record of Records) {
        onRecord(side, cursor.table, record, now);
        cursor.checkpoints.set(shardId, record.dynamodb!.SequenceNumber!);
      }
      if (NextShardIterator) cursor.iterators.set(shardId, NextShardIterator);
      else {
        cursor.iterators.delete(shardId);
        cursor.finished.add(shardId);
      }
      found = found || Records.length > 0;
      atEnd = atEnd && Records.length < recordsPerRead;
    }
    return { found, atEnd };
  };

  const read = async (side: RegionSide) => {
    let failures = 0;
    while (!stopping) {
      side.readerIdle = side.readingPaused;
      if (side.readingPaused) {
        await sleep(Math.min(pollMs, 10));
        continue;
      }
      side.round += 1;
      const round = side.round;
      const roundStart = Date.now();
      try {
        // After a gap, what is read until the streams are caught up was written after the last contact, before the
        // region went down (and before anything the other region wrote since).
        if (side.stats.downSince !== undefined) side.catchingUp = true;
        if (round % 100 === 1 || side.cursors.size === 0) await discover(side);
        let found = false;
        let atEnd = true;
        for (const cursor of side.cursors.values()) {
          const read = await pollTable(side, cursor);
          found = found || read.found;
          atEnd = atEnd && read.atEnd;
        }
        side.stats.downSince = undefined;
        failures = 0;
        if (atEnd) {
          // Everything written before this round began is read: the bound for a later gap, and for `drained`.
          side.catchingUp = false;
          side.lastContact = roundStart;
          side.lastCaughtUpRound = round;
          side.queuedAtCaughtUp = outgoing.get(side)!.queued;
          side.repairsAtCaughtUp = incoming(side).repairsQueued;
        }
        if (!found) await sleep(pollMs);
      } catch {
        // Unreachable (killed, restarting) or an iterator it no longer honours: start again from the checkpoints.
        side.stats.downSince ??= Date.now();
        side.stats.readFailures += 1;
        for (const cursor of side.cursors.values()) cursor.iterators.clear();
        failures += 1;
        await sleep(Math.min(maxBackoffMs, 10 * 2 ** Math.min(failures, 10)));
      }
    }
  };

  const ledgerAdd = (side: RegionSide, change: Change, fingerprint: string) => {
    const entries = side.ledger.get(change.itemId) ?? [];
    entries.push({ fingerprint, stamp: change.stamp, origin: change.origin });
    side.ledger.set(change.itemId, entries);
  };
  const ledgerRemove = (side: RegionSide, change: Change, fingerprint: string) => {
    const entries = side.ledger.get(change.itemId);
    const index = entries?.findIndex((entry) => entry.fingerprint === fingerprint) ?? -1;
    if (index < 0) return;
    entries!.splice(index, 1);
    if (entries!.length === 0) side.ledger.delete(change.itemId);
  };

  /** Writes one change into the destination, unless it holds a later version. */
  const apply = async (direction: Direction, change: Change) => {
    const { to, stats } = direction;
    const current = to.versions.get(change.itemId);
    // A repair puts back the version the destination already counts as its own: only a later one stops it.
    if (change.repair ? current !== undefined && wins(current, change) : !wins(change, current)) {
      stats.droppedOlder += 1;
      return;
    }
    const fingerprint = change.image ? canonicalImage(change.image) : 'REMOVE';
    // In the ledger before the write: the destination's reader may see the record before the write's answer arrives.
    // A retry after a write without an answer keeps the first attempt's entry.
    if (!change.uncertain) ledgerAdd(to, change, fingerprint);
    let previous: Image | undefined;
    try {
      const output = change.image
        ? await to.db.send(new PutItemCommand({ TableName: change.table, Item: change.image, ReturnValues: 'ALL_OLD' }))
        : await to.db.send(
            new DeleteItemCommand({ TableName: change.table, Key: change.keys, ReturnValues: 'ALL_OLD' }),
          );
      previous = output.Attributes;
    } catch (error) {
      const name = (error as Error).name;
      // A refusal is an answer (the write did not happen); anything else may have written.
      const refused = name === 'ResourceNotFoundException' || name === 'ValidationException';
      if (refused && !change.uncertain) ledgerRemove(to, change, fingerprint);
      else change.uncertain = true;
      throw error;
    }
    // No change, no stream record (DynamoDB writes none for a put of the same image or a delete of nothing).
    const noChange = change.image ? previous !== undefined && canonicalImage(previous) === fingerprint : !previous;
    if (noChange) {
      stats.unchanged += 1;
      if (!change.uncertain) ledgerRemove(to, change, fingerprint);
    }
    to.versions.set(change.itemId, { stamp: change.stamp, origin: change.origin });
    stats.applied += 1;
    stats.lastLatencyMs = Date.now() - change.stamp;
    stats.maxLatencyMs = Math.max(stats.maxLatencyMs, stats.lastLatencyMs);
  };

  const isDue = (change: Change) => change.repair || change.stamp + lagMs <= Date.now();

  const applyLoop = async (direction: Direction) => {
    let failures = 0;
    while (!stopping) {
      // Last writer wins needs the destination's own writes known first: wait until its streams are read to the end
      // (at the start, and after it was down).
      const { to } = direction;
      if (direction.paused || to.stats.downSince !== undefined || to.catchingUp || to.lastCaughtUpRound < 0) {
        await sleep(pollMs);
        continue;
      }
      // The due changes at the head, one per item: their items' order is kept, distinct items go in parallel.
      const batch: Change[] = [];
      const items = new Set<string>();
      for (const change of direction.queue) {
        if (batch.length === maxInFlight || !isDue(change) || items.has(change.itemId)) break;
        items.add(change.itemId);
        batch.push(change);
      }
      if (batch.length === 0) {
        const head = direction.queue[0];
        // In short steps, so a lag made shorter applies at once.
        await sleep(head ? Math.max(1, Math.min(head.stamp + lagMs - Date.now(), 50)) : Math.min(pollMs, 10));
        continue;
      }
      const outcomes = await Promise.allSettled(batch.map((change) => apply(direction, change)));
      const done = new Set(batch.filter((_, index) => outcomes[index]!.status === 'fulfilled'));
      for (let index = direction.queue.length - 1; index >= 0; index--) {
        if (done.has(direction.queue[index]!)) direction.queue.splice(index, 1);
      }
      if (done.size === batch.length) {
        failures = 0;
        continue;
      }
      direction.stats.retries += batch.length - done.size;
      failures += 1;
      await sleep(Math.min(maxBackoffMs, 10 * 2 ** Math.min(failures, 10)));
    }
  };

  const loops = [
    ...sides.map((side) => read(side)),
    ...[...outgoing.values()].map((direction) => applyLoop(direction)),
  ];

  const region = (name: string) => {
    const found = sides.find((candidate) => candidate.name === name);
    if (!found) throw new Error(`no region ${name}`);
    return found;
  };
  const direction = (from: string, to: string) => {
    const found = [...outgoing.values()].find((candidate) => candidate.from.name === from && candidate.to.name === to);
    if (!found) throw new Error(`no replication from ${from} to ${to}`);
    return found;
  };

  return {
    pending: (from, to) => direction(from, to).queue.length,
    behindMs: (from, to) => {
      const { queue } = direction(from, to);
      if (queue.length === 0) return 0;
      return Math.max(0, Date.now() - Math.min(...queue.slice(0, maxInFlight + 1).map((change) => change.stamp)));
    },
    async drained(from, to, timeoutMs = 60_000) {
      const chosen = direction(from, to);
      const back = direction(to, from);
      const calledDuring = chosen.from.round;
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        // A read of `from` that began after the call reached every shard's end; what it queued is applied, and so are
        // the repairs it found: `from`'s own writes that an older replicated write overwrote there, written back.
        const caughtUp = chosen.from.lastCaughtUpRound > calledDuring;
        const appliedThrough = chosen.queue.length === 0 ? chosen.queued : chosen.queue[0]!.serial - 1;
        const repairing = back.queue.some(
          (change) => change.repair && change.repairSerial! <= chosen.from.repairsAtCaughtUp,
        );
        if (caughtUp && appliedThrough >= chosen.from.queuedAtCaughtUp && !repairing) return;
        if (Date.now() > deadline) {
          throw new Error(
            `replication ${from} -> ${to} not drained within ${timeoutMs} ms (${chosen.queue.length} pending` +
              `${repairing ? `, a write of ${from} to write back there` : ''}` +
              `${chosen.from.stats.downSince === undefined ? '' : `, ${from} unreachable`})`,
          );
        }
        await sleep(10);
      }
    },
    async caughtUp(name, timeoutMs = 60_000) {
      const side = region(name);
      const calledDuring = side.round;
      const deadline = Date.now() + timeoutMs;
      while (side.lastCaughtUpRound <= calledDuring) {
        if (Date.now() > deadline) throw new Error(`${name}'s streams not read to their end within ${timeoutMs} ms`);
        await sleep(10);
      }
    },
    setLag(ms) {
      if (!Number.isFinite(ms) || ms < 0) throw new Error(`the lag must be a number of ms >= 0, got ${ms}`);
      lagMs = ms;
    },
    get lagMs() {
      return lagMs;
    },
    async pauseReading(name) {
      const side = region(name);
      side.readingPaused = true;
      while (!side.readerIdle && !stopping) await sleep(5);
    },
    resumeReading(name) {
      region(name).readingPaused = false;
    },
    pauseApplying(from, to) {
      direction(from, to).paused = true;
    },
    resumeApplying(from, to) {
      direction(from, to).paused = false;
    },
    stats: {
      directions: Object.fromEntries(
        [...outgoing.values()].map((candidate) => [`${candidate.from.name}->${candidate.to.name}`, candidate.stats]),
      ),
      regions: Object.fromEntries(sides.map((side) => [side.name, side.stats])),
    },
    async stop() {
      stopping = true;
      await Promise.all(loops);
      for (const side of sides) {
        side.db.destroy();
        side.streams.destroy();
      }
    },
  };
}
