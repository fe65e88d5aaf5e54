import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { deployedBundleOptions } from '../../bench/lib/cold-start';

const projectRoot = resolve(__dirname, '..', '..');

/**
 * A bundle built like the deployed ones (minified, external source map), whose handler throws from a known line of a
 * TypeScript file: run in plain Node as Lambda runs it now (no --enable-source-maps), its trace must name that line.
 */
describe('lazy source-mapped stack traces (functions/core/observability/stack-traces.ts)', () => {
  let directory: string;
  let bundle: string;
  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'stack-traces-'));
    const entry = join(directory, 'thrower.ts');
    writeFileSync(
      entry,
      [
        `import '${join(projectRoot, 'functions/core/observability/stack-traces')}';`,
        'export function explode(): never {',
        "  throw new TypeError('boom');",
        '}',
        'try { explode(); } catch (error) { console.log((error as Error).stack); }',
        '',
      ].join('\n'),
    );
    bundle = join(directory, 'out', 'index.mjs');
    await build({ ...deployedBundleOptions, entryPoints: [entry], outfile: bundle, absWorkingDir: projectRoot });
  }, 30_000);
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  const run = (environment: Record<string, string>) =>
    spawnSync(process.execPath, [bundle], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...environment } });

  it('maps the frames to the original file and line in Lambda, reading the map only when a trace is formatted', () => {
    const result = run({ AWS_LAMBDA_FUNCTION_NAME: 'probe' });
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toBe('TypeError: boom');
    expect(lines[1]).toMatch(/^ {4}at .*thrower\.ts:3:9\)?$/);
  });

  it('leaves traces alone outside Lambda and when Node maps them itself', () => {
    expect(run({}).stdout).toMatch(/index\.mjs:\d+:\d+/);
    const nodeMapped = run({ AWS_LAMBDA_FUNCTION_NAME: 'probe', NODE_OPTIONS: '--enable-source-maps' }).stdout;
    expect(nodeMapped).toMatch(/thrower\.ts:3:9/);
    expect(nodeMapped).not.toMatch(/index\.mjs:\d+:\d+/);
  });
});
