import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { envNames } from '../../functions/core/config/settings';
import type { LocalRuntime } from './local-runtime';

/**
 * Where a running `npm start` tells other local tools (npm run reconcile, scripts, a second terminal) how to reach
 * it: several of its ports are picked at random, so they cannot be guessed. Inside the git-ignored data folder,
 * readable by the owner only, because it carries the sandbox's API key.
 */
export const runtimeFilePath = join(resolve(__dirname, '..', '..'), '.local-data', 'runtime.json');

export interface RuntimeFile {
  readonly apiUrl: string;
  readonly dynamoDbEndpoint: string;
  readonly tableName: string;
  readonly payments: { readonly url: string; readonly apiKey: string };
  /**
   * The local AWS endpoint (user pool, event bus) and what `npm run admin` addresses there. Optional: a file written
   * before it existed has none.
   */
  readonly aws?: {
    readonly url: string;
    readonly userPoolId: string;
    readonly eventBusName: string;
    /** API keys and usage plans (API Gateway's protocol), for `npm run partner`. */
    readonly apiGatewayUrl: string;
  };
  /** The `npm start` process: a file left behind by a crash names a process that no longer exists. */
  readonly pid: number;
  readonly startedAt: string;
}

export class LocalSystemNotRunningError extends Error {
  constructor(detail: string) {
    super(`start the system with npm start first (${detail})`);
    this.name = 'LocalSystemNotRunningError';
  }
}

export async function writeRuntimeFile(runtime: LocalRuntime, path = runtimeFilePath): Promise<RuntimeFile> {
  const contents: RuntimeFile = {
    apiUrl: runtime.apiUrl,
    dynamoDbEndpoint: runtime.dynamoDbEndpoint,
    tableName: runtime.tableName,
    payments: { url: runtime.payments.url, apiKey: runtime.payments.apiKey },
    aws: {
      url: runtime.aws.url,
      userPoolId: runtime.users.userPoolId,
      eventBusName: process.env[envNames.events.eventBusName] ?? 'orders-local',
      apiGatewayUrl: runtime.apiKeyRegistry.url,
    },
    pid: process.pid,
    startedAt: new Date().toISOString(),
  };
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(contents, null, 2)}\n`, { mode: 0o600 });
  return contents;
}

/** Removes the file on shutdown, unless another process has written its own since. */
export async function removeRuntimeFile(path = runtimeFilePath): Promise<void> {
  try {
    const current = JSON.parse(await readFile(path, 'utf8')) as Partial<RuntimeFile>;
    if (current.pid === process.pid) await rm(path, { force: true });
  } catch {
    // Absent or unreadable: nothing of ours to remove.
  }
}

export async function readRuntimeFile(path = runtimeFilePath): Promise<RuntimeFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new LocalSystemNotRunningError(`no ${path}`);
    throw error;
  }
  let contents: Partial<RuntimeFile>;
  try {
    contents = JSON.parse(text) as Partial<RuntimeFile>;
  } catch {
    throw new LocalSystemNotRunningError(`${path} is not JSON`);
  }
  const complete =
    typeof contents.apiUrl === 'string' &&
    typeof contents.dynamoDbEndpoint === 'string' &&
    typeof contents.tableName === 'string' &&
    typeof contents.payments?.url === 'string' &&
    typeof contents.payments.apiKey === 'string' &&
    typeof contents.pid === 'number';
  if (!complete) throw new LocalSystemNotRunningError(`${path} lacks endpoints`);
  if (!isAlive(contents.pid!)) {
    throw new LocalSystemNotRunningError(`${path} names process ${contents.pid}, which is not running`);
  }
  return contents as RuntimeFile;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
