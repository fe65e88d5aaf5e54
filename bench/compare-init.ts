import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { projectRoot } from '../local/runtime/local-runtime';
import {
  bundleFunctions,
  floorSampleEvery,
  measureInitTimes,
  sdkFloorName,
  withAnchorThroughout,
  type InitTiming,
} from './lib/cold-start';
import { initGoalOverSdkFloor } from './lib/cold-start-figures';
import { deployedFunctions, type DeployedFunction } from './lib/deployed-functions';
import { positiveInteger, runBenchCommand, UsageError } from './lib/cli-options';
import { createProgress } from './lib/progress';
import { formatBytes, formatMs, heading, median, table } from './lib/stats';

/**
 * `npm run bench:init-compare -- <git revision>`: module init of every deployed function as the working tree bundles
 * it next to the same function as the revision bundles it, measured back to back in one run (the two variants and
 * the SDK-only floor take turns, one fresh Node process each per round), so a change's effect on cold start reads
 * without the noise between two separate `npm run bench` runs. Each tree is bundled by its own bench/lib/cold-start.ts
 * (so with the bundling it deploys, a change to the bundling options included); environment and probe as part 1 of
 * the bench; both trees use this checkout's node_modules.
 */

const usage = `usage: npm run bench:init-compare -- <git revision> [options]
  --spawns <n>     fresh Node processes per function and variant (default 11)
  --only <regex>   only the functions whose name matches`;

/** The revision's files in a temporary directory, with this checkout's node_modules. */
function checkout(revision: string): string {
  const directory = mkdtempSync(join(tmpdir(), 'orders-init-compare-'));
  const archive = execFileSync('git', ['archive', '--format=tar', revision], {
    cwd: projectRoot,
    maxBuffer: 1 << 30,
  });
  execFileSync('tar', ['-x', '-C', directory], { input: archive });
  symlinkSync(join(projectRoot, 'node_modules'), join(directory, 'node_modules'));
  return directory;
}

/** The revision's own `bundleFunctions`, which bundles as that revision deploys. */
function bundlerOf(directory: string): typeof bundleFunctions {
  return async (...args) => {
    const revisionBench = (await import(pathToFileURL(join(directory, 'bench', 'lib', 'cold-start.ts')).href)) as {
      bundleFunctions: typeof bundleFunctions;
    };
    return revisionBench.bundleFunctions(...args);
  };
}

interface Ratios {
  readonly wall: number;
  readonly cpu: number;
}

async function main() {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    options: { spawns: { type: 'string' }, only: { type: 'string' }, help: { type: 'boolean' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) throw new UsageError();
  const [revision] = positionals;
  if (!revision || positionals.length > 1) throw new UsageError('give one git revision to compare with');
  const spawns = positiveInteger('spawns', values.spawns, 11);
  const only = values.only === undefined ? undefined : new RegExp(values.only);

  const before = checkout(revision);
  const outDirectory = mkdtempSync(join(tmpdir(), 'orders-init-compare-bundles-'));
  const progress = createProgress();
  try {
    // Each function's environment as this tree deploys it; a function the revision does not have is left out.
    const functions = deployedFunctions('prod', projectRoot).functions.filter(
      (fn) => (!only || only.test(fn.name)) && existsSync(join(before, fn.handlerModule)),
    );
    if (functions.length === 0) throw new UsageError('no function to compare');
    progress.update(`bundling ${functions.length} functions from ${revision} and from the working tree...`);
    const [old, current] = [
      await bundlerOf(before)(functions, before, join(outDirectory, 'before')),
      await bundleFunctions(functions, projectRoot, join(outDirectory, 'after')),
    ];
    const subjects = withAnchorThroughout(
      { name: sdkFloorName, file: current.sdkFloor.file, environment: {} as Record<string, string> },
      functions.flatMap((fn: DeployedFunction, index) => [
        { name: `${fn.name} before`, file: old.bundles[index]!.file, environment: { ...fn.environment } },
        { name: `${fn.name} after`, file: current.bundles[index]!.file, environment: { ...fn.environment } },
      ]),
      floorSampleEvery,
    );
    const timings = new Map(
      measureInitTimes(subjects, spawns, (done, total) =>
        progress.update(`module init: ${done}/${total} fresh Node processes`),
      ).map((timing) => [timing.name, timing]),
    );
    progress.done();

    const floor = timings.get(sdkFloorName)!;
    const ratios = (timing: InitTiming): Ratios => ({
      wall: timing.medianMs / floor.medianMs,
      cpu: timing.medianCpuMs / floor.medianCpuMs,
    });
    heading(`Module init, ${revision} → working tree (fresh Node process, median of ${spawns}, in turns)`);
    console.log(
      `${sdkFloorName}: init ${formatMs(floor.medianMs)}, CPU ${formatMs(floor.medianCpuMs)}; ` +
        `ratios are to it, as in part 1 of npm run bench`,
    );
    const measured = functions.flatMap((fn, index) => {
      const [was, is] = [timings.get(`${fn.name} before`)!, timings.get(`${fn.name} after`)!];
      if (was.error || is.error) {
        console.log(`${fn.name}: failed (${was.error ?? is.error})`);
        return [];
      }
      return [{ fn, was, is, bytes: [old.bundles[index]!.bytes, current.bundles[index]!.bytes] as const }];
    });
    const arrow = (from: number, to: number) => `${from.toFixed(2)}× → ${to.toFixed(2)}×`;
    const signed = (ms: number) => `${ms >= 0 ? '+' : '−'}${formatMs(Math.abs(ms))}`;
    console.log(
      table(
        ['function', 'kind', 'bundle', 'init (× floor)', 'CPU (× floor CPU)', 'CPU change'],
        measured.map(({ fn, was, is, bytes }) => [
          fn.name,
          fn.kind,
          `${formatBytes(bytes[0])} → ${formatBytes(bytes[1])}`,
          arrow(ratios(was).wall, ratios(is).wall),
          arrow(ratios(was).cpu, ratios(is).cpu),
          signed(is.medianCpuMs - was.medianCpuMs),
        ]),
      ),
    );
    for (const kind of [undefined, 'api', 'saga', 'job'] as const) {
      const rows = measured.filter(({ fn }) => kind === undefined || fn.kind === kind);
      if (rows.length === 0) continue;
      const summary = (of: keyof Ratios) => {
        const [was, is] = [rows.map(({ was }) => ratios(was)[of]), rows.map(({ is }) => ratios(is)[of])];
        const within = (values: number[]) => values.filter((value) => value <= initGoalOverSdkFloor).length;
        return (
          `median ${arrow(median(was), median(is))} (worst ${arrow(Math.max(...was), Math.max(...is))}, ` +
          `${within(was)} → ${within(is)} of ${rows.length} within ${initGoalOverSdkFloor}×)`
        );
      };
      console.log(
        `${kind ?? 'all'} functions: init ${summary('wall')}; CPU ${summary('cpu')}; CPU change, median ` +
          signed(median(rows.map(({ was, is }) => is.medianCpuMs - was.medianCpuMs))),
      );
    }
  } finally {
    progress.done();
    rmSync(outDirectory, { recursive: true, force: true });
    rmSync(before, { recursive: true, force: true });
  }
}

runBenchCommand(main, usage);
