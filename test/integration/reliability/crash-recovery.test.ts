import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { settingNames } from '../../../functions/core/config/settings';
import type { FaultInjectionConfig } from '../../../functions/core/observability/fault-injection';
import { startDynamoDbLocal } from '../../../local/emulators/dynamodb-local';
import { reconcileRunningSystem } from '../../../local/commands/lib/reconciliation';
import { projectRoot } from '../../../local/runtime/local-runtime';
import type { RuntimeFile } from '../../../local/runtime/runtime-file';
import {
  isTerminal,
  localToken,
  outcomes,
  runSeed,
  seededRandom,
  sleep,
  withRetries,
  type StoredOrder,
} from '../../helpers/reliability';
import { orderRequest } from '../../helpers/fixtures';
import { rulesOnlyRiskModelFile } from '../../helpers/local-system';

/**
 * Crash recovery: the whole local system (`local/runtime/start.ts`: DynamoDB Local on disk, the payment sandbox with its
 * journal, the saga runner, the gateway) runs as a child process while orders pour in. After some have been
 * accepted, the Node process is killed with SIGKILL in the middle of the load: its DynamoDB Local JVM must die with
 * it. Restarted on the same data, the system must still hold every order it acknowledged, resume every order that
 * was in flight (and only those), bring all of them to a terminal status, and pass the reconciliation.
 */

const seed = runSeed();
const maxOrders = 2000;
const ordersPerCustomer = 5;
const settleTimeoutMs = 150_000;
const products = ['prod_espresso_beans', 'prod_paper_filters', 'prod_pour_over_kettle', 'prod_burr_grinder'];

/** A private temporary directory: every data directory of this file is inside it, and its path names our processes. */
let dataDirectory: string;
const children: ChildProcess[] = [];
/** Every runtime file a child wrote: their ports must all be closed at the end. */
const endpointsSeen: RuntimeFile[] = [];

interface RunningSystem {
  readonly child: ChildProcess;
  readonly endpoints: RuntimeFile;
  readonly output: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The child's environment: the shell's, without anything a local runtime in this test process may have set. */
function childEnvironment(): NodeJS.ProcessEnv {
  const runtimeNames = new Set<string>(settingNames);
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) =>
        !runtimeNames.has(name) &&
        !/^(AWS_|POWERTOOLS_|LOCAL_|RISK_|RECONCILE_|TEST_|JEST_)/.test(name) &&
        name !== 'FAULT_INJECTION' &&
        name !== 'NODE_OPTIONS',
    ),
  );
  // Ten customers placing orders as fast as they can: the fraud model would rightly hold many of them for review
  // (REVIEW, waiting for an admin, not terminal). The crash is what is tested here, so CheckRisk decides by the static
  // rules, as in every test system (test/helpers/local-system.ts).
  return { ...env, LOG_LEVEL: 'ERROR', RISK_MODEL_FILE: rulesOnlyRiskModelFile };
}

async function startSystem(directory: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<RunningSystem> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'local/runtime/start.ts',
      '--port',
      '0',
      '--dynamodb-port',
      '0',
      '--data-dir',
      directory,
      '--no-throttling',
    ],
    { cwd: projectRoot, env: { ...childEnvironment(), ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `local/runtime/start.ts exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${output}`,
      );
    }
    // The banner's last line is printed after the runtime file and the "resumed" line.
    if (output.includes('Ctrl-C stops everything.')) {
      const endpoints = JSON.parse(await readFile(join(directory, 'runtime.json'), 'utf8')) as RuntimeFile;
      if (endpoints.pid === child.pid) {
        endpointsSeen.push(endpoints);
        return { child, endpoints, output: () => output, exited };
      }
    }
    if (Date.now() > deadline) throw new Error(`local/runtime/start.ts not ready within 90 s:\n${output}`);
    await sleep(200);
  }
}

/** Whether something accepts connections on a local URL's port. */
function listening(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** Processes (pid and command) that name this test's data directory: the JVMs of DynamoDB Local and their guard. */
async function processesUsingDataDirectory(): Promise<{ pid: number; command: string }[]> {
  const found: { pid: number; command: string }[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const command = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (command.includes(dataDirectory)) found.push({ pid: Number(entry), command: command.replaceAll('\0', ' ') });
  }
  return found;
}

/** Polls until nothing listens on the system's ports and no process uses the data directory, or the deadline. */
async function waitUntilGone(endpoints: readonly RuntimeFile[], timeoutMs: number) {
  const urls = endpoints.flatMap((e) => [e.apiUrl, e.dynamoDbEndpoint, e.payments.url]);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = (await Promise.all(urls.map(async (url) => ((await listening(url)) ? url : undefined)))).filter(
      (url): url is string => url !== undefined,
    );
    const leftovers = await processesUsingDataDirectory();
    if ((open.length === 0 && leftovers.length === 0) || Date.now() > deadline) return { open, leftovers };
    await sleep(250);
  }
}

function documentClient(endpoint: string) {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return { client, documents: DynamoDBDocumentClient.from(client) };
}

/** Every order item of the table (a Scan: test code reading a few hundred items, never a request path). */
async function allOrders(endpoint: string, tableName: string): Promise<Map<string, StoredOrder>> {
  const { client, documents } = documentClient(endpoint);
  try {
    const orders = new Map<string, StoredOrder>();
    let startKey: Record<string, unknown> | undefined;
    for (let page = 0; page < 1000; page++) {
      const { Items = [], LastEvaluatedKey } = await documents.send(
        new ScanCommand({
          TableName: tableName,
          ConsistentRead: true,
          FilterExpression: 'entity = :order',
          ExpressionAttributeValues: { ':order': 'order' },
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of Items) orders.set(item.orderId as string, item as StoredOrder);
      startKey = LastEvaluatedKey;
      if (!startKey) return orders;
    }
    throw new Error('the orders table did not finish scanning in 1000 pages');
  } finally {
    client.destroy();
  }
}

/** local/commands/reconcile.ts (`npm run reconcile`) as a developer runs it, against the system named by a runtime file. */
async function runReconcileScript(runtimeFile: string): Promise<{ code: number | null; violations?: number }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'local/commands/reconcile.ts', '--json', '--runtime-file', runtimeFile],
    {
      cwd: projectRoot,
      env: { ...childEnvironment(), RECONCILE_CONFIRM_DELAY_MS: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    return { code, violations: (JSON.parse(stdout) as { violations: unknown[] }).violations.length };
  } catch {
    return { code, violations: undefined, ...(stderr ? { stderr } : {}) };
  }
}

beforeAll(async () => {
  dataDirectory = await mkdtemp(join(tmpdir(), 'crash-recovery-'));
  console.log(`crash-recovery: seed ${seed}, data directory ${dataDirectory}`);
});

afterAll(async () => {
  // Whatever happened above: stop every child (politely first), then make sure nothing of theirs is left.
  for (const child of children) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
  const { open, leftovers } = await waitUntilGone(endpointsSeen, 15_000);
  // Only ever processes this test started (their command line names its private data directory), by pid.
  for (const { pid } of leftovers) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  if (dataDirectory) await rm(dataDirectory, { recursive: true, force: true });
  expect(open).toEqual([]);
  expect(leftovers).toEqual([]);
}, 60_000);

interface Scenario {
  readonly name: string;
  readonly senders: number;
  /** Orders acknowledged (2xx) before the kill. */
  readonly acceptedBeforeCrash: number;
  readonly paymentToken: (draw: number) => string;
  /** FAULT_INJECTION for the first run only: the restarted system runs without faults. */
  readonly faults?: FaultInjectionConfig;
  /** The kill waits at least this long after the load started, as well as for the acknowledged orders. */
  readonly minimumLoadMs?: number;
  /** The customer cancels every n-th acknowledged order right away. */
  readonly cancelEvery?: number;
}

/**
 * One crash: load, kill -9 once `acceptedBeforeCrash` orders were acknowledged, check that the JVM died, read what is
 * on disk, restart on the same data, wait until every order is terminal, reconcile. Returns the figures and reports;
 * asserts only what must hold for the rest to make sense (the kill happened, the JVM died).
 */
async function crashAndRecover(scenario: Scenario) {
  const directory = join(dataDirectory, scenario.name);
  const random = seededRandom(seed);
  const first = await startSystem(
    directory,
    scenario.faults ? { FAULT_INJECTION: JSON.stringify(scenario.faults) } : {},
  );
  const tokens = new Map<number, Promise<string>>();
  const tokenOf = (customer: number) => {
    if (!tokens.has(customer)) {
      tokens.set(customer, localToken(first.endpoints.apiUrl, `crash-${seed}-${scenario.name}-c${customer}`));
    }
    return tokens.get(customer)!;
  };
  await Promise.all(Array.from({ length: 10 }, (_, customer) => tokenOf(customer)));

  // Load: senders keep placing orders; once enough were acknowledged, the Node process is killed mid-stream.
  const acknowledged = new Map<string, number>();
  const unanswered: string[] = [];
  const cancelledOrders: string[] = [];
  let next = 0;
  let crashed = false;
  let killedAt = 0;
  const started = Date.now();
  const crash = () => {
    if (crashed) return;
    crashed = true;
    killedAt = Date.now();
    first.child.kill('SIGKILL');
  };
  const sender = async () => {
    while (!crashed && next < maxOrders && Date.now() - started < 120_000) {
      const index = next++;
      const draw = random();
      const body = orderRequest({
        items: [{ productId: products[random.int(products.length)]!, quantity: random.between(1, 2) }],
        paymentToken: scenario.paymentToken(draw),
      });
      const key = `crash-${seed}-${scenario.name}-${index}`;
      try {
        // A well-behaved client: the same Idempotency-Key again when the gateway times out (502) under this load;
        // once the process is killed, nobody answers any more and the sender stops.
        const { status, body: answer } = await withRetries(
          async () => {
            const response = await fetch(`${first.endpoints.apiUrl}/orders`, {
              method: 'POST',
              headers: {
                'x-api-key': 'local-storefront-key',
                authorization: `Bearer ${await tokenOf(Math.floor(index / ordersPerCustomer))}`,
                'content-type': 'application/json',
                'idempotency-key': key,
              },
              body: JSON.stringify(body),
            });
            return { status: response.status, body: (await response.json()) as { orderId?: string } };
          },
          { giveUp: () => crashed },
        );
        if (status >= 200 && status < 300 && answer.orderId) {
          acknowledged.set(answer.orderId, index);
          if (scenario.cancelEvery && index % scenario.cancelEvery === 0) {
            const cancelled = await fetch(`${first.endpoints.apiUrl}/orders/${answer.orderId}/cancel`, {
              method: 'POST',
              headers: {
                'x-api-key': 'local-storefront-key',
                authorization: `Bearer ${await tokenOf(Math.floor(index / ordersPerCustomer))}`,
              },
            });
            if (cancelled.status === 200) cancelledOrders.push(answer.orderId);
          }
          if (
            acknowledged.size >= scenario.acceptedBeforeCrash &&
            Date.now() - started >= (scenario.minimumLoadMs ?? 0)
          ) {
            crash();
          }
        } else if (!crashed) {
          throw new Error(`POST /orders answered ${status}: ${JSON.stringify(answer)}`);
        }
      } catch (error) {
        // After the kill, requests in flight fail: whether those orders exist is the system's business.
        if (!crashed) throw error;
        unanswered.push(key);
      }
    }
  };
  await Promise.all(Array.from({ length: scenario.senders }, sender));
  expect(crashed).toBe(true);
  const exit = await first.exited;
  expect(exit.signal).toBe('SIGKILL');

  // The JVM must die with its parent (the guard's pipe closes), so no DynamoDB Local keeps the port or the files.
  const gone = await waitUntilGone([first.endpoints], 15_000);
  const jvmGoneMs = Date.now() - killedAt;
  expect(gone).toEqual({ open: [], leftovers: [] });

  // What the crash left on disk, read with a DynamoDB Local of our own before the system restarts and moves it on.
  const peek = await startDynamoDbLocal({
    inMemory: false,
    dataDirectory: join(directory, 'dynamodb'),
    port: 0,
  });
  let atCrash: Map<string, StoredOrder>;
  try {
    atCrash = await allOrders(peek.endpoint, first.endpoints.tableName);
  } finally {
    await peek.stop();
  }
  const inFlightAtCrash = [...atCrash.values()].filter((order) => !isTerminal(order)).map((order) => order.orderId);
  // Every acknowledged order was durable before any recovery ran.
  expect([...acknowledged.keys()].filter((orderId) => !atCrash.has(orderId))).toEqual([]);

  const restartedAt = Date.now();
  const second = await startSystem(directory);
  const restartMs = Date.now() - restartedAt;
  const resumedLine = /resumed (\d+) order\(s\) left in flight: (.*)/.exec(second.output());
  const resumed = resumedLine ? resumedLine[2]!.trim().split(' ') : [];

  // Every order reaches a terminal status.
  const deadline = Date.now() + settleTimeoutMs;
  let after: Map<string, StoredOrder>;
  for (let round = 0; ; round++) {
    after = await allOrders(second.endpoints.dynamoDbEndpoint, second.endpoints.tableName);
    const open = [...after.values()].filter((order) => !isTerminal(order));
    if (open.length === 0) break;
    if (Date.now() > deadline || round > 1000) {
      throw new Error(
        `${open.length} order(s) not terminal ${settleTimeoutMs} ms after the restart: ` +
          open
            .slice(0, 20)
            .map((order) => `${order.orderId}=${order.status}${order.attention ? '(flagged)' : ''}`)
            .join(' '),
      );
    }
    await sleep(500);
  }
  const settledMs = Date.now() - restartedAt;

  // The invariants, on the restarted system: as the scheduled job judges them (with its confirming second pass),
  // and strictly, since nothing may still be running now that every order is terminal.
  const report = await reconcileRunningSystem(second.endpoints, { confirmDelayMs: 1000 });
  const byRule = (violations: readonly { rule: string }[]) => {
    const counts: Record<string, number> = {};
    for (const { rule } of violations) counts[rule] = (counts[rule] ?? 0) + 1;
    return counts;
  };
  const strict = await reconcileRunningSystem(second.endpoints, {
    confirmDelayMs: 1000,
    policy: { sagaTimeLimitSeconds: 0, cancellationTimeLimitSeconds: 0, graceSeconds: 0 },
  });
  // `npm run reconcile` finds the restarted system through the runtime file in its data directory.
  const script = await runReconcileScript(join(directory, 'runtime.json'));
  const resumedOutcomes = outcomes(resumed.map((orderId) => after.get(orderId)!));
  console.log(
    [
      `crash-recovery ${scenario.name} (seed ${seed}): ${next} orders sent by ${scenario.senders} senders, ` +
        `${acknowledged.size} acknowledged ` +
        `before kill -9 at ${killedAt - started} ms, ${unanswered.length} requests cut off by the crash` +
        (cancelledOrders.length > 0 ? `, ${cancelledOrders.length} cancelled before the crash` : ''),
      `  JVM and ports gone ${jvmGoneMs} ms after the kill; at the crash ${atCrash.size} orders on disk, ` +
        `${inFlightAtCrash.length} in flight ${JSON.stringify(outcomes(atCrash.values()))}`,
      `  restart ready in ${restartMs} ms, resumed ${resumed.length} orders, all terminal ${settledMs} ms after the ` +
        `restart; resumed orders ended ${JSON.stringify(resumedOutcomes)}`,
      `  final ${JSON.stringify(outcomes(after.values()))}; reconciliation ${report.violations.length} violations ` +
        `(strict ${strict.violations.length}, npm run reconcile exit ${script.code}), ${report.counts.payments} ` +
        `payments, ${report.counts.holds} holds` +
        (strict.violations.length > 0
          ? `; strict violations by rule ${JSON.stringify(byRule(strict.violations))}`
          : ''),
    ].join('\n'),
  );
  return { second, acknowledged, atCrash, inFlightAtCrash, resumed, after, report, strict, script };
}

it('keeps every acknowledged order and resumes every order in flight after kill -9', async () => {
  // Enough load that the system falls behind: often more orders are in flight at the kill than one scheduled
  // recovery run restarts (100), and the restart must resume all of them. Declines and pm_card_sandbox_timeout (which hangs in
  // AuthorizePayment for seconds) put orders in the middle of their compensation when the process dies.
  const { second, acknowledged, inFlightAtCrash, resumed, after, report, strict, script } = await crashAndRecover({
    name: 'load',
    senders: 250,
    acceptedBeforeCrash: 400,
    paymentToken: (draw) =>
      draw < 0.6 ? 'pm_card_visa' : draw < 0.9 ? 'pm_card_chargeDeclined' : 'pm_card_sandbox_timeout',
  });
  // Every order in flight at the crash (and nothing else) was resumed on start ...
  expect([...resumed].sort()).toEqual([...inFlightAtCrash].sort());
  // ... and every acknowledged order still exists, terminal, none flagged.
  expect([...acknowledged.keys()].filter((orderId) => !isTerminal(after.get(orderId)))).toEqual([]);
  expect([...after.values()].filter((order) => order.attention !== undefined)).toEqual([]);
  expect(report.violations).toEqual([]);
  expect(strict.violations).toEqual([]);
  expect(report.attention).toEqual([]);
  expect(script).toMatchObject({ code: 0, violations: 0 });

  // A clean stop leaves nothing running either.
  second.child.kill('SIGTERM');
  expect(await second.exited).toEqual({ code: 0, signal: null });
  expect(await waitUntilGone([second.endpoints], 15_000)).toEqual({ open: [], leftovers: [] });
}, 330_000);

/**
 * A crash in the middle of the compensations. A compensation has already given the stock back (ReleaseStock) or
 * voided the payment (VoidPayment) but the order is not FAILED yet, so it is still RESERVED or AUTHORIZED; on restart
 * the recovery starts its saga again from the top. The first compensation recorded the failure decision on the order,
 * so the forward steps refuse it and the resumed saga compensates and fails it (it must not confirm an order holding
 * no stock and a voided payment: reconciliation would report holds-do-not-match-lines and missing-authorization).
 *
 * The faults widen the window: AuthorizePayment fails 60% of its invocations (orders go to PaymentFailed),
 * ConfirmOrder always fails (ConfirmationFailed: void, release), and MarkOrderFailed waits 30 s before running, so
 * orders wait between their compensations and their failure when the process is killed. The restarted system runs
 * without faults, as after an incident.
 *
 * Cancellations too: every 7th order is cancelled, and half of the ReleaseStock invocations wait 30 s, so some
 * cancellation workflows die with the process after the order became CANCELLED and before its stock (or payment)
 * came back. The cancellation wrote a pending-compensation entry with the status change; on restart the recovery
 * reruns the compensations of every such entry (strict reconciliation: no hold or authorization on CANCELLED orders).
 */
it('a crash mid-compensation: the resumed saga fails the order it gave back, and dead cancellations are rerun', async () => {
  const { after, report, strict } = await crashAndRecover({
    name: 'mid-compensation',
    senders: 20,
    acceptedBeforeCrash: 60,
    minimumLoadMs: 20_000,
    cancelEvery: 7,
    paymentToken: () => 'pm_card_visa',
    faults: {
      seed,
      rules: [
        { target: 'AuthorizePayment', mode: 'error', rate: 0.6 },
        { target: 'ConfirmOrder', mode: 'error', rate: 1 },
        { target: 'MarkOrderFailed', mode: 'delay', rate: 1, delayMs: 30_000 },
        // The cancellation workflow's ReleaseStock (and the saga's) waits too: cancelled orders still hold stock.
        { target: 'ReleaseStock', mode: 'delay', rate: 0.5, delayMs: 30_000 },
      ],
    },
  });
  expect([...after.values()].filter((order) => order.attention !== undefined)).toEqual([]);
  expect(report.violations).toEqual([]);
  expect(strict.violations).toEqual([]);
}, 330_000);
