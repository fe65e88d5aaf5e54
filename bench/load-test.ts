import '../local/runtime/polyfills';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { freePort } from '../local/emulators/dynamodb-local';
import { devEnvironment, localApiKeys } from '../local/runtime/dev-config';
import { projectRoot } from '../local/runtime/local-runtime';
import {
  buildPlan,
  classify,
  defaultMix,
  describeClientErrors,
  parseMix,
  pickKind,
  requestKinds,
  type RequestKind,
  type RequestMix,
  type Step,
} from './lib/load-plan';
import { createProgress } from './lib/progress';
import { formatMs, summarize, table } from './lib/stats';

/**
 * `npm run loadtest`: ramp, steady and spike phases of mixed API traffic (place-order with a unique Idempotency-Key
 * per request, get-order of orders placed during the run, list-products) with autocannon, printing throughput,
 * latency percentiles and error classes per phase.
 *
 * By default it starts the offline system itself (`npm start -- --in-memory` in a child process on free ports, with
 * usage-plan throttling off unless --throttling is given), mints customer tokens through POST /local/token and uses
 * the dev API key. With --url, --token and --api-key it loads any deployed stage instead. docs/load-testing.md has
 * every option.
 */

const usage = `usage: npm run loadtest -- [options]
  --url <stage URL>          load a deployed stage (with --token and --api-key) instead of the offline system
  --token <access token>     a customer's (or partner's) access token for --url
  --api-key <key>            the API key of a usage plan for --url
  --product <id>             product to order (default: the first listed product with stock)
  --payment-token <token>    default tok_visa (the sandbox's approval token)
  --ramp <s>                 ramp duration (default 20), climbing in --ramp-steps steps (default 4)
  --steady <s>               steady duration (default 40)
  --spike <s>                spike duration (default 15)
  --connections <n>          steady connections (default 16)
  --spike-connections <n>    spike connections (default 4 × --connections)
  --mix <weights>            default place-order=2,get-order=3,list-products=5
  --timeout <s>              per-request timeout (default 10)
  --customers <n>            offline only: distinct customer tokens (default: spike connections)
  --throttling               offline only: keep the dev usage-plan throttles (429s are then expected)`;

class UsageError extends Error {}

interface Settings {
  readonly url?: string;
  readonly token?: string;
  readonly apiKey?: string;
  readonly product?: string;
  readonly paymentToken: string;
  readonly plan: Step[];
  readonly mix: RequestMix;
  readonly timeoutSeconds: number;
  readonly customers: number;
  readonly throttling: boolean;
}

function parseSettings(argv: readonly string[]): Settings {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        url: { type: 'string' },
        token: { type: 'string' },
        'api-key': { type: 'string' },
        product: { type: 'string' },
        'payment-token': { type: 'string' },
        ramp: { type: 'string' },
        'ramp-steps': { type: 'string' },
        steady: { type: 'string' },
        spike: { type: 'string' },
        connections: { type: 'string' },
        'spike-connections': { type: 'string' },
        mix: { type: 'string' },
        timeout: { type: 'string' },
        customers: { type: 'string' },
        throttling: { type: 'boolean' },
        help: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) throw new UsageError('');
  const number = (name: string, raw: string | undefined, fallback: number, min: number) => {
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min)
      throw new UsageError(`--${name} must be a number >= ${min}, got "${raw}"`);
    return value;
  };
  const connections = Math.round(number('connections', values.connections, 16, 1));
  const spikeConnections = Math.round(number('spike-connections', values['spike-connections'], connections * 4, 1));
  const plan = buildPlan({
    rampSeconds: number('ramp', values.ramp, 20, 0),
    rampSteps: Math.round(number('ramp-steps', values['ramp-steps'], 4, 1)),
    steadySeconds: number('steady', values.steady, 40, 0),
    spikeSeconds: number('spike', values.spike, 15, 0),
    connections,
    spikeConnections,
  });
  if (plan.length === 0) throw new UsageError('every phase is 0 s long: nothing to run');
  if (values.url) {
    const missing = [!values.token && '--token', !values['api-key'] && '--api-key'].filter(Boolean);
    if (missing.length > 0) throw new UsageError(`--url needs ${missing.join(' and ')}`);
    let parsed: URL;
    try {
      parsed = new URL(values.url);
    } catch {
      throw new UsageError(`--url is not a URL: "${values.url}"`);
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new UsageError('--url must be http(s)');
    if (values.throttling || values.customers) {
      throw new UsageError('--throttling and --customers apply to the offline system only, not to --url');
    }
  } else if (values.token || values['api-key']) {
    throw new UsageError('--token and --api-key go with --url (offline, tokens are minted and the dev key is used)');
  }
  let mix: RequestMix = defaultMix;
  if (values.mix) {
    try {
      mix = parseMix(values.mix);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  return {
    ...(values.url ? { url: values.url.replace(/\/+$/, '') } : {}),
    ...(values.token ? { token: values.token } : {}),
    ...(values['api-key'] ? { apiKey: values['api-key'] } : {}),
    ...(values.product ? { product: values.product } : {}),
    paymentToken: values['payment-token'] ?? 'tok_visa',
    plan,
    mix,
    timeoutSeconds: number('timeout', values.timeout, 10, 1),
    customers: Math.round(number('customers', values.customers, spikeConnections, 1)),
    throttling: values.throttling ?? false,
  };
}

// ── the target ─────────────────────────────────────────────────────────────────────────────────────────────────

interface Target {
  readonly url: string;
  readonly apiKey: string;
  readonly tokens: readonly string[];
  readonly productId: string;
  readonly description: string;
  stop(): Promise<void>;
}

async function json(response: Response, what: string): Promise<Record<string, unknown>> {
  const text = await response.text();
  if (!response.ok) throw new Error(`${what} answered ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

async function firstProductWithStock(url: string, apiKey: string): Promise<string> {
  const body = await json(await fetch(`${url}/products`, { headers: { 'x-api-key': apiKey } }), 'GET /products');
  const products = (body.products ?? []) as { productId: string; available?: number; active?: boolean }[];
  const product = products.find((candidate) => candidate.active !== false && (candidate.available ?? 0) > 0);
  if (!product) throw new Error('GET /products lists no product with stock: pass one with --product');
  return product.productId;
}

/** Starts `npm start` (in memory, free ports, its own data directory) in a child process and waits until it serves. */
async function startOfflineSystem(settings: Settings): Promise<Target> {
  const port = await freePort();
  const dynamoDbPort = await freePort();
  const dataDirectory = mkdtempSync(join(tmpdir(), 'orders-loadtest-'));
  const output: string[] = [];
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'local/runtime/start.ts',
      '--in-memory',
      '--port',
      String(port),
      '--dynamodb-port',
      String(dynamoDbPort),
      '--data-dir',
      dataDirectory,
      ...(settings.throttling ? [] : ['--no-throttling']),
    ],
    { cwd: projectRoot, env: { ...process.env, LOG_LEVEL: 'ERROR' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const keep = (chunk: Buffer) => {
    output.push(...chunk.toString('utf8').split('\n'));
    output.splice(0, Math.max(0, output.length - 40));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exit;
      clearTimeout(killer);
    }
    rmSync(dataDirectory, { recursive: true, force: true });
  };

  const url = `http://127.0.0.1:${port}`;
  try {
    const deadline = Date.now() + 180_000;
    for (;;) {
      if (exited) throw new Error(`the offline system exited during start:\n${output.join('\n')}`);
      if (Date.now() > deadline)
        throw new Error(`the offline system did not answer within 180 s:\n${output.join('\n')}`);
      const healthy = await fetch(`${url}/health`)
        .then((response) => response.ok)
        .catch(() => false);
      if (healthy) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const apiKey = localApiKeys(devEnvironment(projectRoot)).find((key) => key.plan === 'customer-app')?.value;
    if (!apiKey) throw new Error('the dev environment has no customer-app usage plan');
    const mint = async (username: string, groups: string[]) =>
      String(
        (
          await json(
            await fetch(`${url}/local/token`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ username, groups }),
            }),
            'POST /local/token',
          )
        ).accessToken,
      );
    const tokens: string[] = [];
    for (let index = 0; index < settings.customers; index++) tokens.push(await mint(`load-${index}`, ['customers']));
    const productId = settings.product ?? (await firstProductWithStock(url, apiKey));
    // Enough stock that orders do not run out mid-run and turn into OUT_OF_STOCK failures (through the admin API).
    const admin = await mint('load-admin', ['admins']);
    await json(
      await fetch(`${url}/products/${encodeURIComponent(productId)}/stock`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${admin}`,
          'x-api-key': apiKey,
          'content-type': 'application/json',
          'idempotency-key': randomUUID(),
        },
        body: JSON.stringify({ delta: 1_000_000, reason: 'stock for a load test run' }),
      }),
      `POST /products/${productId}/stock`,
    );
    return {
      url,
      apiKey,
      tokens,
      productId,
      description:
        `offline system (npm start --in-memory, ${url}), ${tokens.length} customers, ` +
        (settings.throttling
          ? 'dev usage-plan throttles ON (429s expected)'
          : 'usage-plan throttling OFF (--no-throttling)'),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function deployedTarget(settings: Settings): Promise<Target> {
  const url = settings.url!;
  const productId = settings.product ?? (await firstProductWithStock(url, settings.apiKey!));
  return {
    url,
    apiKey: settings.apiKey!,
    tokens: [settings.token!],
    productId,
    description: `${url} (one caller: its usage plan's throttles and the risk check's orders-per-hour limit apply)`,
    stop: async () => undefined,
  };
}

// ── the run ────────────────────────────────────────────────────────────────────────────────────────────────────

/** Ctrl-C stops the running step and skips the rest; the offline system is still stopped cleanly. */
let interrupted = false;

interface RequestContext {
  kind?: RequestKind;
  sentAt?: number;
  customer?: number;
}

interface StepResult {
  readonly step: Step;
  readonly result: autocannon.Result;
  readonly latencyByKind: ReadonlyMap<RequestKind, number[]>;
}

async function runStep(
  target: Target,
  settings: Settings,
  step: Step,
  placed: { orderId: string; customer: number }[],
  progressLine: (text: string) => void,
): Promise<StepResult> {
  const basePath = new URL(target.url).pathname.replace(/\/+$/, '');
  const latencyByKind = new Map<RequestKind, number[]>(requestKinds.map((kind) => [kind, []]));
  const pick = (count: number) => Math.floor(Math.random() * count);
  let finish!: (result: autocannon.Result) => void;
  let fail!: (error: unknown) => void;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const instance = autocannon(
    {
      url: target.url,
      connections: step.connections,
      duration: step.seconds,
      timeout: settings.timeoutSeconds,
      requests: [
        {
          setupRequest: (request, context) => {
            const state = context as RequestContext;
            let kind = pickKind(settings.mix, Math.random());
            if (kind === 'get-order' && placed.length === 0) {
              kind = settings.mix['place-order'] > 0 ? 'place-order' : 'list-products';
            }
            state.kind = kind;
            state.sentAt = performance.now();
            if (kind === 'place-order') {
              const customer = pick(target.tokens.length);
              state.customer = customer;
              return {
                ...request,
                method: 'POST',
                path: `${basePath}/orders`,
                headers: {
                  authorization: `Bearer ${target.tokens[customer]}`,
                  'x-api-key': target.apiKey,
                  'content-type': 'application/json',
                  'idempotency-key': randomUUID(),
                },
                body: JSON.stringify({
                  items: [{ productId: target.productId, quantity: 1 }],
                  paymentToken: settings.paymentToken,
                }),
              };
            }
            if (kind === 'get-order') {
              const order = placed[pick(placed.length)]!;
              return {
                ...request,
                method: 'GET',
                path: `${basePath}/orders/${order.orderId}`,
                headers: { authorization: `Bearer ${target.tokens[order.customer]}`, 'x-api-key': target.apiKey },
                body: undefined,
              };
            }
            return {
              ...request,
              method: 'GET',
              path: `${basePath}/products`,
              headers: { 'x-api-key': target.apiKey },
              body: undefined,
            };
          },
          onResponse: (status, body, context) => {
            const state = context as RequestContext;
            if (!state.kind || state.sentAt === undefined) return;
            latencyByKind.get(state.kind)!.push(performance.now() - state.sentAt);
            if (state.kind === 'place-order' && status === 202) {
              try {
                const orderId = (JSON.parse(body) as { orderId?: string }).orderId;
                if (orderId) {
                  placed.push({ orderId, customer: state.customer ?? 0 });
                  // A bounded pool: get-order reads recent orders, memory stays flat on long runs.
                  if (placed.length > 5000) placed.splice(0, placed.length - 5000);
                }
              } catch {
                // A 202 without a JSON body would be a bug of the API, counted under its status anyway.
              }
            }
          },
        },
      ],
    },
    (error: unknown, result: autocannon.Result) => (error ? fail(error) : finish(result)),
  );
  const startedAt = Date.now();
  let lastSecond = 0;
  const statuses = { ok: 0, client: 0, server: 0 };
  let errors = 0;
  instance.on('response', (_client, statusCode) => {
    if (statusCode < 400) statuses.ok++;
    else if (statusCode < 500) statuses.client++;
    else statuses.server++;
  });
  instance.on('reqError', () => errors++);
  // autocannon passes the last second's counts to 'tick' listeners; its type declarations leave the argument out.
  (instance as NodeJS.EventEmitter).on('tick', (counter: { counter: number }) => {
    lastSecond = counter.counter;
    const elapsed = Math.min(step.seconds, (Date.now() - startedAt) / 1000);
    progressLine(
      `${step.label.padEnd(10)} ${elapsed.toFixed(0).padStart(3)}/${step.seconds.toFixed(0)} s  ` +
        `${step.connections} connections  ${lastSecond} req/s  ` +
        `2xx/3xx ${statuses.ok}  4xx ${statuses.client}  5xx ${statuses.server}  errors ${errors}`,
    );
  });
  const stopOnSignal = () => {
    interrupted = true;
    instance.stop();
  };
  process.once('SIGINT', stopOnSignal);
  const result = await finished;
  process.removeListener('SIGINT', stopOnSignal);
  return { step, result, latencyByKind };
}

function report(results: readonly StepResult[]) {
  const rows = results.map(({ step, result }) => {
    const classes = classify(result.statusCodeStats ?? {}, result.errors, result.timeouts);
    const total = result.requests.total;
    return [
      step.label,
      `${step.connections}`,
      `${step.seconds.toFixed(0)} s`,
      `${total}`,
      (total / Math.max(result.duration, 0.001)).toFixed(1),
      formatMs(result.latency.p50),
      formatMs(result.latency.p90),
      formatMs(result.latency.p99),
      formatMs(result.latency.max),
      `${classes.ok2xx}`,
      describeClientErrors(classes.clientErrors),
      `${classes.server5xx}`,
      `${classes.timeouts}`,
      `${classes.connectionErrors}`,
    ];
  });
  console.log(
    table(
      [
        'phase',
        'conns',
        'time',
        'requests',
        'req/s',
        'p50',
        'p90',
        'p99',
        'max',
        '2xx',
        '4xx by status',
        '5xx',
        'timeouts',
        'conn errors',
      ],
      rows,
    ),
  );

  console.log('\nLatency by request kind (time from sending to the parsed response, all phases of a kind together)');
  const phases = ['ramp', 'steady', 'spike'] as const;
  const kindRows: string[][] = [];
  for (const phase of phases) {
    const inPhase = results.filter((result) => result.step.phase === phase);
    if (inPhase.length === 0) continue;
    for (const kind of requestKinds) {
      const samples = inPhase.flatMap((result) => result.latencyByKind.get(kind) ?? []);
      if (samples.length === 0) continue;
      const summary = summarize(samples);
      kindRows.push([
        phase,
        kind,
        `${summary.count}`,
        formatMs(summary.p50),
        formatMs(summary.p95),
        formatMs(summary.p99),
      ]);
    }
  }
  console.log(table(['phase', 'kind', 'responses', 'p50', 'p95', 'p99'], kindRows));
}

async function main() {
  const settings = parseSettings(process.argv.slice(2));
  const totalSeconds = settings.plan.reduce((sum, step) => sum + step.seconds, 0);
  const progress = createProgress(process.stdout);
  progress.update(
    settings.url ? `checking ${settings.url}...` : 'starting the offline system (npm start --in-memory)...',
  );
  const target = settings.url ? await deployedTarget(settings) : await startOfflineSystem(settings);
  progress.done();
  const results: StepResult[] = [];
  try {
    console.log(`Load test — ${new Date().toISOString()}, node ${process.version}`);
    console.log(`target: ${target.description}`);
    console.log(
      `mix: ${Object.entries(settings.mix)
        .map(([kind, weight]) => `${kind} ${weight}`)
        .join(', ')} (weights); product ${target.productId}, payment token ${settings.paymentToken}; ` +
        `${settings.plan.length} steps, ${totalSeconds.toFixed(0)} s in total\n`,
    );
    const placed: { orderId: string; customer: number }[] = [];
    for (const step of settings.plan) {
      if (interrupted) break;
      results.push(await runStep(target, settings, step, placed, (text) => progress.update(text)));
      progress.done();
      const last = results.at(-1)!;
      console.log(
        `${step.label.padEnd(10)} done: ${last.result.requests.total} requests, ` +
          `${(last.result.requests.total / Math.max(last.result.duration, 0.001)).toFixed(1)} req/s, p99 ${formatMs(last.result.latency.p99)}`,
      );
    }
  } finally {
    progress.done();
    await target.stop();
  }
  console.log('');
  report(results);
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(error.message ? `${error.message}\n\n${usage}` : usage);
    process.exit(error.message ? 2 : 0);
  }
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
