import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { startStripeSandbox, type StripeSandbox } from '../../local/emulators/stripe-sandbox';
import { regionCredentials } from '../../local/regions/credentials';
import { startRegion, type RegionProcesses } from '../../local/regions/region';
import { localWebhookSecret } from '../../local/runtime/local-runtime';
import { orderRequest } from '../helpers/fixtures';
import { rulesOnlyRiskModelFile } from '../helpers/local-system';

/**
 * One offline region as real processes (DynamoDB Local on disk, the runtime process) against a payment sandbox this
 * test runs, as the drill does: it takes an order with a token minted from the shared key, dies by SIGKILL with its
 * JVM, and comes back on the same data and ports.
 */

jest.setTimeout(240_000);

let directory: string;
let payments: StripeSandbox;
let region: RegionProcesses | undefined;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'region-'));
  payments = await startStripeSandbox({ port: 0, apiKey: 'sk_test_regions' });
});
afterAll(async () => {
  await region?.stop();
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

test('a region starts, takes an order, dies by SIGKILL with its JVM, and restarts with its data', async () => {
  const keyFile = join(directory, 'signing-key.pem');
  region = await startRegion({
    name: 'B',
    region: 'us-west-2',
    dataDir: join(directory, 'us-west-2'),
    payments: { url: payments.url, apiKey: 'sk_test_regions' },
    tokenSigningKeyFile: keyFile,
    schedules: false,
    runtime: { throttling: false, riskModelFile: rulesOnlyRiskModelFile, retryIntervalMs: 5 },
  });
  payments.setWebhookEndpoint({ url: `${region.apiUrl}/webhooks/stripe`, secret: localWebhookSecret });
  const credentials = regionCredentials(keyFile);
  const headers = {
    'x-api-key': credentials.apiKey(),
    authorization: `Bearer ${credentials.customerToken('alice')}`,
    'content-type': 'application/json',
  };
  expect((await fetch(`${region.apiUrl}/health/ready`)).status).toBe(200);

  const placed = await fetch(`${region.apiUrl}/orders`, {
    method: 'POST',
    headers,
    body: JSON.stringify(
      orderRequest({ items: [{ productId: 'prod_espresso_beans', quantity: 1 }], paymentToken: 'pm_card_visa' }),
    ),
  });
  expect(placed.status).toBe(202);
  const { orderId } = (await placed.json()) as { orderId: string };
  let status = '';
  for (const deadline = Date.now() + 30_000; Date.now() < deadline && status !== 'CONFIRMED';) {
    const read = await fetch(`${region.apiUrl}/orders/${orderId}`, { headers });
    status = ((await read.json()) as { status: string }).status;
    if (status !== 'CONFIRMED') await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(status).toBe('CONFIRMED');
  // The shared provider took the payment, and the region's events carry its name.
  expect(payments.paymentIntents().some((intent) => intent.metadata?.orderId === orderId)).toBe(true);
  const client = new DynamoDBClient({
    endpoint: region.dynamoDbEndpoint,
    region: 'us-west-2',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const { Items = [] } = await DynamoDBDocumentClient.from(client).send(
      new ScanCommand({ TableName: region.tableName, FilterExpression: 'attribute_exists(eventRegion)' }),
    );
    expect(Items.length).toBeGreaterThan(0);
    expect(new Set(Items.map((item) => item.eventRegion))).toEqual(new Set(['us-west-2']));
  } finally {
    client.destroy();
  }

  const { runtime, dynamoDb } = region.pids();
  expect(runtime).toBeDefined();
  expect(dynamoDb).toBeDefined();
  await region.kill();
  expect(alive(runtime!)).toBe(false);
  expect(alive(dynamoDb!)).toBe(false);
  expect(region.pids()).toEqual({ runtime: undefined, dynamoDb: undefined });
  expect(await listening(region.apiUrl)).toBe(false);
  expect(await listening(region.dynamoDbEndpoint)).toBe(false);

  await region.restart();
  expect(region.pids().dynamoDb).not.toBe(dynamoDb);
  const again = await fetch(`${region.apiUrl}/orders/${orderId}`, { headers });
  expect(again.status).toBe(200);
  expect(await again.json()).toMatchObject({ orderId, status: 'CONFIRMED' });
});
