import '../local/runtime/polyfills';
import { parseArgs } from 'node:util';
import { numberOption, runBenchCommand, UsageError } from './lib/cli-options';
import { buildPlan, defaultMix, parseMix, type RequestMix, type Step } from './lib/load-plan';
import { report } from './lib/load-report';
import { runStep, type StepResult } from './lib/load-step';
import { deployedTarget, startOfflineSystem } from './lib/load-target';
import { createProgress } from './lib/progress';
import { formatMs } from './lib/stats';

/**
 * `npm run loadtest`: ramp, steady and spike phases of mixed API traffic (place-order with a unique Idempotency-Key
 * per request, get-order of orders placed during the run, list-products) with autocannon, printing throughput,
 * latency percentiles and error classes per phase.
 *
 * By default it starts the offline system itself (`npm start -- --in-memory` in a child process on free ports, with
 * usage-plan throttling off unless --throttling is given), mints customer tokens through POST /local/token and uses
 * the dev API key. With --url, --token and --api-key it loads any deployed stage instead. docs/load-testing.md has
 * every option.
 */

const usage = `usage: npm run loadtest -- [options]
  --url <stage URL>          load a deployed stage (with --token and --api-key) instead of the offline system
  --token <access token>     a customer's (or partner's) access token for --url
  --api-key <key>            the API key of a usage plan for --url
  --product <id>             product to order (default: the first listed product with stock)
  --payment-token <token>    default pm_card_visa (the sandbox's approval token)
  --ramp <s>                 ramp duration (default 20), climbing in --ramp-steps steps (default 4)
  --steady <s>               steady duration (default 40)
  --spike <s>                spike duration (default 15)
  --connections <n>          steady connections (default 16)
  --spike-connections <n>    spike connections (default 4 × --connections)
  --mix <weights>            default place-order=2,get-order=3,list-products=5
  --timeout <s>              per-request timeout (default 10)
  --customers <n>            offline only: distinct customer tokens (default: spike connections)
  --throttling               offline only: keep the dev usage-plan throttles (429s are then expected)`;

interface Settings {
  readonly url?: string;
  readonly token?: string;
  readonly apiKey?: string;
  readonly product?: string;
  readonly paymentToken: string;
  readonly plan: Step[];
  readonly mix: RequestMix;
  readonly timeoutSeconds: number;
  readonly customers: number;
  readonly throttling: boolean;
}

function parseSettings(argv: readonly string[]): Settings {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        url: { type: 'string' },
        token: { type: 'string' },
        'api-key': { type: 'string' },
        product: { type: 'string' },
        'payment-token': { type: 'string' },
        ramp: { type: 'string' },
        'ramp-steps': { type: 'string' },
        steady: { type: 'string' },
        spike: { type: 'string' },
        connections: { type: 'string' },
        'spike-connections': { type: 'string' },
        mix: { type: 'string' },
        timeout: { type: 'string' },
        customers: { type: 'string' },
        throttling: { type: 'boolean' },
        help: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) throw new UsageError('');
  const connections = Math.round(numberOption('connections', values.connections, 16, 1));
  const spikeConnections = Math.round(
    numberOption('spike-connections', values['spike-connections'], connections * 4, 1),
  );
  const plan = buildPlan({
    rampSeconds: numberOption('ramp', values.ramp, 20, 0),
    rampSteps: Math.round(numberOption('ramp-steps', values['ramp-steps'], 4, 1)),
    steadySeconds: numberOption('steady', values.steady, 40, 0),
    spikeSeconds: numberOption('spike', values.spike, 15, 0),
    connections,
    spikeConnections,
  });
  if (plan.length === 0) throw new UsageError('every phase is 0 s long: nothing to run');
  if (values.url) {
    const missing = [!values.token && '--token', !values['api-key'] && '--api-key'].filter(Boolean);
    if (missing.length > 0) throw new UsageError(`--url needs ${missing.join(' and ')}`);
    let parsed: URL;
    try {
      parsed = new URL(values.url);
    } catch {
      throw new UsageError(`--url is not a URL: "${values.url}"`);
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new UsageError('--url must be http(s)');
    if (values.throttling || values.customers) {
      throw new UsageError('--throttling and --customers apply to the offline system only, not to --url');
    }
  } else if (values.token || values['api-key']) {
    throw new UsageError('--token and --api-key go with --url (offline, tokens are minted and the dev key is used)');
  }
  let mix: RequestMix = defaultMix;
  if (values.mix) {
    try {
      mix = parseMix(values.mix);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  return {
    ...(values.url ? { url: values.url.replace(/\/+$/, '') } : {}),
    ...(values.token ? { token: values.token } : {}),
    ...(values['api-key'] ? { apiKey: values['api-key'] } : {}),
    ...(values.product ? { product: values.product } : {}),
    paymentToken: values['payment-token'] ?? 'pm_card_visa',
    plan,
    mix,
    timeoutSeconds: numberOption('timeout', values.timeout, 10, 1),
    customers: Math.round(numberOption('customers', values.customers, spikeConnections, 1)),
    throttling: values.throttling ?? false,
  };
}

async function main() {
  const settings = parseSettings(process.argv.slice(2));
  const totalSeconds = settings.plan.reduce((sum, step) => sum + step.seconds, 0);
  const progress = createProgress(process.stdout);
  progress.update(
    settings.url ? `checking ${settings.url}...` : 'starting the offline system (npm start --in-memory)...',
  );
  const target = settings.url ? await deployedTarget(settings) : await startOfflineSystem(settings);
  progress.done();
  const results: StepResult[] = [];
  try {
    console.log(`Load test — ${new Date().toISOString()}, node ${process.version}`);
    console.log(`target: ${target.description}`);
    console.log(
      `mix: ${Object.entries(settings.mix)
        .map(([kind, weight]) => `${kind} ${weight}`)
        .join(', ')} (weights); product ${target.productId}, payment token ${settings.paymentToken}; ` +
        `${settings.plan.length} steps, ${totalSeconds.toFixed(0)} s in total\n`,
    );
    const placed: { orderId: string; customer: number }[] = [];
    for (const step of settings.plan) {
      if (results.at(-1)?.interrupted) break;
      results.push(await runStep(target, settings, step, placed, (text) => progress.update(text)));
      progress.done();
      const last = results.at(-1)!;
      console.log(
        `${step.label.padEnd(10)} done: ${last.result.requests.total} requests, ` +
          `${(last.result.requests.total / Math.max(last.result.duration, 0.001)).toFixed(1)} req/s, p99 ${formatMs(last.result.latency.p99)}`,
      );
    }
  } finally {
    progress.done();
    await target.stop();
  }
  console.log('');
  report(results);
}

runBenchCommand(main, usage);
