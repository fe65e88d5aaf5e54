import { routeList } from '../../functions/api/routes';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../local/emulators/dynamodb-local';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime/local-runtime';
import { demoCatalog } from '../../local/runtime/seed-data';
import { logEventOverheadBytes } from './log-estimates';
import { startCountingProxy, type CountingProxy } from './dynamodb-counting-proxy';
import { benchProducts, benchRiskThresholds } from './order-driver';
import { installSagaProbe, type SagaProbe } from './saga-probe';
import { currentOrigin, installTrafficOrigin, type ServedRequest } from './traffic-origin';

/**
 * The whole offline system (startLocalRuntime: same handlers, ASL files and table design as in AWS), started with
 * every probe the per-order figures need:
 *   - DynamoDB Local behind the counting proxy (requests, consumed capacity, timing and origin of each request);
 *   - the saga probe (Lambda task invocations and durations, state transitions, execution durations);
 *   - the gateway's served requests (API invocations and durations);
 *   - the application log lines the functions write at the deployed log level, counted (compact JSON bytes, per
 *     function) and kept off the terminal;
 *   - the events published on the bus, with their size.
 * Usage-plan throttles are off: the throughput runs drive more orders through one machine than one API key may
 * send in AWS.
 */

export interface PublishedEvent {
  readonly detailType: string;
  readonly bytes: number;
}

export interface InstrumentedSystem {
  readonly runtime: LocalRuntime;
  readonly proxy: CountingProxy;
  readonly probe: SagaProbe;
  readonly productIds: readonly string[];
  served(): readonly ServedRequest[];
  events(): readonly PublishedEvent[];
  /** Compact bytes of application log lines, per origin (`api:<route>`, `saga:<function>`, ...). */
  logBytes(): ReadonlyMap<string, number>;
  /** Clears every counter: what follows is one measurement window. */
  reset(): void;
  stop(): Promise<void>;
}

export async function startInstrumentedSystem(options: {
  readonly logLevel: string;
  readonly productCount: number;
}): Promise<InstrumentedSystem> {
  const probe = installSagaProbe();
  const products = benchProducts(options.productCount);
  let served: ServedRequest[] = [];
  let events: PublishedEvent[] = [];
  let logBytes = new Map<string, number>();
  let gatewayPort: number | undefined;

  const dynamoDb: DynamoDbLocal = await startDynamoDbLocal({ inMemory: true, port: 0 });
  let proxy: CountingProxy | undefined;
  let runtime: LocalRuntime | undefined;
  const restoreOutput = captureLogLines((bytes) => {
    const origin = currentOrigin() ?? 'unattributed';
    logBytes.set(origin, (logBytes.get(origin) ?? 0) + bytes);
  });
  try {
    proxy = await startCountingProxy(dynamoDb.endpoint);
    const routes = routeList.map((route) => ({
      id: route.id,
      method: route.method,
      pattern: new RegExp(`^${route.path.replace(/\{[^}]+\}/g, '[^/]+')}$`),
    }));
    const taggedPort = proxy.port;
    installTrafficOrigin({
      gatewayPort: () => gatewayPort,
      routeOf: (method, path) => routes.find((route) => route.method === method && route.pattern.test(path))?.id,
      taggedPort: () => taggedPort,
      onServed: (request) => served.push(request),
    });
    runtime = await startLocalRuntime({
      port: 0,
      inMemory: true,
      dynamoDbEndpoint: proxy.endpoint,
      logLevel: options.logLevel,
      throttling: false,
      riskThresholds: benchRiskThresholds(),
      seedCatalog: [...demoCatalog, ...products],
    });
    gatewayPort = Number(new URL(runtime.apiUrl).port);
    runtime.aws.onEvent((event) => {
      // What PutEvents carries per entry: source, detail type, bus and the detail as a JSON string.
      const bytes = Buffer.byteLength(
        JSON.stringify({
          Source: event.source,
          DetailType: event.detailType,
          EventBusName: event.eventBusName,
          Detail: JSON.stringify(event.detail),
        }),
      );
      events.push({ detailType: event.detailType, bytes });
    });
  } catch (error) {
    restoreOutput();
    await runtime?.stop();
    await proxy?.stop();
    await dynamoDb.stop();
    throw error;
  }
  const started = { runtime, proxy };

  return {
    runtime: started.runtime,
    proxy: started.proxy,
    probe,
    productIds: products.map((product) => product.productId),
    served: () => served,
    events: () => events,
    logBytes: () => logBytes,
    reset: () => {
      started.proxy.reset();
      probe.reset();
      served = [];
      events = [];
      logBytes = new Map();
    },
    stop: async () => {
      try {
        await started.runtime.stop();
        await started.proxy.stop();
        await dynamoDb.stop();
      } finally {
        restoreOutput();
      }
    },
  };
}

/**
 * Diverts the functions' JSON log lines (Powertools: an object with `level` and `timestamp`, pretty-printed offline;
 * metrics as embedded-metric-format objects with `_aws`)
 * from stdout and stderr, reporting the size each line would have in CloudWatch (compact JSON plus the per-event
 * overhead).
 * Everything else is written as usual. Returns the function that restores the streams.
 */
function captureLogLines(count: (bytes: number) => void): () => void {
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((stream) => stream.write.bind(stream));
  streams.forEach((stream, index) => {
    const original = originals[index]!;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : undefined;
      if (text !== undefined && text.trimStart().startsWith('{')) {
        try {
          const parsed = JSON.parse(text) as Record<string, unknown>;
          // Powertools log lines, and metrics in CloudWatch's embedded metric format (also log lines in AWS).
          if (('level' in parsed && 'timestamp' in parsed) || '_aws' in parsed) {
            count(Buffer.byteLength(JSON.stringify(parsed)) + logEventOverheadBytes);
            const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
            callback?.();
            return true;
          }
        } catch {
          // Not a single JSON document: not a function's log line.
        }
      }
      return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
  });
  return () => {
    streams.forEach((stream, index) => {
      stream.write = originals[index]! as typeof stream.write;
    });
  };
}
