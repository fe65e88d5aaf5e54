/**
 * Run by every function's bundling after esbuild has written the bundle (order-function.ts, `afterBundling`):
 * `node --import tsx stacks/constructs/bundle-deferred-packages.ts <asset directory> <esbuild options as JSON>`.
 * Kept apart from the construct so that it loads esbuild only, not the CDK.
 */
import type { BuildOptions } from 'esbuild';
import { bundleDeferredPackages, takeBundleMetafile } from './deferred-packages';

const [outputDir, optionsJson] = process.argv.slice(2);
if (!outputDir || !optionsJson) {
  process.stderr.write('usage: bundle-deferred-packages.ts <asset directory> <esbuild options as JSON>\n');
  process.exit(2);
}
Promise.resolve()
  .then(() => bundleDeferredPackages(outputDir, JSON.parse(optionsJson) as BuildOptions, takeBundleMetafile(outputDir)))
  .catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
