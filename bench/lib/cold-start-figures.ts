import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../local/runtime/local-runtime';
import type { Settings } from './benchmark-settings';
import {
  bundleFunctions,
  emptyHandlerName,
  floorSampleEvery,
  measureInitTimes,
  sdkFloorName,
  withAnchorThroughout,
  type InitTiming,
} from './cold-start';
import type { DeployedApp } from './deployed-functions';
import { createProgress } from './progress';
import { formatBytes, formatMs, formatRatio, heading, median, table } from './stats';

/** The flag whose cost the table shows separately: source-map support parses each bundle's map at load. */
const sourceMapsFlag = '--enable-source-maps';

function withoutSourceMaps(environment: Readonly<Record<string, string>>): Record<string, string> {
  const nodeOptions = (environment.NODE_OPTIONS ?? '')
    .split(/\s+/)
    .filter((option) => option !== '' && option !== sourceMapsFlag)
    .join(' ');
  const { NODE_OPTIONS: _dropped, ...rest } = environment;
  return nodeOptions === '' ? rest : { ...rest, NODE_OPTIONS: nodeOptions };
}

function withSourceMaps(environment: Readonly<Record<string, string>>): Record<string, string> {
  return { ...environment, NODE_OPTIONS: [environment.NODE_OPTIONS ?? '', sourceMapsFlag].join(' ').trim() };
}

/** The goal of the cold-start work: every function's init as deployed at most this many times the SDK-only floor. */
export const initGoalOverSdkFloor = 1.3;

/**
 * Part 1 of `npm run bench`: per function, the minified bundle's size and module init time as deployed (its own
 * NODE_OPTIONS and environment), as a ratio to the SDK-only floor (a handler that only builds the DynamoDB document
 * client), and the same init with `--enable-source-maps` flipped (the lever it is), all in one run; then each
 * bundle's largest modules.
 */
export async function coldStart(deployed: DeployedApp, settings: Settings) {
  heading(`1. Per function: bundle size and module init time (fresh Node process, median of ${settings.spawns})`);
  const outDirectory = mkdtempSync(join(tmpdir(), 'orders-bench-bundles-'));
  const progress = createProgress();
  try {
    progress.update(`bundling ${deployed.functions.length} functions and the two floors with esbuild...`);
    const { floor, sdkFloor, bundles } = await bundleFunctions(deployed.functions, projectRoot, outDirectory);
    const deployedNodeOptions = deployed.functions[0]?.environment.NODE_OPTIONS ?? '';
    const usesSourceMaps = deployed.functions.some((fn) =>
      (fn.environment.NODE_OPTIONS ?? '').includes(sourceMapsFlag),
    );
    // Both floors run in plain Node (no NODE_OPTIONS): the reference is the SDK alone, nothing the project adds.
    // The SDK-only floor is measured throughout each round, since every ratio divides by it.
    const subjects = [
      { name: floor.name, file: floor.file, environment: {} },
      ...withAnchorThroughout(
        { name: sdkFloor.name, file: sdkFloor.file, environment: {} as Record<string, string> },
        [
          ...bundles.map((bundle, index) => ({
            name: bundle.name,
            file: bundle.file,
            environment: { ...deployed.functions[index]!.environment },
          })),
          // The source-map lever, measured in the same rounds: each function again with the flag flipped.
          ...bundles.map((bundle, index) => ({
            name: `${bundle.name} (flipped)`,
            file: bundle.file,
            environment: usesSourceMaps
              ? withoutSourceMaps(deployed.functions[index]!.environment)
              : withSourceMaps(deployed.functions[index]!.environment),
          })),
        ],
        floorSampleEvery,
      ),
    ];
    const timings = measureInitTimes(subjects, settings.spawns, (done, total) =>
      progress.update(`module init: ${done}/${total} fresh Node processes`),
    );
    progress.done();
    const byName = new Map(timings.map((timing) => [timing.name, timing]));
    const emptyInit = byName.get(emptyHandlerName)!.medianMs;
    const sdkInit = byName.get(sdkFloor.name)!.medianMs;
    const sdkCpu = byName.get(sdkFloor.name)!.medianCpuMs;
    console.log(
      `floors (plain node, median of ${settings.spawns}): ${emptyHandlerName} ${formatBytes(floor.bytes)}, init ${formatMs(emptyInit)}; ` +
        `${sdkFloorName} (DynamoDB document client built at load) ${formatBytes(sdkFloor.bytes)}, init ${formatMs(sdkInit)} ` +
        `(CPU ${formatMs(sdkCpu)}; median of ${byName.get(sdkFloor.name)!.samplesMs.length} spread over each round)` +
        `\nbundles: esbuild with the construct's settings (stacks/constructs/order-function.ts deployedEsbuildOptions), ` +
        `the deferred packages each imports beside it (stacks/constructs/deferred-packages.ts); ` +
        `functions run with their synthesized environment (NODE_OPTIONS=${deployedNodeOptions || '(none)'})`,
    );
    const cell = (timing: InitTiming | undefined) =>
      !timing ? '–' : timing.error ? 'failed' : `${formatMs(timing.medianMs)} ${formatRatio(timing.medianMs, sdkInit)}`;
    const rows = bundles.map((bundle, index) => {
      const fn = deployed.functions[index]!;
      const asDeployed = byName.get(bundle.name)!;
      const ratio = asDeployed.medianMs / sdkInit;
      return [
        bundle.name,
        fn.kind,
        `${fn.memoryMb}`,
        formatBytes(bundle.bytes),
        formatBytes(bundle.sourceMapBytes),
        asDeployed.error ? `failed: ${asDeployed.error.slice(0, 50)}` : cell(asDeployed),
        asDeployed.error ? '' : ratio <= initGoalOverSdkFloor ? 'yes' : 'no',
        asDeployed.error ? '' : `${formatMs(asDeployed.medianCpuMs)} ${formatRatio(asDeployed.medianCpuMs, sdkCpu)}`,
        cell(byName.get(`${bundle.name} (flipped)`)),
        bundle.deferred
          .map((pkg) => `${pkg.name.replace(/^@aws-lambda-powertools\//, '')} ${formatBytes(pkg.bytes)}`)
          .join(', ') || '–',
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
          'map',
          'init as deployed (× SDK floor)',
          `≤ ${initGoalOverSdkFloor}×`,
          'CPU as deployed (× floor CPU)',
          `init ${usesSourceMaps ? 'without' : 'with'} ${sourceMapsFlag}`,
          'beside the bundle, loaded on first use',
          'largest packages in the bundle',
        ],
        rows,
      ),
    );
    const inits = bundles.map((bundle) => byName.get(bundle.name)!).filter((timing) => !timing.error);
    const ratios = inits.map((timing) => timing.medianMs / sdkInit);
    const cpuRatios = inits.map((timing) => timing.medianCpuMs / sdkCpu);
    console.log(
      `median over functions: bundle ${formatBytes(median(bundles.map((bundle) => bundle.bytes)))}, init as deployed ` +
        `${formatRatio(median(inits.map((timing) => timing.medianMs)), sdkInit)} the SDK-only floor (worst ` +
        `${Math.max(...ratios).toFixed(2)}×, ${ratios.filter((ratio) => ratio <= initGoalOverSdkFloor).length}/${bundles.length} within ${initGoalOverSdkFloor}×); ` +
        `CPU time ${formatRatio(median(inits.map((timing) => timing.medianCpuMs)), sdkCpu)} the floor's (worst ` +
        `${Math.max(...cpuRatios).toFixed(2)}×, ${cpuRatios.filter((ratio) => ratio <= initGoalOverSdkFloor).length}/${bundles.length} within ${initGoalOverSdkFloor}×)`,
    );
    // What each lever moves, as the median over functions of (variant − as deployed): negative is a saving.
    const leverMs = (suffix: string, of: (timing: InitTiming) => number) =>
      median(
        bundles.flatMap((bundle) => {
          const base = byName.get(bundle.name)!;
          const variant = byName.get(`${bundle.name} ${suffix}`)!;
          return base.error || variant.error ? [] : [of(variant) - of(base)];
        }),
      );
    const signed = (ms: number) => `${ms >= 0 ? '+' : '−'}${formatMs(Math.abs(ms))}`;
    const lever = (suffix: string) =>
      `${signed(leverMs(suffix, (timing) => timing.medianMs))} (CPU ${signed(leverMs(suffix, (timing) => timing.medianCpuMs))})`;
    console.log(
      `levers (median over functions, next to as deployed): ${usesSourceMaps ? 'without' : 'with'} ${sourceMapsFlag} ` +
        `${lever('(flipped)')}`,
    );
    console.log('\nlargest modules per bundle (esbuild metafile, bytes in the minified output):');
    for (const bundle of [sdkFloor, ...bundles]) {
      console.log(
        `  ${bundle.name}: ${bundle.modules
          .slice(0, 5)
          .map((module) => `${module.name} ${formatBytes(module.bytes)}`)
          .join(', ')}`,
      );
    }
  } finally {
    progress.done();
    rmSync(outDirectory, { recursive: true, force: true });
  }
}
