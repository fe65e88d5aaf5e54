import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { orderSaga } from '../../statemachines/order-saga';
import { startTestSystem, type TestSystem } from '../helpers/local-system';

/**
 * GET /health/ready through the local gateway: 200 while the table and the saga's state machine answer, 503 naming
 * the dependency (by logical name only) when one is stopped, with nothing of its physical name or error.
 */

let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem();
});

afterAll(async () => {
  await system?.stop();
});

/** What a public readiness answer must never show: physical names, ARNs, endpoints, error names. */
function leaks(body: unknown): string[] {
  const text = JSON.stringify(body);
  const secrets = [
    system.runtime.tableName,
    process.env[orderSaga.arnEnvName]!,
    'arn:',
    system.runtime.aws.url,
    system.runtime.dynamoDbEndpoint,
    'ResourceNotFound',
    'ECONNREFUSED',
    'StateMachineDoesNotExist',
    'Timeout',
  ];
  return secrets.filter((secret) => text.includes(secret));
}

describe('GET /health/ready', () => {
  it('answers 200 with every check ok, without an API key, never cached', async () => {
    const { status, headers, body } = await system.call('GET', '/health/ready', { apiKey: null });
    expect(status).toBe(200);
    expect(body).toEqual({
      status: 'ready',
      role: 'active',
      region: 'us-east-1',
      epoch: 0,
      checks: { table: 'ok', workflow: 'ok' },
    });
    expect(headers.get('cache-control')).toBe('no-store');
    expect(headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('answers 503 naming the workflow when the Step Functions endpoint is down, and 200 again once it is back', async () => {
    const { aws } = system.runtime;
    const port = Number(new URL(aws.url).port);
    await aws.stop();
    try {
      const { status, headers, body } = await system.call('GET', '/health/ready', { apiKey: null });
      expect(status).toBe(503);
      expect(headers.get('content-type')).toBe('application/problem+json');
      expect(headers.get('cache-control')).toBe('no-store');
      expect(headers.get('retry-after')).toBe('5');
      expect(body).toMatchObject({
        status: 503,
        code: 'NOT_READY',
        checks: { table: 'ok', workflow: 'unavailable' },
        detail: 'not ready: workflow unavailable',
      });
      expect(leaks(body)).toEqual([]);
    } finally {
      await aws.start(port);
    }
    expect((await system.call('GET', '/health/ready', { apiKey: null })).status).toBe(200);
  });

  it('answers 503 naming the table when the table is gone', async () => {
    const client = new DynamoDBClient({
      endpoint: system.runtime.dynamoDbEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    try {
      await client.send(new DeleteTableCommand({ TableName: system.runtime.tableName }));
    } finally {
      client.destroy();
    }
    const { status, body } = await system.call('GET', '/health/ready', { apiKey: null });
    expect(status).toBe(503);
    expect(body).toMatchObject({ code: 'NOT_READY', checks: { table: 'unavailable', workflow: 'ok' } });
    expect(leaks(body)).toEqual([]);
    // Liveness is not readiness: the process is up.
    expect((await system.call('GET', '/health', { apiKey: null })).status).toBe(200);
  });
});
