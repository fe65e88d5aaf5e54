import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../local/emulators/dynamodb-local';
import { devEnvironment, localApiKeys } from '../../local/runtime/dev-config';
import { projectRoot } from '../../local/runtime/local-runtime';

/**
 * What `npm run loadtest` loads: a deployed stage (--url with a caller's token and API key), or the offline system
 * started for the run with customers minted for it and enough stock.
 */

export interface TargetSettings {
  readonly url?: string;
  readonly token?: string;
  readonly apiKey?: string;
  readonly product?: string;
  readonly customers: number;
  readonly throttling: boolean;
  /** Offline only: extra Node flags for the system's process (`npm run profile` passes --cpu-prof and friends). */
  readonly nodeArguments?: readonly string[];
}

export interface Target {
  readonly url: string;
  readonly apiKey: string;
  readonly tokens: readonly string[];
  readonly productId: string;
  readonly description: string;
  /** Offline only: sends a signal to the system's process (`npm run profile --heap` asks it for a heap snapshot). */
  signal?(name: NodeJS.Signals): void;
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
export async function startOfflineSystem(settings: TargetSettings): Promise<Target> {
  const port = await freePort();
  const dynamoDbPort = await freePort();
  const dataDirectory = mkdtempSync(join(tmpdir(), 'orders-loadtest-'));
  const output: string[] = [];
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...(settings.nodeArguments ?? []),
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
    // (The process writes its --cpu-prof profile as it exits: SIGTERM makes start.ts shut down and exit cleanly.)
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
      signal: (name: NodeJS.Signals) => void child.kill(name),
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

export async function deployedTarget(settings: TargetSettings): Promise<Target> {
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
