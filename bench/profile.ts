import '../local/runtime/polyfills';
import { readdirSync, readFileSync, mkdirSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../local/runtime/local-runtime';
import { numberOption, runBenchCommand, UsageError } from './lib/cli-options';
import { summarizeProfile, type CpuProfile, type SampleWindow, type SelfTime } from './lib/cpu-profile';
import type { RequestMix } from './lib/load-plan';
import { runStep } from './lib/load-step';
import { startOfflineSystem } from './lib/load-target';
import { createProgress } from './lib/progress';
import { formatMs, table } from './lib/stats';

/**
 * `npm run profile -- <scenario>`: runs the load test's traffic against the offline system started with V8's CPU
 * profiler on (`node --cpu-prof`), then prints where the system's process spent its CPU time: the top functions,
 * modules and Lambda handlers by self time. `--heap` also writes a heap snapshot at the end of the load.
 * docs/profiling.md explains the output and its limits.
 */

const scenarios: Readonly<Record<string, { readonly mix: RequestMix; readonly about: string }>> = {
  mixed: { mix: { 'place-order': 2, 'get-order': 3, 'list-products': 5 }, about: "the load test's default mix" },
  orders: {
    mix: { 'place-order': 1, 'get-order': 0, 'list-products': 0 },
    about: 'POST /orders only (each runs the saga)',
  },
  reads: {
    mix: { 'place-order': 1, 'get-order': 6, 'list-products': 6 },
    about: 'mostly GET /orders/{id} and GET /products',
  },
};

const usage = `usage: npm run profile -- <scenario> [options]
  scenarios: ${Object.entries(scenarios)
    .map(([name, scenario]) => `${name} (${scenario.about})`)
    .join('; ')}
  --seconds <s>        load duration (default 30)
  --connections <n>    concurrent connections (default 8)
  --top <n>            rows per table (default 15)
  --heap               also write a heap snapshot of the system's process when the load ends
  --out <dir>          where to write the profile (default: profiles/<scenario>-<time>)`;

function parseSettings(argv: readonly string[]) {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        seconds: { type: 'string' },
        connections: { type: 'string' },
        top: { type: 'string' },
        heap: { type: 'boolean', default: false },
        out: { type: 'string' },
        help: { type: 'boolean' },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) throw new UsageError('');
  const scenarioName = positionals[0] ?? 'mixed';
  const scenario = scenarios[scenarioName];
  if (!scenario || positionals.length > 1) throw new UsageError(`unknown scenario "${positionals.join(' ')}"`);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return {
    scenarioName,
    mix: scenario.mix,
    seconds: numberOption('seconds', values.seconds, 30, 1),
    connections: Math.round(numberOption('connections', values.connections, 8, 1)),
    top: Math.round(numberOption('top', values.top, 15, 1)),
    heap: values.heap ?? false,
    out: resolve(values.out ?? join(projectRoot, 'profiles', `${scenarioName}-${stamp}`)),
  };
}

function rows(entries: readonly SelfTime[], top: number): string[][] {
  return entries.slice(0, top).map((entry) => [formatMs(entry.ms), `${(entry.share * 100).toFixed(1)} %`, entry.name]);
}

async function waitForFile(directory: string, suffix: string, timeoutMs: number): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = readdirSync(directory).find((name) => name.endsWith(suffix));
    if (found) return join(directory, found);
    await new Promise((done) => setTimeout(done, 250));
  }
  return undefined;
}

async function main() {
  const settings = parseSettings(process.argv.slice(2));
  mkdirSync(settings.out, { recursive: true });
  const progress = createProgress(process.stdout);
  progress.update('starting the offline system with the CPU profiler on...');
  const target = await startOfflineSystem({
    customers: settings.connections,
    throttling: false,
    nodeArguments: [
      '--cpu-prof',
      `--cpu-prof-dir=${settings.out}`,
      `--diagnostic-dir=${settings.out}`,
      ...(settings.heap ? ['--heapsnapshot-signal=SIGUSR2'] : []),
    ],
  });
  progress.done();
  let heapSnapshot: string | undefined;
  // Only the load counts: not the system's start-up, its seeding, the heap snapshot or its shutdown.
  let loadWindow: SampleWindow | undefined;
  try {
    console.log(
      `Profile — ${new Date().toISOString()}, node ${process.version}; scenario ${settings.scenarioName}, ` +
        `${settings.connections} connections for ${settings.seconds} s against ${target.description}`,
    );
    const loadStartedUs = Number(process.hrtime.bigint() / 1000n);
    const result = await runStep(
      target,
      { paymentToken: 'pm_card_visa', mix: settings.mix, timeoutSeconds: 10 },
      { phase: 'steady', label: settings.scenarioName, connections: settings.connections, seconds: settings.seconds },
      [],
      (text) => progress.update(text),
    );
    loadWindow = { fromUs: loadStartedUs, toUs: Number(process.hrtime.bigint() / 1000n) };
    progress.done();
    console.log(
      `load: ${result.result.requests.total} requests, ${result.result.non2xx} not 2xx, p99 ${formatMs(result.result.latency.p99)}`,
    );
    if (settings.heap) {
      progress.update('writing the heap snapshot...');
      target.signal?.('SIGUSR2');
      heapSnapshot = await waitForFile(settings.out, '.heapsnapshot', 120_000);
      progress.done();
    }
  } finally {
    progress.update('stopping the offline system (it writes the CPU profile as it exits)...');
    await target.stop();
    progress.done();
  }
  const profileFile = existsSync(settings.out) ? await waitForFile(settings.out, '.cpuprofile', 10_000) : undefined;
  if (!profileFile) throw new Error(`no .cpuprofile was written to ${settings.out}`);
  const summary = summarizeProfile(
    JSON.parse(readFileSync(profileFile, 'utf8')) as CpuProfile,
    projectRoot,
    loadWindow,
  );
  const busyMs = summary.totalMs - summary.idleMs;
  console.log(
    `\nCPU profile of the system's process during the load: ${formatMs(summary.totalMs)}, ${formatMs(busyMs)} busy ` +
      `(${((busyMs / summary.totalMs) * 100).toFixed(0)} %), the rest idle waiting for I/O. Shares are of busy time.`,
  );
  const header = ['self', 'share'];
  console.log(
    `\nTop functions by self time:\n${table([...header, 'function (module:line)'], rows(summary.functions, settings.top))}`,
  );
  console.log(
    `\nBy module (project file or npm package):\n${table([...header, 'module'], rows(summary.modules, settings.top))}`,
  );
  console.log(
    `\nBy Lambda handler (a handler module on the sampled stack; code resumed after an await has none):\n` +
      table([...header, 'handler'], rows(summary.handlers, settings.top)),
  );
  console.log(
    `\nBy nearest project file on the stack (who called the busy code):\n` +
      table([...header, 'project file'], rows(summary.callers, settings.top)),
  );
  console.log(`\nprofile: ${profileFile} (open it in Chrome DevTools → Performance, or VS Code)`);
  if (settings.heap) {
    console.log(
      heapSnapshot
        ? `heap snapshot: ${heapSnapshot} (Chrome DevTools → Memory → Load)`
        : 'heap snapshot: none was written within 120 s',
    );
  }
}

runBenchCommand(main, usage);
