import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import type { DeployedFunction } from './deployed-functions';
import { median } from './stats';

/**
 * The esbuild settings of stacks/constructs/order-function.ts (NodejsFunction `bundling`), as CDK turns them into
 * esbuild arguments: platform node, target node22, ESM with the createRequire banner, module-first main fields,
 * minified, external source map without sources content, and nothing external (the AWS SDK v3 clients are bundled).
 * Kept in step with the construct by hand: change both together.
 */
export const deployedBundleOptions: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  mainFields: ['module', 'main'],
  banner: {
    js: "import { createRequire as topLevelCreateRequire } from 'module'; const require = topLevelCreateRequire(import.meta.url);",
  },
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  external: [],
  logLevel: 'silent',
};

export interface FunctionBundle {
  readonly name: string;
  readonly file: string;
  readonly bytes: number;
  readonly sourceMapBytes: number;
  /** Bytes in the bundle per npm package (`project` for the repository's own code), largest first. */
  readonly packages: readonly { readonly name: string; readonly bytes: number }[];
}

/** The floor every function starts from: an async handler that imports nothing. */
export const emptyHandlerName = '(empty handler)';

/** Bundles every function and the empty handler into `outDirectory`, in parallel (esbuild runs off-thread). */
export async function bundleFunctions(
  functions: readonly DeployedFunction[],
  projectRoot: string,
  outDirectory: string,
): Promise<{ floor: FunctionBundle; bundles: FunctionBundle[] }> {
  mkdirSync(outDirectory, { recursive: true });
  const emptyEntry = join(outDirectory, 'empty-handler.ts');
  writeFileSync(emptyEntry, 'export const handler = async () => ({});\n');
  const bundleOne = async (name: string, entry: string): Promise<FunctionBundle> => {
    const file = join(outDirectory, name.replace(/[^a-z0-9-]/gi, ''), 'index.mjs');
    const result = await build({
      ...deployedBundleOptions,
      entryPoints: [entry],
      outfile: file,
      absWorkingDir: projectRoot,
      metafile: true,
    });
    return {
      name,
      file,
      bytes: statSync(file).size,
      sourceMapBytes: statSync(`${file}.map`).size,
      packages: packagesOf(result.metafile),
    };
  };
  const [floor, ...bundles] = await Promise.all([
    bundleOne(emptyHandlerName, emptyEntry),
    ...functions.map((fn) => bundleOne(fn.name, join(projectRoot, fn.handlerModule))),
  ]);
  return { floor: floor!, bundles };
}

function packagesOf(metafile: Metafile): { name: string; bytes: number }[] {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, input] of Object.entries(output.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
      const name = match ? match[1]! : 'project';
      totals.set(name, (totals.get(name) ?? 0) + input.bytesInOutput);
    }
  }
  return [...totals.entries()].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
}

// Runs in a fresh `node` process: the time from just before the bundle's import to just after it, i.e. loading,
// compiling and running the module's top level (what Lambda's init phase does with the handler module).
const initProbe = `
import { pathToFileURL } from 'node:url';
const startedAt = performance.now();
await import(pathToFileURL(process.argv[1]).href);
process.stdout.write(JSON.stringify({ ms: performance.now() - startedAt }));
process.exit(0);
`;

export interface InitTiming {
  readonly name: string;
  readonly samplesMs: readonly number[];
  readonly medianMs: number;
  /** Why the module failed to load, if it did. */
  readonly error?: string;
}

/**
 * Module init time of each bundle, median of `spawns` fresh Node processes. The functions take turns (one spawn of
 * each per round) so that a burst of load on the machine spreads over all of them instead of skewing one. Each
 * process gets the function's own environment variables as synthesized (NODE_OPTIONS=--enable-source-maps
 * included) plus the region variables Lambda sets, and nothing else from this process.
 */
export function measureInitTimes(
  subjects: readonly { readonly name: string; readonly file: string; readonly environment: Record<string, string> }[],
  spawns: number,
  onProgress?: (done: number, total: number) => void,
): InitTiming[] {
  const samples = new Map<string, number[]>(subjects.map((subject) => [subject.name, []]));
  const errors = new Map<string, string>();
  const total = spawns * subjects.length;
  let done = 0;
  for (let round = 0; round < spawns; round++) {
    for (const subject of subjects) {
      done++;
      if (errors.has(subject.name)) continue;
      const result = spawnSync(process.execPath, ['--input-type=module', '-e', initProbe, subject.file], {
        env: {
          PATH: process.env.PATH ?? '',
          AWS_REGION: 'us-east-1',
          AWS_DEFAULT_REGION: 'us-east-1',
          // The deployed runtime is Node 22, where the SDK prints no Node-version warning.
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          ...subject.environment,
        },
        encoding: 'utf8',
        timeout: 30_000,
      });
      const ms = result.status === 0 ? (JSON.parse(result.stdout) as { ms: number }).ms : undefined;
      if (ms === undefined) {
        const reason = (result.stderr || result.error?.message || `exit ${result.status}`).trim().split('\n');
        errors.set(subject.name, reason.find((line) => /error/i.test(line)) ?? reason[0] ?? 'failed');
      } else {
        samples.get(subject.name)!.push(ms);
      }
      onProgress?.(done, total);
    }
  }
  return subjects.map((subject) => {
    const values = samples.get(subject.name)!;
    const error = errors.get(subject.name);
    return { name: subject.name, samplesMs: values, medianMs: median(values), ...(error ? { error } : {}) };
  });
}
