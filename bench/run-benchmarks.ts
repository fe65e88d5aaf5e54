import '../local/runtime/polyfills';
// In this order: the functions' shared Powertools instances are created as in the deployed functions.
import './lib/powertools-environment';
import '../functions/core/observability/powertools';
import { cpus, loadavg } from 'node:os';
import { projectRoot } from '../local/runtime/local-runtime';
import { modelFigures } from '../ml/model-figures';
import { parseSettings, partNames } from './lib/benchmark-settings';
import { UsageError } from './lib/cli-options';
import { coldStart } from './lib/cold-start-figures';
import { cost } from './lib/cost-figures';
import { deployedFunctions } from './lib/deployed-functions';
import { startInstrumentedSystem } from './lib/instrumented-system';
import { measurePerOrder, type PerOrderResult } from './lib/per-order-figures';
import { costedEnvironment } from './lib/powertools-environment';
import { createProgress } from './lib/progress';
import { throughput } from './lib/throughput-figures';
import { webhookFigures } from './lib/webhook-figures';

/**
 * `npm run bench`: every offline performance and cost figure of the project in one run, each next to a baseline
 * measured in the same run (the machine is shared and noisy: compare ratios, not absolute numbers).
 *   1. cold-start   per function: minified bundle size and module init time, next to an empty handler
 *   2. per-order    latency, DynamoDB requests and capacity, round trips per API call, state transitions, Lambda
 *                   invocations and durations, events and log bytes per order; WRU per order by write with the
 *                   reason each write exists, and item sizes per kind
 *   3. throughput   orders per second from POST to terminal state at fixed concurrencies, next to the raw DynamoDB
 *                   Local request rate divided by the DynamoDB requests an order needs
 *   4. cost         cost per 1,000,000 orders from those counts and bench/prices.json; memory sizing per function
 *                   (measured duration × price at three memory sizes, a CPU-share model)
 *   5. models       the fraud model and the demand forecast on generated data (docs/models.md)
 *   6. webhooks     events per order, and the latency from a state change to its webhook's receipt (p50/p99)
 * Options: --quick (shorter run), --only <parts> (comma-separated), --concurrency 8,32, --duration <s>,
 * --orders <n>, --spawns <n>. bench/README.md explains each figure and its caveats.
 */

function loadLine(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(' / ');
}

async function main() {
  const settings = parseSettings(process.argv.slice(2));
  const startedAt = performance.now();
  const cpu = cpus();
  console.log(
    `Offline benchmarks — ${new Date().toISOString()}, node ${process.version}, ${cpu.length} cores (${cpu[0]?.model ?? 'unknown CPU'})` +
      `\nparts: ${[...settings.parts].join(', ')}${settings.quick ? ' (--quick)' : ''}; load average (1/5/15 min) at start: ${loadLine()}`,
  );

  const needsDeployed = settings.parts.has('cold-start') || settings.parts.has('cost');
  const deployed = needsDeployed ? deployedFunctions(costedEnvironment, projectRoot) : undefined;

  if (settings.parts.has('cold-start')) await coldStart(deployed!, settings);

  let perOrder: PerOrderResult | undefined;
  const usesSystem = ['per-order', 'throughput', 'cost', 'webhooks'] as const;
  if (usesSystem.some((part) => settings.parts.has(part))) {
    const progress = createProgress();
    progress.update('starting the offline system (DynamoDB Local behind the counting proxy)...');
    const logLevel = deployed?.config.logLevel ?? 'INFO';
    const system = await startInstrumentedSystem({ logLevel, productCount: 16 });
    progress.done();
    try {
      // The throughput ratio needs the DynamoDB requests per order even when the per-order part is not printed.
      if (settings.parts.has('per-order') || settings.parts.has('throughput') || settings.parts.has('cost')) {
        perOrder = await measurePerOrder(system, settings, settings.parts.has('per-order'), logLevel);
        if (settings.parts.has('throughput')) await throughput(system, settings, perOrder);
      }
      // Last on this system: its webhook endpoint would otherwise add deliveries to the other parts' figures.
      if (settings.parts.has('webhooks')) await webhookFigures(system, settings);
    } finally {
      await system.stop();
    }
  }

  if (settings.parts.has('cost')) cost(deployed!, perOrder!);

  if (settings.parts.has('models')) modelFigures();

  console.log(
    `\nDone in ${((performance.now() - startedAt) / 1000).toFixed(0)} s; load average at the end: ${loadLine()}` +
      ' (a load above the core count means other work shared the machine).',
  );
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(
      `${error.message}\nusage: npm run bench -- [--quick] [--only ${partNames.join(',')}] [--concurrency 8,32] [--duration <s>] [--orders <n>] [--spawns <n>]`,
    );
    process.exit(2);
  }
  console.error(error);
  process.exit(1);
});
