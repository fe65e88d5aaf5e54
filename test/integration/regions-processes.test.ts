import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { startStripeSandbox, type StripeSandbox } from '../../local/emulators/stripe-sandbox';
import type { RecordedEvent } from '../../local/emulators/aws-services';
import { regionCredentials } from '../../local/regions/credentials';
import { startFailoverRouter, type FailoverRouter } from '../../local/regions/failover-router';
import { startReplicator, type Replicator } from '../../local/regions/replicator';
import { startRegion, type RegionProcesses } from '../../local/regions/region';
import { localWebhookSecret } from '../../local/runtime/local-runtime';
import { orderRequest } from '../helpers/fixtures';
import { rulesOnlyRiskModelFile } from '../helpers/local-system';

/**
 * Two offline regions as real processes (each its DynamoDB Local on disk and its runtime process), one payment
 * sandbox, the replicator between them and the failover router in front, as the drill composes them: an order taken
 * in A is readable in B with the same token and is not announced again by B; A dies by SIGKILL with its JVM, the
 * router moves the traffic to B, and A comes back on the same data and ports.
 */

jest.setTimeout(240_000);

const primaryRegion = 'us-east-1';
const standbyRegion = 'us-west-2';
let directory: string;
let payments: StripeSandbox;
let regionA: RegionProcesses | undefined;
let regionB: RegionProcesses | undefined;
let replicator: Replicator | undefined;
let router: FailoverRouter | undefined;
let headers: Record<string, string>;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'regions-'));
  payments = await startStripeSandbox({ port: 0, apiKey: 'sk_test_regions' });
  const keyFile = join(directory, 'signing-key.pem');
  const common = {
    primaryRegion,
    standbyRegions: [standbyRegion],
    payments: { url: payments.url, apiKey: 'sk_test_regions' },
    tokenSigningKeyFile: keyFile,
    schedules: false,
    runtime: { throttling: false as const, riskModelFile: rulesOnlyRiskModelFile, retryIntervalMs: 5 },
  };
  [regionA, regionB] = await Promise.all([
    startRegion({ ...common, name: 'A', region: primaryRegion, dataDir: join(directory, primaryRegion) }),
    // The catalog reaches B by replication.
    startRegion({ ...common, name: 'B', region: standbyRegion, dataDir: join(directory, standbyRegion), seed: false }),
  ]);
  replicator = startReplicator({ regions: [regionA, regionB] });
  router = await startFailoverRouter({
    primary: { name: primaryRegion, url: regionA.apiUrl },
    secondary: { name: standbyRegion, url: regionB.apiUrl },
    intervalMs: 200,
    failureThreshold: 2,
    // Any region that is up: promotion (which makes B pass the default "role":"active") is not part of this test.
    searchString: '"status":"ready"',
  });
  // Stripe calls the one hostname.
  payments.setWebhookEndpoint({ url: `${router.url}/webhooks/stripe`, secret: localWebhookSecret });
  const credentials = regionCredentials(keyFile);
  headers = {
    'x-api-key': credentials.apiKey(),
    authorization: `Bearer ${credentials.customerToken('alice')}`,
    'content-type': 'application/json',
  };
});
afterAll(async () => {
  await router?.stop();
  await replicator?.stop();
  await Promise.all([regionA?.stop(), regionB?.stop()]);
  await payments?.stop();
  await rm(directory, { recursive: true, force: true });
});

function listening(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function orderEvents(apiUrl: string, orderId: string) {
  const { events } = (await (await fetch(`${apiUrl}/local/events`)).json()) as { events: RecordedEvent[] };
  return events.filter((event) => (event.detail as { data?: { orderId?: string } }).data?.orderId === orderId);
}

let orderId: string;

test('an order taken in A through the router is readable in B with the same token, and B does not announce it', async () => {
  const placed = await fetch(`${router!.url}/orders`, {
    method: 'POST',
    headers,
    body: JSON.stringify(
      orderRequest({ items: [{ productId: 'prod_espresso_beans', quantity: 1 }], paymentToken: 'pm_card_visa' }),
    ),
  });
  expect(placed.status).toBe(202);
  expect(placed.headers.get('x-failover-target')).toBe(primaryRegion);
  ({ orderId } = (await placed.json()) as { orderId: string });
  let status = '';
  for (const deadline = Date.now() + 30_000; Date.now() < deadline && status !== 'CONFIRMED';) {
    const read = await fetch(`${router!.url}/orders/${orderId}`, { headers });
    status = ((await read.json()) as { status: string }).status;
    if (status !== 'CONFIRMED') await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(status).toBe('CONFIRMED');
  expect(payments.paymentIntents().some((intent) => intent.metadata.orderId === orderId)).toBe(true);

  await replicator!.drained(primaryRegion, standbyRegion);
  const inB = await fetch(`${regionB!.apiUrl}/orders/${orderId}`, { headers });
  expect(inB.status).toBe(200);
  expect(await inB.json()).toMatchObject({ orderId, status: 'CONFIRMED' });
  // A's relay published the order's events; B's relay passes over the copies (their eventRegion is A's).
  expect((await orderEvents(regionA!.apiUrl, orderId)).length).toBeGreaterThan(0);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  expect(await orderEvents(regionB!.apiUrl, orderId)).toEqual([]);
  const client = new DynamoDBClient({
    endpoint: regionB!.dynamoDbEndpoint,
    region: standbyRegion,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const { Items = [] } = await DynamoDBDocumentClient.from(client).send(
      new ScanCommand({ TableName: regionB!.tableName, FilterExpression: 'attribute_exists(eventRegion)' }),
    );
    expect(new Set(Items.map((item) => item.eventRegion))).toEqual(new Set([primaryRegion]));
  } finally {
    client.destroy();
  }
});

test('A dies by SIGKILL with its JVM, the router moves to B, and A restarts with its data', async () => {
  const { runtime, dynamoDb } = regionA!.pids();
  expect(runtime).toBeDefined();
  expect(dynamoDb).toBeDefined();
  await regionA!.kill();
  expect(alive(runtime!)).toBe(false);
  expect(alive(dynamoDb!)).toBe(false);
  expect(regionA!.pids()).toEqual({ runtime: undefined, dynamoDb: undefined });
  expect(await listening(regionA!.apiUrl)).toBe(false);
  expect(await listening(regionA!.dynamoDbEndpoint)).toBe(false);

  for (const deadline = Date.now() + 10_000; router!.activeTarget().name !== standbyRegion;) {
    if (Date.now() > deadline) throw new Error('the router did not fail over within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(router!.events).toEqual([expect.objectContaining({ from: primaryRegion, to: standbyRegion })]);
  const viaRouter = await fetch(`${router!.url}/orders/${orderId}`, { headers });
  expect(viaRouter.status).toBe(200);
  expect(viaRouter.headers.get('x-failover-target')).toBe(standbyRegion);

  // Back as a standby comes back: the catalog is there already, and nothing runs before the replicator has read
  // what A wrote before it died (the drill fences A at that point).
  let caughtUpBeforeRuntime = false;
  await regionA!.restart({
    seed: false,
    beforeRuntime: async ({ dynamoDbEndpoint }) => {
      expect(dynamoDbEndpoint).toBe(regionA!.dynamoDbEndpoint);
      await replicator!.caughtUp(primaryRegion);
      caughtUpBeforeRuntime = regionA!.pids().runtime === undefined;
    },
  });
  expect(caughtUpBeforeRuntime).toBe(true);
  expect(regionA!.pids().dynamoDb).not.toBe(dynamoDb);
  const again = await fetch(`${regionA!.apiUrl}/orders/${orderId}`, { headers });
  expect(again.status).toBe(200);
  expect(await again.json()).toMatchObject({ orderId, status: 'CONFIRMED' });
  await replicator!.drained(primaryRegion, standbyRegion);
  expect(replicator!.stats.regions[primaryRegion]!.downSince).toBeUndefined();
});
