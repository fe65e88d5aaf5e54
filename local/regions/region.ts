import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { settingNames } from '../../functions/core/config/settings';
import { freePort, startDynamoDbLocal, type DynamoDbLocal } from '../emulators/dynamodb-local';
import type { LocalApiKey } from '../runtime/dev-config';
import type { DevPartnerCredentials } from '../runtime/dev-partners';
import { projectRoot, type LocalRuntimeOptions } from '../runtime/local-runtime';

/**
 * One offline region as real processes that a drill can kill: its own DynamoDB Local JVM on a persistent -dbPath,
 * and its own runtime process (local/regions/region-process.ts: today's local runtime, its gateway, saga runners,
 * outbox relay and jobs) pointed at that DynamoDB, with AWS_REGION set to the region. Two regions share one payment
 * provider and one token signing key (see docs/failover-drill.md).
 */

/** What a region's runtime process (local/regions/region-process.ts) is handed, as JSON in its environment. */
export interface RegionProcessOptions {
  readonly runtime: LocalRuntimeOptions;
  readonly runtimeFile: string;
}

export const regionProcessOptionsVariable = 'REGION_PROCESS_OPTIONS';
/** The runtime process prints this, then its endpoints as JSON, once it serves. */
export const readyPrefix = 'region ready ';

/** JSON-serialisable runtime options a region may override (the rest is the region's own wiring). */
export type RegionRuntimeOptions = Omit<
  Partial<LocalRuntimeOptions>,
  | 'port'
  | 'inMemory'
  | 'dataDirectory'
  | 'dynamoDbEndpoint'
  | 'dynamoDbPort'
  | 'regions'
  | 'paymentApiUrl'
  | 'paymentApiKey'
  | 'tokenSigningKeyFile'
  | 'seedCatalog'
>;

export interface RegionOptions {
  /** A label for messages (e.g. `A`); the region name when absent. */
  readonly name?: string;
  /** The AWS region this one stands for (us-east-1): AWS_REGION of its handlers, `eventRegion` of its events. */
  readonly region: string;
  /**
   * The table's regions as the deployment knows them (docs/regions.md): the one that writes until a promotion, and
   * the others. Give every region of a pair the same. Defaults: this region, and none (it writes).
   */
  readonly primaryRegion?: string;
  readonly standbyRegions?: readonly string[];
  /** Where its DynamoDB data, runtime file, stream checkpoints and log live (kept across restarts). */
  readonly dataDir: string;
  /** Fixed ports (0 or absent: free ones picked at the first start and kept across restarts). */
  readonly ports?: { readonly api?: number; readonly dynamoDb?: number };
  /** The payment provider both regions share (a `startStripeSandbox` the drill runs). */
  readonly payments: { readonly url: string; readonly apiKey: string };
  /** The token signing key file both regions share (made when missing): a token of one is valid in the other. */
  readonly tokenSigningKeyFile: string;
  /**
   * Seed the demo catalog (default true). The other region of a pair gets it by replication: seed one only. The dev
   * users, API keys and partner credentials are made in every region (they live in each runtime's emulators).
   */
  readonly seed?: boolean;
  /** Run the scheduled jobs on their offline cadence (default true, as `npm start`). */
  readonly schedules?: boolean;
  /** Further runtime options (throttling, riskModelFile, logLevel, retryIntervalMs, ...). */
  readonly runtime?: RegionRuntimeOptions;
  /** Extra environment variables for the runtime process. */
  readonly env?: NodeJS.ProcessEnv;
  readonly startTimeoutMs?: number;
}

export type RegionRestartChanges = Pick<RegionOptions, 'seed' | 'schedules' | 'runtime' | 'env'>;

/**
 * Runs once the region's DynamoDB answers and before its runtime starts: where a region coming back as a standby gets
 * the newest role written into its own replica (`npm run region -- fence`) before it takes any traffic, after the
 * replicator has read what it wrote before it went down (`replicator.caughtUp`).
 */
export type BeforeRuntime = (database: { readonly dynamoDbEndpoint: string }) => Promise<void>;

export interface RegionProcesses {
  readonly name: string;
  readonly region: string;
  readonly dataDir: string;
  /** Stable across restarts. */
  readonly apiUrl: string;
  readonly dynamoDbEndpoint: string;
  readonly tableName: string;
  readonly ports: { readonly api: number; readonly dynamoDb: number };
  /** The API keys the runtime issued (the same fixed values in every region). */
  readonly apiKeys: () => readonly LocalApiKey[];
  readonly partners: () => readonly DevPartnerCredentials[];
  /** Orders the last start found in flight and resumed. */
  readonly resumedOrders: () => readonly string[];
  /** The processes now: the runtime's and the JVM's pids (undefined when not running). */
  pids(): { readonly runtime: number | undefined; readonly dynamoDb: number | undefined };
  running(): boolean;
  /** The runtime process's recent output. */
  output(): string;
  /** SIGKILL of the runtime process and the DynamoDB Local JVM at once; resolves when both are gone. */
  kill(): Promise<void>;
  /**
   * Starts both again on the same data and ports (killing them first if they run). `changes` apply to this start and
   * the later ones (e.g. another environment variable for the runtime); the data directory, region and ports stay.
   */
  restart(changes?: RegionRestartChanges & { readonly beforeRuntime?: BeforeRuntime }): Promise<void>;
  /** Stops both gracefully (running sagas drained). */
  stop(): Promise<void>;
}

interface ReadyLine {
  readonly apiUrl: string;
  readonly tableName: string;
  readonly resumedOrders: readonly string[];
  readonly apiKeys: readonly LocalApiKey[];
  readonly partners: readonly DevPartnerCredentials[];
}

/** The parent's environment without anything a runtime in the parent (a test's) may have set. */
function childEnvironment(extra: NodeJS.ProcessEnv | undefined): NodeJS.ProcessEnv {
  const runtimeNames = new Set<string>(settingNames);
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) =>
        !runtimeNames.has(name) &&
        !/^(AWS_|POWERTOOLS_|TEST_|JEST_)/.test(name) &&
        name !== 'FAULT_INJECTION' &&
        name !== 'NODE_OPTIONS',
    ),
  );
  return { ...inherited, ...extra };
}

const isAlive = (pid: number | undefined) => {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

export async function startRegion(options: RegionOptions): Promise<RegionProcesses> {
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const name = options.name ?? options.region;
  const ports = {
    api: options.ports?.api || (await freePort()),
    dynamoDb: options.ports?.dynamoDb || (await freePort()),
  };
  const runtimeFile = join(dataDir, 'runtime.json');
  const startTimeoutMs = options.startTimeoutMs ?? 120_000;
  /** What `restart(changes)` may change. */
  let current: RegionRestartChanges = options;

  let dynamoDb: DynamoDbLocal | undefined;
  let child: ChildProcess | undefined;
  let childExited: Promise<void> | undefined;
  let output = '';
  let ready: ReadyLine | undefined;

  const processOptions = (endpoint: string): RegionProcessOptions => ({
    runtimeFile,
    runtime: {
      logLevel: 'WARN',
      ...current.runtime,
      schedules: current.schedules ?? true,
      port: ports.api,
      inMemory: false,
      dynamoDbEndpoint: endpoint,
      // Only its directory is used: the outbox relay keeps its stream position beside the data.
      dataDirectory: join(dataDir, 'dynamodb'),
      regions: {
        region: options.region,
        primaryRegion: options.primaryRegion ?? options.region,
        standbyRegions: options.standbyRegions ?? [],
      },
      paymentApiUrl: options.payments.url,
      paymentApiKey: options.payments.apiKey,
      tokenSigningKeyFile: resolve(options.tokenSigningKeyFile),
      ...(current.seed === false ? { seedCatalog: [] } : {}),
    },
  });

  const start = async (beforeRuntime?: BeforeRuntime) => {
    const log = createWriteStream(join(dataDir, 'region.log'), { flags: 'a' });
    output = '';
    ready = undefined;
    dynamoDb = await startDynamoDbLocal({
      inMemory: false,
      dataDirectory: join(dataDir, 'dynamodb'),
      port: ports.dynamoDb,
    });
    if (beforeRuntime) {
      try {
        await beforeRuntime({ dynamoDbEndpoint: dynamoDb.endpoint });
      } catch (error) {
        await killAll();
        throw error;
      }
    }
    const started = spawn(process.execPath, ['--import', 'tsx', 'local/regions/region-process.ts'], {
      cwd: projectRoot,
      env: {
        ...childEnvironment(current.env),
        [regionProcessOptionsVariable]: JSON.stringify(processOptions(dynamoDb.endpoint)),
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child = started;
    childExited = new Promise((done) => started.once('exit', () => log.end(() => done())));
    let pendingLine = '';
    const onOutput = (chunk: Buffer) => {
      const text = chunk.toString();
      log.write(text);
      output = (output + text).slice(-20_000);
      pendingLine += text;
      const lines = pendingLine.split('\n');
      pendingLine = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith(readyPrefix)) ready = JSON.parse(line.slice(readyPrefix.length)) as ReadyLine;
      }
    };
    started.stdout!.on('data', onOutput);
    started.stderr!.on('data', (chunk: Buffer) => {
      log.write(chunk);
      output = (output + chunk.toString()).slice(-20_000);
    });
    const deadline = Date.now() + startTimeoutMs;
    while (!ready) {
      if (started.exitCode !== null || started.signalCode !== null || Date.now() > deadline) {
        const why =
          Date.now() > deadline
            ? `not ready within ${startTimeoutMs} ms`
            : `exited (${started.exitCode ?? started.signalCode})`;
        await killAll();
        throw new Error(`region ${name}: the runtime process ${why}:\n${output}`);
      }
      await new Promise((done) => setTimeout(done, 100));
    }
  };

  const killAll = async () => {
    const runtime = child;
    const exited = childExited;
    child = undefined;
    if (runtime?.pid !== undefined && runtime.exitCode === null && runtime.signalCode === null) {
      runtime.kill('SIGKILL');
    }
    await Promise.all([exited, dynamoDb?.kill()]);
    dynamoDb = undefined;
  };

  await start();
  const endpoint = `http://127.0.0.1:${ports.dynamoDb}`;
  return {
    name,
    region: options.region,
    dataDir,
    apiUrl: `http://127.0.0.1:${ports.api}`,
    dynamoDbEndpoint: endpoint,
    tableName: ready!.tableName,
    ports,
    apiKeys: () => ready?.apiKeys ?? [],
    partners: () => ready?.partners ?? [],
    resumedOrders: () => ready?.resumedOrders ?? [],
    pids: () => ({
      runtime: isAlive(child?.pid) ? child?.pid : undefined,
      dynamoDb: isAlive(dynamoDb?.pid) ? dynamoDb?.pid : undefined,
    }),
    running: () => child !== undefined,
    output: () => output,
    kill: killAll,
    async restart({ beforeRuntime, ...changes } = {}) {
      if (child || dynamoDb) await killAll();
      current = {
        ...current,
        ...changes,
        runtime: { ...current.runtime, ...changes.runtime },
        env: { ...current.env, ...changes.env },
      };
      await start(beforeRuntime);
    },
    async stop() {
      const runtime = child;
      const exited = childExited;
      child = undefined;
      if (runtime && runtime.exitCode === null && runtime.signalCode === null) {
        runtime.kill('SIGTERM');
        const timer = setTimeout(() => runtime.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(timer);
      }
      await dynamoDb?.stop();
      dynamoDb = undefined;
    },
  };
}
