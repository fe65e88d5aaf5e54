import '../runtime/polyfills';
import { join } from 'node:path';
import { startLocalRuntime } from '../runtime/local-runtime';
import { removeRuntimeFile, writeRuntimeFile } from '../runtime/runtime-file';
import { readyPrefix, regionProcessOptionsVariable, type RegionProcessOptions } from './region';

/**
 * One offline region's runtime process (gateway, saga runners, outbox relay, jobs), started by `startRegion`
 * (local/regions/region.ts) against the region's own DynamoDB Local, which runs as a separate process so that the two
 * can be killed together. Its options arrive as JSON in REGION_PROCESS_OPTIONS; it prints one `region ready <json>`
 * line once it serves. It exits when its parent does (its stdin closes), as nothing would stop it otherwise.
 */

async function main() {
  const raw = process.env[regionProcessOptionsVariable];
  if (!raw) throw new Error(`${regionProcessOptionsVariable} is not set: start regions with startRegion()`);
  const { runtime: options, runtimeFile } = JSON.parse(raw) as RegionProcessOptions;
  const runtime = await startLocalRuntime(options);
  await writeRuntimeFile(runtime, runtimeFile);

  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await removeRuntimeFile(runtimeFile);
    await runtime.stop();
    process.exit(code);
  };
  process.on('SIGTERM', () => void shutdown(0));
  process.on('SIGINT', () => void shutdown(0));
  // The parent died (or let go): stop at once rather than serve a drill nobody runs.
  process.stdin.on('end', () => process.exit(1));
  process.stdin.resume();

  console.log(
    `${readyPrefix}${JSON.stringify({
      apiUrl: runtime.apiUrl,
      tableName: runtime.tableName,
      region: options.regions?.region,
      resumedOrders: runtime.resumedOrders,
      apiKeys: runtime.apiKeys,
      partners: runtime.partners,
      runtimeFile: join(runtimeFile),
    })}`,
  );
}

main().catch((error: unknown) => {
  console.error('region failed to start:', error);
  process.exit(1);
});
