import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../functions/core/data/table-design';
import { failoverLeftover } from '../../functions/core/use-cases/jobs/recover-orders';
import { fenceRegion, promote, type PromotionReport, type RegionTable } from '../commands/lib/region-control';
import { reconcileRunningSystem } from '../commands/lib/reconciliation';
import { startStripeSandbox } from '../emulators/stripe-sandbox';
import { regionCredentials } from '../regions/credentials';
import { startFailoverRouter } from '../regions/failover-router';
import { startRegion, type RegionProcesses } from '../regions/region';
import { startReplicator } from '../regions/replicator';

/**
 * The regional failover drill (docs/failover-drill.md): two offline regions as real processes, a replicator between
 * their DynamoDB Locals with a chosen lag, a failover router in front. It places orders at a steady rate through the
 * router, kills the primary (SIGKILL of its runtime and its DynamoDB Local), promotes the standby with the region
 * command's code, keeps placing orders, brings the old primary back as a standby (fenced before it serves), lets
 * replication catch up, fails back, and then checks what the failover cost.
 */

export interface DrillOptions {
  /** Replication lag of the run. */
  readonly lagMs: number;
  /** Orders placed per second, all phases. */
  readonly ratePerSecond?: number;
  /** How long orders are placed before the kill, and after the promotion. */
  readonly beforeKillMs?: number;
  readonly afterPromotionMs?: number;
  /** Units of the scarce product: fewer than the orders that want one, so it sells out after the promotion. */
  readonly scarceStock?: number;
  /** Keep the data directories (for a look afterwards). */
  readonly keepData?: boolean;
  readonly log?: (line: string) => void;
}

export interface DrillReport {
  readonly lagMs: number;
  /** First write refused or unanswered after the kill → first write the promoted region accepted. */
  readonly recoveryTimeMs: number;
  /** Kill → the router marked the primary unhealthy (health check interval × threshold). */
  readonly detectionMs: number;
  readonly promotion: PromotionReport;
  readonly failback: PromotionReport;
  /** Orders the primary acknowledged (202) before the kill, and how many of them exist after failback. */
  readonly ackedBeforeKill: number;
  readonly ackedBeforeKillFound: number;
  readonly missing: readonly string[];
  readonly acked: number;
  readonly orders: { readonly total: number; readonly byStatus: Readonly<Record<string, number>> };
  /** Orders the old primary left holding stock, found after the failover: flagged for an operator. */
  readonly leftovers: number;
  /** Units promised to orders beyond the stock, counted by the drill from the orders themselves. */
  readonly oversoldByDrill: number;
  /** The same, as reconciliation finds it from holds and counters; and its violations. */
  readonly oversoldByReconciliation: number;
  readonly reconciliationViolations: number;
  readonly violationRules: readonly string[];
  /** `inventory.oversold` events the reconciliation job published in the active region. */
  readonly oversoldEvents: number;
  readonly replication: Record<string, { applied: number; droppedOlder: number; maxLatencyMs: number }>;
  readonly durationMs: number;
}

const east = 'us-east-1';
const west = 'us-west-2';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Statuses in which an order holds stock (held or sold). */
const holdingStatuses = new Set(['RESERVED', 'AUTHORIZED', 'CONFIRMED', 'FULFILLED', 'ACTION_REQUIRED', 'REVIEW']);
const terminalStatuses = new Set(['CONFIRMED', 'FULFILLED', 'FAILED', 'CANCELLED']);

interface Placement {
  readonly key: string;
  readonly productId: string;
  readonly firstAttemptAt: number;
  orderId?: string;
  ackedAt?: number;
  ackedBy?: string;
}

export async function runFailoverDrill(options: DrillOptions): Promise<DrillReport> {
  const log = options.log ?? (() => undefined);
  const rate = options.ratePerSecond ?? 4;
  const started = Date.now();
  const root = mkdtempSync(join(tmpdir(), 'failover-drill-'));
  const keyFile = join(root, 'token-signing-key.pem');
  const stops: (() => Promise<void>)[] = [];
  const clients: DynamoDBClient[] = [];
  try {
    const payments = await startStripeSandbox({ port: 0, apiKey: 'sk_test_drill' });
    stops.push(() => payments.stop());
    const regionOptions = (region: string, name: string, seed: boolean) => ({
      name,
      region,
      primaryRegion: east,
      standbyRegions: [west],
      dataDir: join(root, name),
      payments: { url: payments.url, apiKey: payments.apiKey },
      tokenSigningKeyFile: keyFile,
      seed,
      schedules: false,
      runtime: {
        throttling: false as const,
        logLevel: 'ERROR',
        retryIntervalMs: 50,
      },
    });
    // The replicator first: the standby's table is created when its runtime starts, and gets everything by replication.
    const a = await startRegion(regionOptions(east, 'A', false));
    stops.push(() => a.stop());
    const b = await startRegion(regionOptions(west, 'B', false));
    stops.push(() => b.stop());
    const replicator = startReplicator({
      regions: [
        { region: east, dynamoDbEndpoint: a.dynamoDbEndpoint },
        { region: west, dynamoDbEndpoint: b.dynamoDbEndpoint },
      ],
      lagMs: 0,
      pollMs: 20,
    });
    stops.push(() => replicator.stop());
    const router = await startFailoverRouter({
      primary: { name: east, url: a.apiUrl },
      secondary: { name: west, url: b.apiUrl },
      intervalMs: 250,
      failureThreshold: 2,
      timeoutMs: 1000,
    });
    stops.push(() => router.stop());
    const tables: RegionTable[] = [a, b].map((region) => {
      const client = new DynamoDBClient({
        region: region.region,
        endpoint: region.dynamoDbEndpoint,
        maxAttempts: 2,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      clients.push(client);
      return { region: region.region, tableName: region.tableName, client: DynamoDBDocumentClient.from(client) };
    });
    const credentials = regionCredentials(keyFile);
    const api = apiClient(router.url, credentials.apiKey());
    log(`regions up: A ${east} ${a.apiUrl}, B ${west} ${b.apiUrl}, router ${router.url}, lag ${options.lagMs} ms`);

    // The drill's own products: one scarce (it sells out after the promotion), one plentiful.
    const admin = credentials.adminToken();
    const scarce = `drill_scarce_${randomUUID().slice(0, 8)}`;
    const plentiful = `drill_plenty_${randomUUID().slice(0, 8)}`;
    // Every other order wants one scarce unit. A third more than the orders before the kill want: it lasts until the
    // kill and sells out after the promotion, so units the old primary took but had not replicated are sold twice.
    const scarceBeforeKill = (rate * (options.beforeKillMs ?? 6000)) / 1000 / 2;
    const stock = new Map([
      [scarce, options.scarceStock ?? Math.ceil(scarceBeforeKill * 1.3) + 1],
      [plentiful, 100_000],
    ]);
    for (const [productId, initialStock] of stock) {
      const created = await api('POST', '/products', admin, {
        productId,
        name: `Drill ${productId}`,
        price: { amount: 1000, currency: 'EUR' },
        initialStock,
      });
      if (created.status !== 201) throw new Error(`creating ${productId} answered ${created.status}`);
    }
    await replicator.drained(east, west, 30_000);
    replicator.setLag(options.lagMs);

    // Steady load through the router: each order keeps its Idempotency-Key across retries, as a real client does.
    const placements: Placement[] = [];
    const attempts: { at: number; ok: boolean; status: number; target?: string }[] = [];
    let placing = true;
    const inFlight = new Set<Promise<void>>();
    const placeOne = async (index: number) => {
      const productId = index % 2 === 0 ? scarce : plentiful;
      const entry: Placement = { key: randomUUID(), productId, firstAttemptAt: Date.now() };
      placements.push(entry);
      const token = credentials.customerToken(`drill-customer-${index % 97}`);
      while (placing || Date.now() - entry.firstAttemptAt < 60_000) {
        const answer = await api(
          'POST',
          '/orders',
          token,
          {
            items: [{ productId, quantity: 1 }],
            paymentToken: 'pm_card_visa',
            contactEmail: 'drill.customer@example.com',
            shippingAddress: {
              name: 'Drill Customer',
              line1: 'Failoverweg 1',
              city: 'Berlin',
              postalCode: '10115',
              country: 'DE',
            },
          },
          { 'idempotency-key': entry.key },
        ).catch(() => ({ status: 0, body: {} as Record<string, unknown>, target: undefined }));
        attempts.push({
          at: Date.now(),
          ok: answer.status === 202,
          status: answer.status,
          ...(answer.target ? { target: answer.target } : {}),
        });
        if (answer.status === 202) {
          entry.orderId = String(answer.body.orderId);
          entry.ackedAt = Date.now();
          if (answer.target) entry.ackedBy = answer.target;
          return;
        }
        // A refusal of the request itself is final; an outage (no answer, 5xx, 429) is retried with the same key.
        const retryable = answer.status === 0 || answer.status === 429 || answer.status >= 500;
        if (!retryable || !placing) return;
        await sleep(300);
      }
    };
    let index = 0;
    const loader = (async () => {
      const interval = 1000 / rate;
      while (placing) {
        const task = placeOne(index++).finally(() => inFlight.delete(task));
        inFlight.add(task);
        await sleep(interval);
      }
    })();

    await sleep(options.beforeKillMs ?? 6000);
    const killAt = Date.now();
    await a.kill();
    log(
      `killed A (runtime and DynamoDB Local) after ${placements.filter((p) => p.ackedAt).length} acknowledged orders`,
    );
    const ackedBeforeKill = placements.filter((entry) => entry.ackedAt !== undefined && entry.ackedAt < killAt);

    // Detection, as Route 53 would: the router's health check marks A unhealthy; then the operator promotes B.
    while (router.healthy(east)) await sleep(50);
    const detectedAt = Date.now();
    /**
     * What the operator does (`npm run region -- promote`), then the promoted region's recovery job at once, and the
     * wait for the router's health checks to see the new role.
     */
    const switchTo = async (region: RegionProcesses, label: string) => {
      const report = await promote({
        to: region.region,
        tables,
        primaryRegion: east,
        drained: async (from, to) => replicator.drained(from, to, 60_000).then(() => 'drained' as const),
        log: (line) => log(`${label}: ${line}`),
      });
      await runJob(region.apiUrl, 'recover-orders');
      while (router.activeTarget().name !== region.region) await sleep(50);
      return report;
    };
    const promotion = await switchTo(b, 'promote');
    log(`B is active (epoch ${promotion.epoch}); the router sends traffic to it`);
    await sleep(options.afterPromotionMs ?? 6000);

    // The load stops (acknowledged or given up), then the old primary comes back as a standby: its DynamoDB first,
    // fenced, then its runtime.
    placing = false;
    await loader;
    await Promise.all([...inFlight]);

    await a.restart({
      seed: false,
      beforeRuntime: async () => {
        // Its backlog read first (stamped as written before the outage), then the newest role written into it.
        await replicator.caughtUp(east, 60_000);
        await fenceRegion(east, tables, east, (line) => log(`fence: ${line}`));
      },
    });
    log('A is back as a standby; replicating its backlog');
    await replicator.drained(east, west, 120_000);
    await replicator.drained(west, east, 120_000);

    // B's recovery sees the old primary's late arrivals: those holding stock are flagged, not resumed.
    await runJob(b.apiUrl, 'recover-orders');
    await settle(tables[1]!, placements, 60_000);
    replicator.setLag(0);
    await replicator.drained(west, east, 60_000);

    const failback = await switchTo(a, 'failback');
    await settle(tables[0]!, placements, 60_000);
    await replicator.drained(east, west, 60_000);
    log(`failed back to A (epoch ${failback.epoch})`);

    // What the failover cost, in the active region after failback.
    const final = tables[0]!;
    const missing: string[] = [];
    for (const entry of ackedBeforeKill) {
      const { Item } = await final.client.send(
        new GetCommand({ TableName: final.tableName, Key: keys.order(entry.orderId!), ConsistentRead: true }),
      );
      if (!Item) missing.push(entry.orderId!);
    }
    const orders = await drillOrders(final, new Set(stock.keys()));
    const byStatus: Record<string, number> = {};
    for (const order of orders) byStatus[order.status] = (byStatus[order.status] ?? 0) + 1;
    const promised = new Map<string, number>();
    for (const order of orders) {
      if (!holdingStatuses.has(order.status)) continue;
      for (const line of order.items) promised.set(line.productId, (promised.get(line.productId) ?? 0) + line.quantity);
    }
    const oversoldByDrill = [...stock].reduce(
      (sum, [productId, units]) => sum + Math.max(0, (promised.get(productId) ?? 0) - units),
      0,
    );
    const reconciliation = await reconcileRunningSystem(
      {
        dynamoDbEndpoint: a.dynamoDbEndpoint,
        tableName: a.tableName,
        payments: { url: payments.url, apiKey: payments.apiKey },
      },
      { confirmDelayMs: undefined },
    );
    await runJob(a.apiUrl, 'reconcile');
    const oversoldEvents = await publishedEvents(a.apiUrl, 'inventory.oversold', reconciliation.oversold.length);

    const failedWrites = attempts.filter((attempt) => attempt.at >= killAt && !attempt.ok);
    const firstFailure = failedWrites[0]?.at ?? killAt;
    const firstAcceptedByB = attempts.find(
      (attempt) => attempt.at >= firstFailure && attempt.ok && attempt.target === west,
    );
    const replication = Object.fromEntries(
      Object.entries(replicator.stats.directions).map(([direction, stats]) => [
        direction,
        { applied: stats.applied, droppedOlder: stats.droppedOlder, maxLatencyMs: stats.maxLatencyMs },
      ]),
    );
    return {
      lagMs: options.lagMs,
      recoveryTimeMs: (firstAcceptedByB?.at ?? Date.now()) - firstFailure,
      detectionMs: detectedAt - killAt,
      promotion,
      failback,
      ackedBeforeKill: ackedBeforeKill.length,
      ackedBeforeKillFound: ackedBeforeKill.length - missing.length,
      missing,
      acked: placements.filter((entry) => entry.ackedAt !== undefined).length,
      orders: { total: orders.length, byStatus },
      leftovers: orders.filter((order) => order.attention === failoverLeftover).length,
      oversoldByDrill,
      oversoldByReconciliation: reconciliation.counts.oversoldUnits,
      reconciliationViolations: reconciliation.violations.length,
      violationRules: reconciliation.violations.map(
        (violation) => `${violation.rule} ${violation.ids.join(' ')}: ${violation.detail}`,
      ),
      oversoldEvents,
      replication,
      durationMs: Date.now() - started,
    };
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    for (const client of clients) client.destroy();
    if (!options.keepData) rmSync(root, { recursive: true, force: true });
  }
}

/** The checks of one run: what must hold for the drill to pass. */
export function verdicts(report: DrillReport): { readonly check: string; readonly passed: boolean }[] {
  return [
    {
      check: `every order acknowledged before the kill exists after failback (${report.ackedBeforeKillFound}/${report.ackedBeforeKill})`,
      passed: report.missing.length === 0 && report.ackedBeforeKill > 0,
    },
    report.lagMs === 0
      ? {
          check: `no reconciliation violation after failback (${report.reconciliationViolations})`,
          passed: report.reconciliationViolations === 0,
        }
      : {
          check:
            `oversold units: drill ${report.oversoldByDrill} = reconciliation ${report.oversoldByReconciliation}` +
            ` (operational events ${report.oversoldEvents})`,
          passed:
            report.oversoldByDrill === report.oversoldByReconciliation &&
            (report.oversoldByDrill === 0) === (report.oversoldEvents === 0),
        },
  ];
}

function apiClient(baseUrl: string, apiKey: string) {
  return async (
    method: string,
    path: string,
    token: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: Record<string, unknown>; target: string | undefined }> => {
    const response = await fetch(new URL(path, baseUrl), {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        'x-api-key': apiKey,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      target: response.headers.get('x-failover-target') ?? undefined,
    };
  };
}

/**
 * How many events of `type` the region's bus received: the outbox relay publishes them shortly after the job wrote
 * them, so this waits (up to a few seconds) for at least `expected`.
 */
async function publishedEvents(apiUrl: string, type: string, expected: number): Promise<number> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const { events } = (await fetch(new URL('/local/events', apiUrl)).then((response) => response.json())) as {
      events: { detailType?: string }[];
    };
    const count = events.filter((event) => event.detailType === type).length;
    if (count >= expected || Date.now() > deadline) return count;
    await sleep(200);
  }
}

async function runJob(apiUrl: string, job: string): Promise<unknown> {
  const response = await fetch(new URL(`/local/jobs/${job}`, apiUrl), { method: 'POST' });
  if (!response.ok) throw new Error(`job ${job} answered ${response.status}`);
  return response.json();
}

interface DrillOrder {
  readonly orderId: string;
  readonly status: string;
  readonly items: readonly { readonly productId: string; readonly quantity: number }[];
  readonly attention?: string;
}

/** Every order of the drill's products in `table` (a Scan: the drill is an operator's tool, not a request path). */
async function drillOrders(table: RegionTable, products: ReadonlySet<string>): Promise<DrillOrder[]> {
  const orders: DrillOrder[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await table.client.send(
      new ScanCommand({
        TableName: table.tableName,
        ConsistentRead: true,
        FilterExpression: 'SK = :order',
        ExpressionAttributeValues: { ':order': 'ORDER' },
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      const items = item.items as { productId: string; quantity: number }[];
      if (!items.some((line) => products.has(line.productId))) continue;
      const attention = (item.attention as { reason?: string } | undefined)?.reason;
      orders.push({
        orderId: String(item.orderId),
        status: String(item.status),
        items,
        ...(attention ? { attention } : {}),
      });
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return orders;
}

/** Waits until every acknowledged order is terminal, or flagged for an operator, in `table`. */
async function settle(table: RegionTable, placements: readonly Placement[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const ids = placements.flatMap((entry) => (entry.orderId ? [entry.orderId] : []));
  while (Date.now() < deadline) {
    let open = 0;
    for (const orderId of ids) {
      const { Item } = await table.client.send(
        new GetCommand({ TableName: table.tableName, Key: keys.order(orderId), ConsistentRead: true }),
      );
      if (Item && !terminalStatuses.has(String(Item.status)) && !Item.attention) open++;
    }
    if (open === 0) return;
    await sleep(500);
  }
}
