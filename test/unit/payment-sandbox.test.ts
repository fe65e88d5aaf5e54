import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPaymentSandbox, type PaymentSandbox } from '../../local/emulators/payment-sandbox';

const apiKey = 'sk_test_unit';
let directory: string;
let dataFile: string;
const running: PaymentSandbox[] = [];

async function start(options: { dataFile?: string; hangMs?: number } = {}) {
  const sandbox = await startPaymentSandbox({ port: 0, apiKey, ...options });
  running.push(sandbox);
  return sandbox;
}

async function post(sandbox: PaymentSandbox, path: string, key: string, body: unknown = {}) {
  const response = await fetch(`${sandbox.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    replayed: response.headers.get('idempotent-replayed'),
    body: (await response.json()) as { id?: string; status?: string; error?: { code: string } },
  };
}

const authorize = (sandbox: PaymentSandbox, reference: string, paymentToken = 'tok_visa') =>
  post(sandbox, '/v1/authorizations', `${reference}:authorize`, {
    amount: 1000,
    currency: 'EUR',
    paymentToken,
    reference,
  });

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'payment-sandbox-'));
  dataFile = join(directory, 'nested', 'payment-sandbox.jsonl');
});

afterEach(async () => {
  for (const sandbox of running.splice(0)) await sandbox.stop();
  rmSync(directory, { recursive: true, force: true });
});

describe('payment sandbox persistence', () => {
  it('keeps authorizations, their statuses and idempotent answers across a restart', async () => {
    const first = await start({ dataFile });
    const kept = await authorize(first, 'order-1');
    const voided = await authorize(first, 'order-2');
    await post(first, `/v1/authorizations/${voided.body.id}/void`, 'order-2:void');
    const before = first.authorizations();
    await first.stop();

    const second = await start({ dataFile });
    expect(second.authorizations()).toEqual(before);
    expect(second.authorizations().map((made) => made.status)).toEqual(['authorized', 'voided']);
    // A retry after the restart gets the first answer, not a second authorization.
    const replay = await authorize(second, 'order-1');
    expect(replay).toMatchObject({ status: 201, replayed: 'true', body: { id: kept.body.id } });
    expect(second.authorizations()).toHaveLength(2);
    // State rules still hold for replayed payments.
    expect((await post(second, `/v1/authorizations/${voided.body.id}/capture`, 'order-2:capture')).status).toBe(409);
  });

  it('journals an authorization before its (delayed) answer, so a crash in between cannot duplicate it', async () => {
    const first = await start({ dataFile, hangMs: 60_000 });
    const pending = authorize(first, 'order-3', 'tok_timeout').catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await first.stop();
    await pending;

    const second = await start({ dataFile, hangMs: 60_000 });
    expect(second.authorizations()).toHaveLength(1);
    const replay = await authorize(second, 'order-3', 'tok_timeout');
    expect(replay).toMatchObject({ status: 201, replayed: 'true', body: { id: second.authorizations()[0]!.id } });
  });

  it('ignores and trims a last line cut short by a crash mid-write', async () => {
    const first = await start({ dataFile });
    await authorize(first, 'order-4');
    await first.stop();
    appendFileSync(dataFile, '{"op":"authorization","authorization":{"id":"auth_tor');

    const second = await start({ dataFile });
    expect(second.authorizations()).toHaveLength(1);
    await authorize(second, 'order-5');
    await second.stop();
    expect(
      readFileSync(dataFile, 'utf8')
        .trimEnd()
        .split('\n')
        .every((line) => JSON.parse(line)),
    ).toBe(true);
    expect((await start({ dataFile })).authorizations()).toHaveLength(2);
  });

  it('refuses a data file corrupt in the middle rather than lose payments silently', async () => {
    const first = await start({ dataFile });
    await authorize(first, 'order-6');
    await first.stop();
    appendFileSync(dataFile, 'garbage\n{"op":"status","id":"x","status":"voided"}\n');
    await expect(start({ dataFile })).rejects.toThrow(/is corrupt/);
  });

  it('keeps nothing on disk without a data file', async () => {
    const sandbox = await start();
    await authorize(sandbox, 'order-7');
    await sandbox.stop();
    expect((await start()).authorizations()).toEqual([]);
  });
});

describe('payment sandbox request log', () => {
  it('records each request’s correlation id, in memory and with the answers it journals', async () => {
    const sandbox = await start({ dataFile });
    const response = await fetch(`${sandbox.url}/v1/authorizations`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${apiKey}`,
        'content-type': 'application/json',
        'idempotency-key': 'order-10:authorize',
        'x-correlation-id': 'corr-10',
      },
      body: JSON.stringify({ amount: 1000, currency: 'EUR', paymentToken: 'tok_visa', reference: 'order-10' }),
    });
    expect(response.status).toBe(201);
    await authorize(sandbox, 'order-11');
    expect(sandbox.requests()).toEqual([
      expect.objectContaining({
        method: 'POST',
        path: '/v1/authorizations',
        idempotencyKey: 'order-10:authorize',
        correlationId: 'corr-10',
      }),
      expect.not.objectContaining({ correlationId: expect.anything() }),
    ]);
    const answers = readFileSync(dataFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { op: string; key?: string; correlationId?: string })
      .filter((entry) => entry.op === 'answer');
    expect(answers.map((entry) => [entry.key, entry.correlationId])).toEqual([
      ['order-10:authorize', 'corr-10'],
      ['order-11:authorize', undefined],
    ]);
  });
});

describe('payment sandbox outages', () => {
  it('answers 500 without doing anything during an error outage', async () => {
    const sandbox = await start();
    sandbox.setOutage('error');
    expect(await authorize(sandbox, 'order-8')).toMatchObject({ status: 500, body: { error: { code: 'api_error' } } });
    sandbox.setOutage(undefined);
    expect(sandbox.authorizations()).toEqual([]);
    expect((await authorize(sandbox, 'order-8')).status).toBe(201);
  });

  it('holds requests without an answer during a timeout outage, then answers 504 having done nothing', async () => {
    const sandbox = await start({ hangMs: 60_000 });
    sandbox.setOutage('timeout');
    let settled = false;
    const pending = authorize(sandbox, 'order-9').finally(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(settled).toBe(false);
    sandbox.setOutage(undefined);
    expect(await pending).toMatchObject({ status: 504 });
    expect(sandbox.authorizations()).toEqual([]);
  });
});
