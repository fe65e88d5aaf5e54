import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { build } from 'esbuild';
import { bundleDeferredPackages, deferredPackageOf } from '../../stacks/constructs/deferred-packages';
import { deployedEsbuildOptions } from '../../stacks/constructs/order-function';

const projectRoot = join(__dirname, '..', '..');

describe('deferred packages (shipped beside a bundle, loaded on first use)', () => {
  let directory: string;
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'deferred-packages-'));
  });
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  const bundle = async (source: string) => {
    const result = await build({
      ...deployedEsbuildOptions,
      stdin: { contents: source, resolveDir: projectRoot, loader: 'ts', sourcefile: 'handler.ts' },
      outfile: join(directory, 'index.mjs'),
      absWorkingDir: projectRoot,
      metafile: true,
    });
    return result.metafile;
  };

  it('names the deferred package of a specifier, subpaths included, and nothing else', () => {
    expect(deferredPackageOf('stripe')).toBe('stripe');
    expect(deferredPackageOf('@aws-lambda-powertools/tracer/middleware')).toBe('@aws-lambda-powertools/tracer');
    expect(deferredPackageOf('stripe-like')).toBeUndefined();
    expect(deferredPackageOf('@aws-lambda-powertools/logger')).toBeUndefined();
  });

  it('bundles each package a bundle loads with import() beside it, with an exports map per specifier used', async () => {
    const metafile = await bundle(
      "export const handler = async () => [await import('@aws-lambda-powertools/tracer'), " +
        "await import('@aws-lambda-powertools/tracer/middleware')].map((module) => Object.keys(module).sort().join());",
    );
    const shipped = await bundleDeferredPackages(directory, deployedEsbuildOptions, metafile);

    expect(shipped.map(({ name, specifiers }) => ({ name, specifiers }))).toEqual([
      {
        name: '@aws-lambda-powertools/tracer',
        specifiers: ['@aws-lambda-powertools/tracer', '@aws-lambda-powertools/tracer/middleware'],
      },
    ]);
    const packageDirectory = join(directory, 'node_modules', '@aws-lambda-powertools', 'tracer');
    expect(JSON.parse(readFileSync(join(packageDirectory, 'package.json'), 'utf8'))).toMatchObject({
      type: 'module',
      exports: { '.': './index.mjs', './middleware': './middleware.mjs' },
    });
    // The X-Ray SDK is in the package beside the bundle, not in the bundle.
    expect(readFileSync(join(directory, 'index.mjs'), 'utf8')).not.toContain('AWSXRay');
    expect(existsSync(join(directory, 'node_modules', 'stripe'))).toBe(false);

    // The bundle's own import() finds them, in a process that has no other node_modules to fall back on.
    const probe = join(directory, 'probe.mjs');
    writeFileSync(
      probe,
      "const { handler } = await import('./index.mjs'); console.log(JSON.stringify(await handler()));",
    );
    const result = spawnSync(process.execPath, [probe], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    expect(result.stderr).toBe('');
    const [tracerExports, middlewareExports] = JSON.parse(result.stdout) as string[];
    expect(tracerExports).toContain('Tracer');
    expect(middlewareExports).toContain('captureLambdaHandler');
  });

  it('refuses a deferred package imported statically, naming the importer, since it would load at cold start', async () => {
    const metafile = await bundle("import Stripe from 'stripe';\nexport const handler = async () => typeof Stripe;");
    await expect(bundleDeferredPackages(directory, deployedEsbuildOptions, metafile)).rejects.toThrow(
      /stripe is imported statically \(handler\.ts\)/,
    );
    expect(existsSync(join(directory, 'node_modules'))).toBe(false);
  });
});
