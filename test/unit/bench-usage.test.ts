import type { DynamoDbRequestRecord } from '../../bench/lib/dynamodb-counting-proxy';
import { dynamoDbTotals, roundTripsPerCall, windowUsage } from '../../bench/lib/usage';

const record = (overrides: Partial<DynamoDbRequestRecord>): DynamoDbRequestRecord => ({
  operation: 'GetItem',
  origin: 'api:getOrder',
  tables: ['orders'],
  status: 200,
  readUnits: {},
  writeUnits: {},
  conditionChecks: 0,
  failedConditionalWrite: false,
  startedAt: 0,
  endedAt: 1,
  ...overrides,
});

describe('DynamoDB totals of a window', () => {
  it('sums reported units and adds what DynamoDB Local leaves out', () => {
    const totals = dynamoDbTotals(
      [
        record({ readUnits: { orders: 1 } }),
        record({ operation: 'TransactWriteItems', writeUnits: { orders: 8, idempotency: 2 }, conditionChecks: 1 }),
        record({ operation: 'PutItem', tables: ['orders'], failedConditionalWrite: true, status: 400 }),
      ],
      'orders',
    );
    expect(totals).toMatchObject({ requests: 3, readUnits: 1, writeUnits: 10, unreportedWriteUnits: 3 });
    expect(totals.byOperation.get('TransactWriteItems')).toBe(1);
  });

  it('counts replicated units on the replicated table only, a transaction as standard writes', () => {
    const totals = dynamoDbTotals(
      [
        record({ operation: 'TransactWriteItems', writeUnits: { orders: 8, idempotency: 2 } }),
        record({ operation: 'UpdateItem', writeUnits: { orders: 3 } }),
        record({ operation: 'PutItem', writeUnits: { idempotency: 1 } }),
      ],
      'orders',
    );
    expect(totals.replicatedWriteUnits).toBe(4 + 3);
  });
});

describe('window usage', () => {
  it('counts invocations and billed milliseconds per function, API and saga alike', () => {
    const usage = windowUsage({
      units: 2,
      records: [],
      tasks: [
        { machine: 'saga', state: 'ReserveStock', functionName: 'reserve-stock', durationMs: 10.2, failed: false },
        {
          machine: 'saga',
          state: 'ReserveStock',
          functionName: 'reserve-stock',
          durationMs: 4,
          cpuMs: 3,
          failed: true,
        },
      ],
      executions: [
        {
          machine: 'saga',
          executionName: 'a',
          status: 'SUCCEEDED',
          durationMs: 150,
          statesEntered: 5,
          retries: 1,
          estimatedLogBytes: 100,
        },
      ],
      served: [
        {
          origin: 'api:placeOrder',
          method: 'POST',
          path: '/orders',
          status: 202,
          startedAt: 0,
          durationMs: 20.5,
          cpuMs: 8,
        },
      ],
      events: [{ bytes: 700 }, { bytes: 800 }],
      logBytes: new Map([['api:placeOrder', 300]]),
      replicatedTable: 'orders',
      functionOfRoute: (routeId) => (routeId === 'placeOrder' ? 'place-order' : routeId),
    });
    expect(usage.functions.get('reserve-stock')).toMatchObject({ invocations: 2, billedMs: 11 + 4 });
    expect(usage.functions.get('place-order')).toMatchObject({ invocations: 1, billedMs: 21, cpuMs: [8] });
    // CPU time where the probe measured it, in invocation order (undefined where it did not).
    expect(usage.functions.get('reserve-stock')?.cpuMs).toEqual([undefined, 3]);
    expect(usage.workflows.get('saga')).toMatchObject({
      executions: 1,
      statesEntered: 5,
      retries: 1,
      billedExpressMs: 200,
    });
    expect(usage).toMatchObject({ events: 2, eventBytes: 1500, applicationLogBytes: 300 });
  });
});

describe('round trips per API call', () => {
  it('keeps only the requests the call itself made while it was served', () => {
    const served = [
      {
        origin: 'api:placeOrder',
        method: 'POST',
        path: '/orders',
        status: 202,
        startedAt: 0,
        durationMs: 100,
        cpuMs: 5,
      },
      {
        origin: 'api:placeOrder',
        method: 'POST',
        path: '/orders',
        status: 202,
        startedAt: 200,
        durationMs: 100,
        cpuMs: 5,
      },
    ];
    const trips = roundTripsPerCall(served, [
      record({ origin: 'api:placeOrder', startedAt: 1, endedAt: 10 }),
      record({ origin: 'api:placeOrder', startedAt: 11, endedAt: 20 }),
      record({ origin: 'api:placeOrder', startedAt: 12, endedAt: 19 }),
      // The saga it started, running at the same time: not the API call's round trip.
      record({ origin: 'saga:check-risk', startedAt: 30, endedAt: 40 }),
      record({ origin: 'api:placeOrder', startedAt: 210, endedAt: 220 }),
    ]);
    expect(trips.requests).toEqual([3, 1]);
    expect(trips.depths).toEqual([2, 1]);
  });
});
