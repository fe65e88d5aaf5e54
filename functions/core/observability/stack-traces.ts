import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * Readable stack traces from the minified bundles without `--enable-source-maps`. That flag makes Node read and parse
 * the bundle's source map while it loads the module: tens of milliseconds of every cold start (npm run bench, part 1),
 * for traces that most invocations never print. Instead, V8 asks this formatter for a trace the first time an error's
 * `stack` is read, and only then is the `.map` file beside the bundle (`index.mjs.map`, shipped in the asset) read,
 * once per process: each frame gets the original file, line and column (`functions/…/x.ts:12:7`).
 *
 * Installed only in Lambda (AWS_LAMBDA_FUNCTION_NAME is set) and only while Node's own source-map support is off:
 * offline, tsx and Jest map traces themselves, and a function deployed with `--enable-source-maps` keeps Node's own
 * mapping.
 */

const maps = new Map<string, SourceMap | undefined>();

function sourceMapOf(fileName: string): SourceMap | undefined {
  if (maps.has(fileName)) return maps.get(fileName);
  let map: SourceMap | undefined;
  try {
    const path = fileName.startsWith('file:') ? fileURLToPath(fileName) : fileName;
    if (/\.[cm]?js$/.test(path) && existsSync(`${path}.map`)) {
      map = new SourceMap(
        JSON.parse(readFileSync(`${path}.map`, 'utf8')) as ConstructorParameters<typeof SourceMap>[0],
      );
    }
  } catch {
    // An unreadable map leaves the frames as they are: a trace must never fail because of its formatting.
    map = undefined;
  }
  maps.set(fileName, map);
  return map;
}

/** One frame as V8 prints it, with the bundle's position replaced by the original one when the map knows it. */
export function formatFrame(callSite: NodeJS.CallSite): string {
  const text = callSite.toString();
  const file = callSite.getFileName();
  const line = callSite.getLineNumber();
  const column = callSite.getColumnNumber();
  if (!file || line === null || column === null) return text;
  const map = sourceMapOf(file);
  if (!map) return text;
  const entry = map.findEntry(line - 1, column - 1);
  if (!('originalSource' in entry)) return text;
  const original = `${entry.originalSource.replace(/^(\.\.\/)+/, '')}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  return text.replace(`${file}:${line}:${column}`, original);
}

function header(error: unknown): string {
  try {
    return Error.prototype.toString.call(error);
  } catch {
    return 'Error';
  }
}

/** Installs the lazy formatter where it applies (see above); returns whether it did. */
export function installLazySourceMaps(environment: NodeJS.ProcessEnv = process.env): boolean {
  // (Node defines a default Error.prepareStackTrace of its own, so its presence says nothing.)
  if (process.sourceMapsEnabled) return false;
  if (environment.AWS_LAMBDA_FUNCTION_NAME === undefined) return false;
  Error.prepareStackTrace = (error, callSites) =>
    [header(error), ...callSites.map((callSite) => `    at ${formatFrame(callSite)}`)].join('\n');
  return true;
}

installLazySourceMaps();
