/**
 * Reads a V8 CPU profile (`node --cpu-prof`, the `.cpuprofile` JSON that Chrome DevTools opens) and sums self time:
 * per function, per module (a project file, or an npm package), and per Lambda handler. Pure: unit-tested in
 * test/unit/cpu-profile.test.ts.
 */

export interface CpuProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
    readonly columnNumber: number;
  };
  readonly children?: readonly number[];
}

export interface CpuProfile {
  readonly nodes: readonly CpuProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
  /** Microseconds between a sample and the previous one (the first: since startTime). */
  readonly timeDeltas?: readonly number[];
}

export interface SelfTime {
  readonly name: string;
  readonly ms: number;
  readonly share: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  /** Samples where V8 ran nothing (the event loop waited for I/O). */
  readonly idleMs: number;
  readonly functions: readonly SelfTime[];
  readonly modules: readonly SelfTime[];
  /** Self time of samples whose stack passes through a handler module, per handler; the rest under `(no handler)`. */
  readonly handlers: readonly SelfTime[];
  /** Self time per nearest project file on the sampled stack (`functions/…`, `local/…`): who called the busy code. */
  readonly callers: readonly SelfTime[];
}

/**
 * Only samples taken inside this window count, in the profile's clock: microseconds of the monotonic clock, which on
 * Linux and macOS is the one `process.hrtime` reads, so another process can give the window of its load.
 */
export interface SampleWindow {
  readonly fromUs: number;
  readonly toUs: number;
}

/** The project's Lambda handler modules: one file per function under these folders (functions/core is shared code). */
const handlerModule = /\/functions\/(api|saga|jobs|consumers|triggers|hooks)\/([^/]+)\.[cm]?[jt]s$/;

/** What a frame's script is called in the summary: `project:<path>` from the repository, else the npm package. */
export function moduleOf(url: string, projectRoot: string): string {
  if (url === '') return '(V8 / native)';
  const path = url.replace(/^file:\/\//, '');
  // The last node_modules/ segment: a nested copy of a package is still that package.
  const packageMatch = /.*node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
  if (packageMatch) return packageMatch[1]!;
  if (path.startsWith('node:') || !path.startsWith('/')) return `node:${path.replace(/^node:/, '')}`;
  return path.startsWith(`${projectRoot}/`) ? path.slice(projectRoot.length + 1) : path;
}

export function handlerOf(url: string): string | undefined {
  const match = handlerModule.exec(url);
  return match ? `${match[1]}/${match[2]}` : undefined;
}

function ranked(totals: Map<string, number>, totalMs: number): SelfTime[] {
  return [...totals.entries()]
    .map(([name, ms]) => ({ name, ms, share: totalMs > 0 ? ms / totalMs : 0 }))
    .sort((a, b) => b.ms - a.ms);
}

export function summarizeProfile(profile: CpuProfile, projectRoot: string, window?: SampleWindow): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  // The handler on each node's stack, found once per node: the nearest ancestor frame in a handler module.
  const handlerCache = new Map<number, string | undefined>();
  const handlerOnStack = (id: number): string | undefined => {
    if (handlerCache.has(id)) return handlerCache.get(id);
    const node = byId.get(id)!;
    const parent = parentOf.get(id);
    const found = handlerOf(node.callFrame.url) ?? (parent === undefined ? undefined : handlerOnStack(parent));
    handlerCache.set(id, found);
    return found;
  };
  const projectPrefix = `file://${projectRoot}/`;
  const callerCache = new Map<number, string | undefined>();
  const projectFileOnStack = (id: number): string | undefined => {
    if (callerCache.has(id)) return callerCache.get(id);
    const { url } = byId.get(id)!.callFrame;
    const parent = parentOf.get(id);
    const found =
      url.startsWith(projectPrefix) && !url.includes('/node_modules/')
        ? url.slice(projectPrefix.length)
        : parent === undefined
          ? undefined
          : projectFileOnStack(parent);
    callerCache.set(id, found);
    return found;
  };
  const functions = new Map<string, number>();
  const modules = new Map<string, number>();
  const handlers = new Map<string, number>();
  const callers = new Map<string, number>();
  let sampledAtUs = profile.startTime;
  let totalMs = 0;
  let idleMs = 0;
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let index = 0; index < samples.length; index++) {
    // A sample's time is the gap to the next sample (V8's own convention in DevTools).
    const ms = (deltas[index + 1] ?? 0) / 1000;
    sampledAtUs += deltas[index] ?? 0;
    if (window && (sampledAtUs < window.fromUs || sampledAtUs > window.toUs)) continue;
    const node = byId.get(samples[index]!);
    if (!node) continue;
    totalMs += ms;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idleMs += ms;
      continue;
    }
    const module = moduleOf(url, projectRoot);
    const name = `${functionName || '(anonymous)'} ${url ? `${module}:${lineNumber + 1}` : ''}`.trim();
    functions.set(name, (functions.get(name) ?? 0) + ms);
    modules.set(module, (modules.get(module) ?? 0) + ms);
    const handler = handlerOnStack(node.id) ?? '(no handler on the stack)';
    handlers.set(handler, (handlers.get(handler) ?? 0) + ms);
    const caller = projectFileOnStack(node.id) ?? '(no project code on the stack)';
    callers.set(caller, (callers.get(caller) ?? 0) + ms);
  }
  const busyMs = totalMs - idleMs;
  return {
    totalMs,
    idleMs,
    functions: ranked(functions, busyMs),
    modules: ranked(modules, busyMs),
    handlers: ranked(handlers, busyMs),
    callers: ranked(callers, busyMs),
  };
}
