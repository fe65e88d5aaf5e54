import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * Cost per 1,000,000 orders from the usage measured offline (bench/run-benchmarks.ts) and the price table in
 * bench/prices.json. Pure: the same usage and prices always give the same bill; unit-tested in
 * test/unit/bench-cost-model.test.ts. Only costs that grow with orders are modelled; fixed monthly costs (keys,
 * secrets, web ACL and rules, alarms, dashboards, the API cache) and time-based ones (KMS table-key refreshes,
 * Secrets Manager and AppConfig polls per warm function instance) are listed in bench/README.md instead.
 */

const priceEntry = z.object({
  key: z.string().min(1),
  unit: z.string().min(1),
  usd: z.number().nonnegative(),
  detail: z.string().optional(),
  source: z.string().min(1),
  url: z.url(),
  seen: z.string().regex(/^\d{4}(-\d{2})?$/),
});
export const priceTableSchema = z.object({
  region: z.string(),
  currency: z.literal('USD'),
  note: z.string().optional(),
  prices: z.array(priceEntry).min(1),
});
export type PriceTable = z.infer<typeof priceTableSchema>;

export function loadPriceTable(file: string): PriceTable {
  const parsed = priceTableSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file} is not a valid price table: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export function priceOf(table: PriceTable, key: string): number {
  const entry = table.prices.find((price) => price.key === key);
  if (!entry) throw new Error(`the price table has no "${key}"`);
  return entry.usd;
}

/** What one function costs per order: how often it runs and its billed duration (1 ms steps), summed. */
export interface FunctionUsage {
  readonly name: string;
  readonly memoryMb: number;
  readonly architecture: 'arm64' | 'x86_64';
  readonly invocationsPerOrder: number;
  readonly billedMsPerOrder: number;
}

/** One state machine's share of an order. */
export interface WorkflowUsage {
  readonly machine: string;
  readonly executionsPerOrder: number;
  /** States entered plus retries: what a Standard workflow bills. */
  readonly transitionsPerOrder: number;
  /** Execution durations rounded up to 100 ms each, summed: what an Express workflow bills (with 64 MB). */
  readonly billedExpressMsPerOrder: number;
  /** CloudWatch log bytes of an Express workflow logging ALL events with execution data. */
  readonly logBytesAtLevelAllPerOrder: number;
}

export interface OrderUsage {
  /** API Gateway requests per order (each one also a WAF-inspected request and an X-Ray trace root). */
  readonly apiRequestsPerOrder: number;
  readonly functions: readonly FunctionUsage[];
  readonly workflows: readonly WorkflowUsage[];
  readonly dynamoDb: {
    readonly readUnitsPerOrder: number;
    readonly writeUnitsPerOrder: number;
    /** Write units as replicated writes count them (a transactional write replicates as a standard one). */
    readonly replicatedWriteUnitsPerOrder: number;
    /**
     * Write units the write fence adds where the table has replicas: one ConditionCheck (2 WRU) per transaction on
     * the replicated table (docs/regions.md). Not replicated: a ConditionCheck writes nothing.
     */
    readonly fenceWriteUnitsPerOrder: number;
  };
  readonly eventsPerOrder: number;
  readonly eventBytesPerOrder: number;
  readonly logBytesPerOrder: {
    /** Application logs of the functions (Powertools JSON lines) at the environment's log level. */
    readonly lambdaApplication: number;
    /** START / END / REPORT (and XRAY) lines Lambda writes for every invocation. */
    readonly lambdaPlatform: number;
    /** The API stage's access log: one JSON line per request. */
    readonly apiAccess: number;
  };
}

export interface CostVariant {
  readonly label: string;
  readonly workflowType: 'EXPRESS' | 'STANDARD';
  /** Replica regions of the orders table (the idempotency table is never replicated). */
  readonly replicaRegions: number;
  readonly tracingSampleRate: number;
  /**
   * The workflows' log level as deployed (stacks/constructs/order-workflows.ts): at ALL every event of every run is
   * logged with its data; at ERROR a run that succeeds logs nothing.
   */
  readonly workflowLogLevel: 'ALL' | 'ERROR';
}

export interface LineItem {
  readonly service: string;
  readonly item: string;
  /** Units consumed per 1,000,000 orders. */
  readonly quantity: number;
  readonly unit: string;
  readonly usd: number;
}

export interface Bill {
  readonly variant: CostVariant;
  /** Largest first. */
  readonly items: readonly LineItem[];
  readonly totalUsd: number;
}

/** Express workflows are billed in 64 MB memory steps; a saga this size fits the first step. */
export const expressBilledMemoryGb = 64 / 1024;
const gigabyte = 1024 ** 3;
export const orders = 1_000_000;

/** Rounds each execution up to Step Functions Express' 100 ms billing step. */
export function expressBilledMs(durationMs: number): number {
  return Math.max(100, Math.ceil(durationMs / 100) * 100);
}

/** Lambda bills duration in 1 ms steps, at least 1 ms. */
export function lambdaBilledMs(durationMs: number): number {
  return Math.max(1, Math.ceil(durationMs));
}

export function costPerMillionOrders(usage: OrderUsage, prices: PriceTable, variant: CostVariant): Bill {
  const items: LineItem[] = [];
  const add = (service: string, item: string, perOrder: number, unit: string, priceKey: string, divisor = 1) => {
    const quantity = perOrder * orders;
    items.push({ service, item, quantity, unit, usd: (quantity / divisor) * priceOf(prices, priceKey) });
  };

  add('API Gateway', 'REST API requests', usage.apiRequestsPerOrder, 'requests', 'apigw.rest.request');
  add('AWS WAF', 'requests inspected', usage.apiRequestsPerOrder, 'requests', 'waf.request');

  const invocations = usage.functions.reduce((sum, fn) => sum + fn.invocationsPerOrder, 0);
  add('Lambda', 'requests', invocations, 'invocations', 'lambda.request');
  for (const architecture of ['arm64', 'x86_64'] as const) {
    const gbSeconds = usage.functions
      .filter((fn) => fn.architecture === architecture)
      .reduce((sum, fn) => sum + (fn.billedMsPerOrder / 1000) * (fn.memoryMb / 1024), 0);
    if (gbSeconds > 0) {
      add(
        'Lambda',
        `compute (${architecture})`,
        gbSeconds,
        'GB-s',
        architecture === 'arm64' ? 'lambda.gbs.arm64' : 'lambda.gbs.x86',
      );
    }
  }

  if (variant.workflowType === 'EXPRESS') {
    const executions = usage.workflows.reduce((sum, workflow) => sum + workflow.executionsPerOrder, 0);
    const gbSeconds = usage.workflows.reduce(
      (sum, workflow) => sum + (workflow.billedExpressMsPerOrder / 1000) * expressBilledMemoryGb,
      0,
    );
    add('Step Functions', 'Express executions', executions, 'executions', 'sfn.express.request');
    add('Step Functions', 'Express duration (64 MB)', gbSeconds, 'GB-s', 'sfn.express.gbs');
  } else {
    const transitions = usage.workflows.reduce((sum, workflow) => sum + workflow.transitionsPerOrder, 0);
    add('Step Functions', 'Standard state transitions', transitions, 'transitions', 'sfn.standard.transition');
  }

  add('DynamoDB', 'on-demand write request units', usage.dynamoDb.writeUnitsPerOrder, 'WRU', 'dynamodb.ondemand.wru');
  add('DynamoDB', 'on-demand read request units', usage.dynamoDb.readUnitsPerOrder, 'RRU', 'dynamodb.ondemand.rru');
  if (variant.replicaRegions > 0) {
    add(
      'DynamoDB',
      'write fence (a ConditionCheck per transaction)',
      usage.dynamoDb.fenceWriteUnitsPerOrder,
      'WRU',
      'dynamodb.ondemand.wru',
    );
    add(
      'DynamoDB',
      `replicated write request units (${variant.replicaRegions} replica${variant.replicaRegions > 1 ? 's' : ''})`,
      usage.dynamoDb.replicatedWriteUnitsPerOrder * variant.replicaRegions,
      'rWRU',
      'dynamodb.global.rwru',
    );
  }

  add('EventBridge', 'custom events', usage.eventsPerOrder, 'events', 'eventbridge.custom.event');
  add('EventBridge', 'archive', usage.eventBytesPerOrder / gigabyte, 'GB', 'eventbridge.archive.gb');

  // At ALL every event of every run is logged with its data; at ERROR the modelled order (which succeeds) logs none.
  const workflowLogBytes =
    variant.workflowLogLevel === 'ALL'
      ? usage.workflows.reduce((sum, workflow) => sum + workflow.logBytesAtLevelAllPerOrder, 0)
      : 0;
  const logBytes =
    usage.logBytesPerOrder.lambdaApplication +
    usage.logBytesPerOrder.lambdaPlatform +
    usage.logBytesPerOrder.apiAccess +
    workflowLogBytes;
  add(
    'CloudWatch Logs',
    'ingestion (Lambda, API access, workflow)',
    logBytes / gigabyte,
    'GB',
    'cloudwatch.logs.ingest',
  );

  add(
    'X-Ray',
    `traces recorded (${(variant.tracingSampleRate * 100).toFixed(0)} % sampled)`,
    usage.apiRequestsPerOrder * variant.tracingSampleRate,
    'traces',
    'xray.trace.recorded',
  );

  const sorted = items.filter((item) => item.quantity > 0).sort((a, b) => b.usd - a.usd);
  return { variant, items: sorted, totalUsd: sorted.reduce((sum, item) => sum + item.usd, 0) };
}
