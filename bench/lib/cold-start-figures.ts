import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../local/runtime/local-runtime';
import type { Settings } from './benchmark-settings';
import { bundleFunctions, emptyHandlerName, measureInitTimes } from './cold-start';
import type { DeployedApp } from './deployed-functions';
import { createProgress } from './progress';
import { formatBytes, formatMs, formatRatio, heading, median, table } from './stats';

/** Part 1 of `npm run bench`: per function, the minified bundle's size and module init time next to an empty handler. */
export async function coldStart(deployed: DeployedApp, settings: Settings) {
  heading(`1. Per function: bundle size and module init time (fresh Node process, median of ${settings.spawns})`);
  const outDirectory = mkdtempSync(join(tmpdir(), 'orders-bench-bundles-'));
  const progress = createProgress();
  try {
    progress.update(`bundling ${deployed.functions.length} functions and the empty handler with esbuild...`);
    const { floor, bundles } = await bundleFunctions(deployed.functions, projectRoot, outDirectory);
    const subjects = [
      { name: floor.name, file: floor.file, environment: {} as Record<string, string> },
      ...bundles.map((bundle, index) => ({
        name: bundle.name,
        file: bundle.file,
        environment: { ...deployed.functions[index]!.environment },
      })),
    ];
    // The floor runs with the same NODE_OPTIONS as the functions, so the source-map flag is in both.
    subjects[0]!.environment.NODE_OPTIONS = deployed.functions[0]?.environment.NODE_OPTIONS ?? '';
    const timings = measureInitTimes(subjects, settings.spawns, (done, total) =>
      progress.update(`module init: ${done}/${total} fresh Node processes`),
    );
    progress.done();
    const floorInit = timings[0]!.medianMs;
    console.log(
      `floor: ${emptyHandlerName} bundled the same way = ${formatBytes(floor.bytes)}, init ${formatMs(floorInit)}` +
        ` (median of ${timings[0]!.samplesMs.length}); bundles: platform node, target node22, ESM, minified, nothing external`,
    );
    const rows = bundles.map((bundle, index) => {
      const fn = deployed.functions[index]!;
      const timing = timings[index + 1]!;
      return [
        bundle.name,
        fn.kind,
        `${fn.memoryMb}`,
        formatBytes(bundle.bytes),
        formatRatio(bundle.bytes, floor.bytes),
        timing.error ? 'failed' : formatMs(timing.medianMs),
        timing.error ? timing.error.slice(0, 60) : `+${formatMs(timing.medianMs - floorInit)}`,
        formatRatio(timing.medianMs, floorInit),
        bundle.packages
          .slice(0, 3)
          .map((pkg) => `${pkg.name} ${formatBytes(pkg.bytes)}`)
          .join(', '),
      ];
    });
    console.log(
      table(
        [
          'function',
          'kind',
          'MB',
          'bundle',
          'bundle × floor',
          'init p50',
          'init over floor',
          'init × floor',
          'largest packages in the bundle',
        ],
        rows,
      ),
    );
    const inits = timings.slice(1).filter((timing) => !timing.error);
    console.log(
      `median over functions: bundle ${formatBytes(median(bundles.map((bundle) => bundle.bytes)))}, ` +
        `init ${formatMs(median(inits.map((timing) => timing.medianMs)))} (${formatRatio(median(inits.map((timing) => timing.medianMs)), floorInit)} the floor)`,
    );
  } finally {
    progress.done();
    rmSync(outDirectory, { recursive: true, force: true });
  }
}
