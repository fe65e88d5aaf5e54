import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { bundleDeferredPackages, type DeferredPackageBundle } from '../../stacks/constructs/deferred-packages';
import { deployedEsbuildOptions } from '../../stacks/constructs/order-function';
import type { DeployedFunction } from './deployed-functions';
import { median } from './stats';

/** The esbuild options of the deployed bundles (stacks/constructs/order-function.ts), so the benchmark cannot drift. */
export const deployedBundleOptions: BuildOptions = deployedEsbuildOptions;

export interface FunctionBundle {
  readonly name: string;
  readonly file: string;
  readonly bytes: number;
  readonly sourceMapBytes: number;
  /** Bytes in the bundle per npm package (`project` for the repository's own code), largest first. */
  readonly packages: readonly { readonly name: string; readonly bytes: number }[];
  /** Bytes in the bundle per source module (path relative to the project, node_modules/ dropped), largest first. */
  readonly modules: readonly { readonly name: string; readonly bytes: number }[];
  /** The packages shipped beside the bundle and loaded on first use (stacks/constructs/deferred-packages.ts). */
  readonly deferred: readonly DeferredPackageBundle[];
}

/** The floor every function starts from: an async handler that imports nothing. */
export const emptyHandlerName = '(empty handler)';
/** The SDK-only floor: a handler that imports the DynamoDB document client and builds one, as every function does. */
export const sdkFloorName = '(SDK-only floor)';

/**
 * The SDK-only floor's source. Its client is built at module load, like the functions' document client; the handler
 * does one GetItem against a closed port on 127.0.0.1 with one attempt and a short timeout, so whoever invokes it
 * sends nothing anywhere. The init probe only imports it.
 */
const sdkFloorSource = `import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
const client = DynamoDBDocumentClient.from(
  new DynamoDBClient({ endpoint: 'http://127.0.0.1:9', maxAttempts: 1, requestHandler: { requestTimeout: 200 } }),
);
export const handler = async () => {
  try {
    return await client.send(new GetCommand({ TableName: 'floor', Key: { pk: 'floor' } }));
  } catch (error) {
    return { error: String(error) };
  }
};
`;

/**
 * Bundles every function and both floors into `outDirectory`, in parallel (esbuild runs off-thread), each with the
 * deferred packages it imports beside it, as its asset is laid out.
 */
export async function bundleFunctions(
  functions: readonly DeployedFunction[],
  projectRoot: string,
  outDirectory: string,
): Promise<{
  floor: FunctionBundle;
  sdkFloor: FunctionBundle;
  bundles: FunctionBundle[];
}> {
  mkdirSync(outDirectory, { recursive: true });
  // A source given to esbuild is an entry of its own, resolved from the project root like the handlers' imports.
  type Entry = { readonly file: string } | { readonly source: string };
  const bundleOne = async (name: string, entry: Entry): Promise<FunctionBundle> => {
    const directory = join(outDirectory, name.replace(/[^a-z0-9-]/gi, ''));
    const file = join(directory, 'index.mjs');
    const result = await build({
      ...deployedBundleOptions,
      ...('file' in entry
        ? { entryPoints: [entry.file] }
        : { stdin: { contents: entry.source, resolveDir: projectRoot, loader: 'ts', sourcefile: `${name}.ts` } }),
      outfile: file,
      absWorkingDir: projectRoot,
      metafile: true,
    });
    return {
      name,
      file,
      bytes: statSync(file).size,
      sourceMapBytes: deployedBundleOptions.sourcemap ? statSync(`${file}.map`).size : 0,
      packages: packagesOf(result.metafile),
      modules: modulesOf(result.metafile),
      deferred: await bundleDeferredPackages(directory, deployedBundleOptions, result.metafile),
    };
  };
  const [floor, sdkFloor, ...bundles] = await Promise.all([
    bundleOne(emptyHandlerName, { source: 'export const handler = async () => ({});\n' }),
    bundleOne(sdkFloorName, { source: sdkFloorSource }),
    ...functions.map((fn) => bundleOne(fn.name, { file: join(projectRoot, fn.handlerModule) })),
  ]);
  return { floor: floor!, sdkFloor: sdkFloor!, bundles };
}

function inputsOf(metafile: Metafile): [string, number][] {
  return Object.values(metafile.outputs).flatMap((output) =>
    Object.entries(output.inputs).map(([path, input]): [string, number] => [path, input.bytesInOutput]),
  );
}

function largestFirst(totals: Map<string, number>): { name: string; bytes: number }[] {
  return [...totals.entries()].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
}

function packagesOf(metafile: Metafile): { name: string; bytes: number }[] {
  const totals = new Map<string, number>();
  for (const [path, bytes] of inputsOf(metafile)) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
    const name = match ? match[1]! : 'project';
    totals.set(name, (totals.get(name) ?? 0) + bytes);
  }
  return largestFirst(totals);
}

function modulesOf(metafile: Metafile): { name: string; bytes: number }[] {
  const totals = new Map<string, number>();
  for (const [path, bytes] of inputsOf(metafile)) {
    // The last node_modules/ segment: what a package's module is called however deeply it is nested.
    const name = path.replace(/^.*node_modules\//, '');
    totals.set(name, (totals.get(name) ?? 0) + bytes);
  }
  return largestFirst(totals);
}

// Runs in a fresh `node` process: the time from just before the bundle's import to just after it, i.e. loading,
// compiling and running the module's top level (what Lambda's init phase does with the handler module), and the CPU
// time the process spent meanwhile (all its threads, so V8's background compilation counts too).
const initProbe = `
import { pathToFileURL } from 'node:url';
const cpuAtStart = process.cpuUsage();
const startedAt = performance.now();
await import(pathToFileURL(process.argv[1]).href);
const cpu = process.cpuUsage(cpuAtStart);
process.stdout.write(JSON.stringify({ ms: performance.now() - startedAt, cpuMs: (cpu.user + cpu.system) / 1000 }));
process.exit(0);
`;

export interface InitTiming {
  readonly name: string;
  readonly samplesMs: readonly number[];
  readonly medianMs: number;
  /**
   * Median CPU time of the same imports. On a machine shared with other work the wall-clock time also counts the
   * time spent waiting for a core; the CPU time does not, so it is the steadier figure to compare variants by.
   */
  readonly medianCpuMs: number;
  /** Why the module failed to load, if it did. */
  readonly error?: string;
}

/** How many subjects are measured between two samples of the SDK-only floor. */
export const floorSampleEvery = 8;

/**
 * `subjects` with `anchor` (the floor every ratio divides by) measured again before every `every` of them. The
 * floor's init time drifts within a run on a shared machine (51-59 ms for the first dozen spawns and 39-45 ms a
 * minute later, while a function's stayed put), so a floor sampled only once per round, at the round's start, can
 * move every ratio by 0.2 or more; sampled throughout the round, its median spans the same time as the functions'.
 */
export function withAnchorThroughout<Subject extends { readonly name: string }>(
  anchor: Subject,
  subjects: readonly Subject[],
  every: number,
): Subject[] {
  return subjects.flatMap((subject, index) => (index % every === 0 ? [anchor, subject] : [subject]));
}

/**
 * Module init time of each bundle, median of `spawns` fresh Node processes (more for a subject listed more
 * than once). The functions take turns (one spawn of each per round) so that a burst of load on the machine
 * spreads over all of them instead of skewing one. Each process gets the function's own environment variables as synthesized (NODE_OPTIONS=--enable-source-maps
 * included) plus the region variables Lambda sets, and nothing else from this process.
 */
export function measureInitTimes(
  subjects: readonly { readonly name: string; readonly file: string; readonly environment: Record<string, string> }[],
  spawns: number,
  onProgress?: (done: number, total: number) => void,
): InitTiming[] {
  const samples = new Map<string, number[]>(subjects.map((subject) => [subject.name, []]));
  const cpuSamples = new Map<string, number[]>(subjects.map((subject) => [subject.name, []]));
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
      const measured = result.status === 0 ? (JSON.parse(result.stdout) as { ms: number; cpuMs: number }) : undefined;
      if (measured === undefined) {
        const reason = (result.stderr || result.error?.message || `exit ${result.status}`).trim().split('\n');
        errors.set(subject.name, reason.find((line) => /error/i.test(line)) ?? reason[0] ?? 'failed');
      } else {
        samples.get(subject.name)!.push(measured.ms);
        cpuSamples.get(subject.name)!.push(measured.cpuMs);
      }
      onProgress?.(done, total);
    }
  }
  // A subject listed more than once (an anchor, see withAnchorThroughout) has all its samples under one name.
  const unique = [...new Map(subjects.map((subject) => [subject.name, subject])).values()];
  return unique.map((subject) => {
    const values = samples.get(subject.name)!;
    const error = errors.get(subject.name);
    return {
      name: subject.name,
      samplesMs: values,
      medianMs: median(values),
      medianCpuMs: median(cpuSamples.get(subject.name)!),
      ...(error ? { error } : {}),
    };
  });
}
