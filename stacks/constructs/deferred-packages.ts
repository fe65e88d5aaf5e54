import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, type BuildOptions, type Metafile } from 'esbuild';

/**
 * Packages a function loads on first use, not at cold start, so each is shipped beside the function's bundle
 * (`node_modules/<package>/` in the asset) instead of inside it. Inside the bundle, V8 would still parse and compile
 * their code at every cold start although it never runs there: about 130 KB for the tracer with the X-Ray SDK, 258 KB
 * for Stripe, and init time grows with the bytes compiled (docs/benchmarks.md, part 1). Beside the bundle, the
 * `import()` that loads one resolves to its own file the first time it runs, as it does offline from the project's
 * node_modules.
 */
export const deferredPackages = {
  '@aws-lambda-powertools/tracer':
    'loaded at the first invocation X-Ray samples (functions/core/observability/sampled-tracer.ts)',
  stripe: 'loaded by the first call to Stripe (functions/core/adapters/stripe-sdk.ts)',
} as const satisfies Record<string, string>;

export type DeferredPackage = keyof typeof deferredPackages;
export const deferredPackageNames = Object.keys(deferredPackages) as DeferredPackage[];

/** Where esbuild writes the bundle's metafile (NodejsFunction `metafile: true`); read, then removed from the asset. */
export const bundleMetafileName = 'index.meta.json';

/** The deferred package an import specifier belongs to (`stripe`, `@aws-lambda-powertools/tracer/middleware`, …). */
export function deferredPackageOf(specifier: string): DeferredPackage | undefined {
  return deferredPackageNames.find((name) => specifier === name || specifier.startsWith(`${name}/`));
}

export interface DeferredPackageBundle {
  readonly name: DeferredPackage;
  /** The specifiers the function's bundle imports from it: the package itself and/or subpaths. */
  readonly specifiers: readonly string[];
  /** Bytes of JavaScript written (source maps not counted). */
  readonly bytes: number;
}

/** Reads the metafile esbuild wrote into an asset directory and removes it from there. */
export function takeBundleMetafile(outputDir: string): Metafile {
  const metafilePath = join(outputDir, bundleMetafileName);
  const metafile = JSON.parse(readFileSync(metafilePath, 'utf8')) as Metafile;
  rmSync(metafilePath);
  return metafile;
}

/**
 * Bundles each deferred package a function's bundle imports (read from the bundle's metafile) into
 * `node_modules/<package>/` beside it, with the same esbuild options: one ESM file per imported specifier (shared
 * code split into chunks), and a package.json whose `exports` map each specifier to its file.
 *
 * A deferred package imported statically would be loaded at cold start, which defeats its purpose, so that fails
 * the bundling with the importer's name.
 */
export async function bundleDeferredPackages(
  outputDir: string,
  options: BuildOptions,
  metafile: Metafile,
): Promise<DeferredPackageBundle[]> {
  const specifiers = new Map<DeferredPackage, Set<string>>();
  for (const output of Object.values(metafile.outputs)) {
    for (const imported of output.imports) {
      const name = imported.external ? deferredPackageOf(imported.path) : undefined;
      if (!name) continue;
      if (imported.kind !== 'dynamic-import') {
        const importers = Object.entries(metafile.inputs)
          .filter(([, input]) => input.imports.some((entry) => entry.path === imported.path))
          .map(([file]) => file);
        throw new Error(
          `${imported.path} is imported statically (${importers.join(', ') || 'unknown importer'}): a deferred ` +
            'package must be loaded with import() where it is first needed (stacks/constructs/deferred-packages.ts)',
        );
      }
      specifiers.set(name, (specifiers.get(name) ?? new Set()).add(imported.path));
    }
  }

  return Promise.all(
    [...specifiers].map(async ([name, used]) => {
      const directory = join(outputDir, 'node_modules', name);
      mkdirSync(directory, { recursive: true });
      const entries = [...used].sort().map((specifier) => ({
        specifier,
        file: specifier === name ? 'index' : specifier.slice(name.length + 1).replaceAll('/', '-'),
      }));
      const result = await build({
        ...options,
        entryPoints: entries.map(({ specifier, file }) => ({ in: specifier, out: file })),
        outdir: directory,
        outExtension: { '.js': '.mjs' },
        splitting: true,
        external: [],
        metafile: true,
        write: true,
      });
      const exportsMap = Object.fromEntries(
        entries.map(({ specifier, file }) => [
          specifier === name ? '.' : `./${specifier.slice(name.length + 1)}`,
          `./${file}.mjs`,
        ]),
      );
      writeFileSync(
        join(directory, 'package.json'),
        `${JSON.stringify({ name, private: true, type: 'module', exports: exportsMap }, null, 2)}\n`,
      );
      const bytes = Object.entries(result.metafile.outputs)
        .filter(([file]) => file.endsWith('.mjs'))
        .reduce((sum, [, output]) => sum + output.bytes, 0);
      return { name, specifiers: entries.map(({ specifier }) => specifier), bytes };
    }),
  );
}
