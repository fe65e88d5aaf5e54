import { join } from 'node:path';
import {
  costPerMillionOrders,
  expressBilledMs,
  lambdaBilledMs,
  loadPriceTable,
  priceTableSchema,
  type CostVariant,
  type OrderUsage,
  type PriceTable,
} from '../../bench/lib/cost-model';

const price = (key: string, usd: number) => ({
  key,
  unit: 'unit',
  usd,
  source: 'test',
  url: 'https://example.com/',
  seen: '2026-11',
});

// Round prices so that every expected figure below can be worked out by hand.
const prices: PriceTable = {
  region: 'us-east-1',
  currency: 'USD',
  prices: [
    price('apigw.rest.request', 4e-6),
    price('waf.request', 1e-6),
    price('lambda.request', 2e-7),
    price('lambda.gbs.arm64', 1e-5),
    price('lambda.gbs.x86', 2e-5),
    price('sfn.express.request', 1e-6),
    price('sfn.express.gbs', 2e-5),
    price('sfn.standard.transition', 2.5e-5),
    price('dynamodb.ondemand.wru', 1e-6),
    price('dynamodb.ondemand.rru', 1e-7),
    price('dynamodb.global.rwru', 1e-6),
    price('eventbridge.custom.event', 1e-6),
    price('eventbridge.archive.gb', 0.1),
    price('cloudwatch.logs.ingest', 0.5),
    price('xray.trace.recorded', 5e-6),
  ],
};

const usage: OrderUsage = {
  apiRequestsPerOrder: 2,
  functions: [
    { name: 'place-order', memoryMb: 512, architecture: 'arm64', invocationsPerOrder: 1, billedMsPerOrder: 100 },
    { name: 'reserve-stock', memoryMb: 1024, architecture: 'arm64', invocationsPerOrder: 2, billedMsPerOrder: 50 },
  ],
  workflows: [
    {
      machine: 'saga',
      executionsPerOrder: 1,
      transitionsPerOrder: 5,
      billedExpressMsPerOrder: 200,
      logBytesAtLevelAllPerOrder: 1024 ** 3 / 1_000_000,
    },
  ],
  dynamoDb: {
    readUnitsPerOrder: 10,
    writeUnitsPerOrder: 40,
    replicatedWriteUnitsPerOrder: 20,
    fenceWriteUnitsPerOrder: 8,
  },
  eventsPerOrder: 2,
  eventBytesPerOrder: 0,
  logBytesPerOrder: { lambdaApplication: 0, lambdaPlatform: 0, apiAccess: 0 },
};

const express: CostVariant = {
  label: 'Express',
  workflowType: 'EXPRESS',
  replicaRegions: 0,
  tracingSampleRate: 0.1,
  workflowLogLevel: 'ALL',
};

const usdOf = (bill: ReturnType<typeof costPerMillionOrders>, item: string, service?: string) =>
  bill.items.find((line) => line.item.startsWith(item) && (service === undefined || line.service === service))?.usd;

describe('cost per 1,000,000 orders', () => {
  it('multiplies each measured quantity by its price', () => {
    const bill = costPerMillionOrders(usage, prices, express);
    expect(usdOf(bill, 'REST API requests')).toBeCloseTo(2e6 * 4e-6); // $8
    expect(usdOf(bill, 'requests inspected')).toBeCloseTo(2);
    expect(usdOf(bill, 'requests', 'Lambda')).toBeCloseTo(3e6 * 2e-7); // 3 invocations per order
    // 0.1 s × 0.5 GB + 0.05 s × 1 GB = 0.1 GB-s per order
    expect(usdOf(bill, 'compute (arm64)')).toBeCloseTo(0.1e6 * 1e-5);
    expect(usdOf(bill, 'Express executions')).toBeCloseTo(1);
    // 0.2 s × 64 MB
    expect(usdOf(bill, 'Express duration')).toBeCloseTo(0.2 * (64 / 1024) * 1e6 * 2e-5);
    expect(usdOf(bill, 'on-demand write')).toBeCloseTo(40);
    expect(usdOf(bill, 'on-demand read')).toBeCloseTo(1);
    expect(usdOf(bill, 'custom events')).toBeCloseTo(2);
    // 1 GB of Express workflow logs per million orders
    expect(usdOf(bill, 'ingestion')).toBeCloseTo(0.5);
    expect(usdOf(bill, 'traces recorded')).toBeCloseTo(2e6 * 0.1 * 5e-6);
    expect(bill.totalUsd).toBeCloseTo(bill.items.reduce((sum, line) => sum + line.usd, 0));
  });

  it('lists line items largest first and leaves out those with no usage', () => {
    const bill = costPerMillionOrders(usage, prices, express);
    const amounts = bill.items.map((line) => line.usd);
    expect(amounts).toEqual([...amounts].sort((a, b) => b - a));
    expect(bill.items.find((line) => line.item === 'archive')).toBeUndefined();
    expect(bill.items.find((line) => line.item.startsWith('replicated'))).toBeUndefined();
  });

  it('bills Standard workflows per state transition, without Express charges', () => {
    const bill = costPerMillionOrders(usage, prices, {
      ...express,
      workflowType: 'STANDARD',
      workflowLogLevel: 'ERROR',
    });
    expect(usdOf(bill, 'Standard state transitions')).toBeCloseTo(5e6 * 2.5e-5); // $125
    expect(usdOf(bill, 'Express executions')).toBeUndefined();
    expect(usdOf(bill, 'ingestion')).toBeUndefined();
  });

  it('bills no workflow logs for a successful run at level ERROR', () => {
    const bill = costPerMillionOrders(usage, prices, { ...express, workflowLogLevel: 'ERROR' });
    expect(usdOf(bill, 'ingestion')).toBeUndefined();
    expect(usdOf(bill, 'Express executions')).toBeCloseTo(1);
  });

  it('adds replicated write units per replica region, and the write fence once', () => {
    const bill = costPerMillionOrders(usage, prices, { ...express, replicaRegions: 2 });
    expect(usdOf(bill, 'replicated write request units')).toBeCloseTo(2 * 20);
    expect(usdOf(bill, 'write fence')).toBeCloseTo(8);
    expect(usdOf(costPerMillionOrders(usage, prices, express), 'write fence')).toBeUndefined();
  });

  it('fails on a price the table does not have', () => {
    const partial = { ...prices, prices: prices.prices.filter((entry) => entry.key !== 'waf.request') };
    expect(() => costPerMillionOrders(usage, partial, express)).toThrow('the price table has no "waf.request"');
  });
});

describe('billing steps', () => {
  it('rounds Lambda durations up to whole milliseconds and Express executions up to 100 ms', () => {
    expect(lambdaBilledMs(0.2)).toBe(1);
    expect(lambdaBilledMs(12.01)).toBe(13);
    expect(expressBilledMs(1)).toBe(100);
    expect(expressBilledMs(100)).toBe(100);
    expect(expressBilledMs(230)).toBe(300);
  });
});

describe('bench/prices.json', () => {
  it('is a valid price table with a source page and date for every price the model uses', () => {
    const table = loadPriceTable(join(__dirname, '..', '..', 'bench', 'prices.json'));
    expect(priceTableSchema.safeParse(table).success).toBe(true);
    expect(() => costPerMillionOrders(usage, table, express)).not.toThrow();
    expect(() =>
      costPerMillionOrders(usage, table, { ...express, workflowType: 'STANDARD', replicaRegions: 1 }),
    ).not.toThrow();
  });
});
