import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envNames } from '../../functions/core/config/settings';
import { startTestSystem, type TestSystem } from '../helpers/local-system';
import { orderRequest } from '../helpers/fixtures';
import { logger } from '../../functions/core/observability/powertools';
import { redactedMarker } from '../../functions/core/observability/redaction';

/**
 * SECURITY.md promises that no payment token, API key, client secret or access token reaches a log, and no shipping
 * address, contact email or phone number (personal data) either. Offline the
 * handlers run in this process, so everything they log, every workflow execution (with the data a workflow log at
 * level ALL keeps in AWS), every event and the payment sandbox's records are here to read after orders went through
 * every path a saga has.
 */

interface Text {
  readonly where: string;
  readonly text: string;
}

interface Finding {
  readonly where: string;
  readonly found: string;
}

// Shapes, so that a secret this test did not think of is caught too: payment tokens and Stripe PaymentMethod ids, and
// JWTs (three base64url parts, the first two JSON objects), whoever minted them.
const paymentMethodShapes = [/(?<![A-Za-z0-9])(?:tok|pm)_[A-Za-z0-9_-]+/g];
const secretShapes = [...paymentMethodShapes, /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/g];

function scan(texts: readonly Text[], secrets: readonly string[], shapes: readonly RegExp[] = secretShapes): Finding[] {
  const findings: Finding[] = [];
  for (const { where, text } of texts) {
    for (const secret of secrets) if (text.includes(secret)) findings.push({ where, found: secret });
    for (const shape of shapes) for (const [found] of text.matchAll(shape)) findings.push({ where, found });
  }
  return findings;
}

describe('the secret scanner', () => {
  it('finds a planted secret, a token shape and a JWT, and passes a clean line', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
    const findings = scan(
      [
        { where: 'planted', text: '{"message":"request rejected","apiKey":"k-123456"}' },
        { where: 'shape', text: '{"paymentToken":"tok_mastercard"}' },
        { where: 'jwt', text: `authorization: Bearer ${jwt}` },
        { where: 'clean', text: '{"message":"payment authorized","orderId":"ord_01","stock_level":3}' },
      ],
      ['k-123456'],
    );
    expect(findings).toEqual([
      { where: 'planted', found: 'k-123456' },
      { where: 'shape', found: 'tok_mastercard' },
      { where: 'jwt', found: jwt },
    ]);
  });
});

/**
 * A shipping address, email and phone number that appear nowhere else: found in a log line, they came from an order.
 * The postal code and city are real (postal codes are checked per country) but too common to scan for; the
 * street, the name, the email and the phone number are not.
 */
const personal = {
  shippingAddress: {
    name: 'Quirinia Zwetschgenbaum',
    line1: 'Xylophonweg 987',
    line2: 'Hinterhaus Qz',
    city: 'Berlin',
    postalCode: '10115',
    country: 'de',
    phone: '+49 30 9876 5432',
  },
  contactEmail: 'quirinia.zwetschgenbaum@example.org',
};
/** What the scan looks for: each field as sent and as stored (the phone normalised to E.164). */
const personalData = [
  'Quirinia',
  'Zwetschgenbaum',
  'Xylophonweg',
  'Hinterhaus Qz',
  '+49 30 9876 5432',
  '+4930987654',
  'quirinia.zwetschgenbaum',
];

describe('no secrets in logs, workflow histories or events', () => {
  const logLines: string[] = [];
  const restore: (() => void)[] = [];
  const paymentDirectory = mkdtempSync(join(tmpdir(), 'no-secrets-'));
  const paymentDataFile = join(paymentDirectory, 'stripe-sandbox.jsonl');
  let system: TestSystem;

  // Every way a line can leave this process: Powertools writes through `console` in dev mode and to stdout/stderr
  // otherwise. Console lines are kept from the test output (DEBUG is chatty); stream writes still go through.
  function captureOutput() {
    const consoleMethods = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
    for (const method of consoleMethods) {
      const original = console[method];
      console[method] = (...args: unknown[]) => {
        logLines.push(args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' '));
      };
      restore.push(() => (console[method] = original));
    }
    for (const stream of [process.stdout, process.stderr]) {
      const original = stream.write.bind(stream) as (...args: unknown[]) => boolean;
      stream.write = ((chunk: unknown, ...rest: unknown[]) => {
        logLines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
        return original(chunk, ...rest);
      }) as typeof stream.write;
      restore.push(() => (stream.write = original as typeof stream.write));
    }
  }

  beforeAll(async () => {
    captureOutput();
    system = await startTestSystem({ logLevel: 'DEBUG', paymentDataFile });
  });
  afterAll(async () => {
    await system?.stop();
    for (const undo of restore.reverse()) undo();
    rmSync(paymentDirectory, { recursive: true, force: true });
  });

  it('finds none after orders went through every path', async () => {
    const secrets = new Set<string>([
      ...system.runtime.apiKeys.map((key) => key.value),
      ...system.runtime.partners.map((partner) => partner.clientSecret),
      system.runtime.payments.apiKey,
    ]);
    const placedWith: string[] = [];
    const remember = (secret: string) => {
      secrets.add(secret);
      return secret;
    };
    const alice = remember(await system.tokenFor('alice'));
    const admin = remember(await system.tokenFor('admin', ['admins']));
    const aliceIdToken = remember(await system.idTokenFor('alice'));
    const partner = remember(await system.partnerToken());
    const partnerKey = system.apiKey('partner-standard');

    const place = async (
      paymentToken: string,
      options: { token?: string; apiKey?: string; quantity?: number } = {},
    ) => {
      remember(paymentToken);
      placedWith.push(paymentToken);
      const placed = await system.call('POST', '/orders', {
        token: options.token ?? alice,
        ...(options.apiKey ? { apiKey: options.apiKey } : {}),
        body: orderRequest({
          items: [{ productId: 'prod_espresso_beans', quantity: options.quantity ?? 1 }],
          paymentToken,
          ...personal,
        }),
      });
      expect(placed.status).toBe(202);
      const orderId = placed.body.orderId as string;
      return { orderId, final: await system.waitForTerminal(orderId, options.token ?? alice) };
    };

    // Confirmed, then fulfilled by an admin (capture).
    const fulfilled = await place('pm_card_visa');
    expect(fulfilled.final.status).toBe('CONFIRMED');
    expect((await system.call('POST', `/admin/orders/${fulfilled.orderId}/fulfill`, { token: admin })).status).toBe(
      200,
    );
    // Declined.
    expect((await place('pm_card_chargeDeclined')).final).toMatchObject({
      status: 'FAILED',
      failureReason: 'PAYMENT_DECLINED',
    });
    // Compensated: a provider error (stock released), and an authorization made but never answered (voided too).
    expect((await place('pm_card_chargeDeclinedProcessingError')).final).toMatchObject({
      status: 'FAILED',
      failureReason: 'PAYMENT_ERROR',
    });
    expect((await place('pm_card_sandbox_timeout')).final).toMatchObject({
      status: 'FAILED',
      failureReason: 'PAYMENT_ERROR',
    });
    // Compensated before payment: out of stock.
    const mug = await system.call('POST', '/orders', {
      token: alice,
      body: orderRequest({
        items: [{ productId: 'prod_limited_mug', quantity: 4 }],
        paymentToken: 'pm_card_visa',
        ...personal,
      }),
    });
    expect(await system.waitForTerminal(mug.body.orderId as string, alice)).toMatchObject({
      failureReason: 'OUT_OF_STOCK',
    });
    // Cancelled by the customer after confirmation (the cancellation workflow voids and releases).
    const cancelled = await place('pm_card_visa');
    expect((await system.call('POST', `/orders/${cancelled.orderId}/cancel`, { token: alice })).status).toBe(200);
    // 3-D Secure: the order waits with the PaymentIntent's client secret (its owner's GET shows it), the challenge
    // passes or fails, and the confirm route and the webhook continue it. The client secret is a credential too.
    const clientSecrets: string[] = [];
    let waitingOrder: Record<string, unknown> = {};
    for (const outcome of ['complete', 'fail'] as const) {
      placedWith.push(remember('pm_card_authenticationRequired'));
      const placed = await system.call('POST', '/orders', {
        token: alice,
        body: orderRequest({
          items: [{ productId: 'prod_espresso_beans', quantity: 1 }],
          paymentToken: 'pm_card_authenticationRequired',
          ...personal,
        }),
      });
      const orderId = placed.body.orderId as string;
      for (const deadline = Date.now() + 10_000; waitingOrder.orderId !== orderId && Date.now() < deadline;) {
        const read = (await system.call('GET', `/orders/${orderId}`, { token: alice })).body;
        if (read.status === 'ACTION_REQUIRED') waitingOrder = read;
      }
      const action = waitingOrder.paymentAction as { paymentIntentId: string; clientSecret: string };
      clientSecrets.push(remember(action.clientSecret));
      system.runtime.payments.authenticate(action.paymentIntentId, outcome);
      const confirmed = await system.call('POST', `/orders/${orderId}/payment/confirm`, { token: alice, body: {} });
      expect(confirmed.status).toBe(200);
      expect((await system.waitForTerminal(orderId, alice)).status).toBe(
        outcome === 'complete' ? 'CONFIRMED' : 'FAILED',
      );
    }
    // A partner with client credentials under its own plan.
    expect((await place('pm_card_visa', { token: partner, apiKey: partnerKey })).final.status).toBe('CONFIRMED');
    // Refused requests that carry secrets: a token of the wrong shape, an unknown field, an ID token on a scoped route.
    const refusedToken = remember('pm_not valid!');
    const refused = await system.call('POST', '/orders', {
      token: alice,
      body: orderRequest({
        items: [{ productId: 'prod_espresso_beans', quantity: 1 }],
        paymentToken: refusedToken,
        ...personal,
      }),
    });
    expect(refused.status).toBe(400);
    // Refused addresses: a postal code of another country, a field past its cap (the rest still personal data).
    for (const shippingAddress of [
      { ...personal.shippingAddress, postalCode: 'SW1A 1AA' },
      { ...personal.shippingAddress, line2: `Hinterhaus Qz ${'x'.repeat(200)}` },
    ]) {
      const badAddress = await system.call('POST', '/orders', {
        token: alice,
        body: orderRequest({
          items: [{ productId: 'prod_espresso_beans', quantity: 1 }],
          paymentToken: 'pm_card_visa',
          ...personal,
          shippingAddress,
        }),
      });
      expect(badAddress.status).toBe(400);
    }
    const extraField = await system.call('POST', '/orders', {
      token: alice,
      body: orderRequest({
        items: [{ productId: 'prod_espresso_beans', quantity: 1 }],
        paymentToken: 'pm_card_visa',
        card: '4242',
        ...personal,
      }),
    });
    expect(extraField.status).toBe(400);
    expect((await system.call('GET', '/orders', { token: aliceIdToken })).status).toBe(401);
    // A replay of an idempotent placement, answered from the stored response.
    const headers = { 'idempotency-key': 'no-secrets-replay' };
    const body = orderRequest({
      items: [{ productId: 'prod_espresso_beans', quantity: 1 }],
      paymentToken: 'pm_card_visa',
      ...personal,
    });
    const first = await system.call('POST', '/orders', { token: alice, body, headers });
    expect((await system.call('POST', '/orders', { token: alice, body, headers })).body).toEqual(first.body);
    await system.waitForTerminal(first.body.orderId as string, alice);
    // Recovery restarts sagas the way a crashed executor leaves them: nothing is stuck now, but the job still logs.
    await system.runtime.runJob('recover-orders', { olderThanSeconds: 0 });
    expect(await system.runtime.drain(10_000)).toBe(true);

    const executions = [
      ...system.runtime.saga.list(),
      ...system.runtime.cancellations.list(),
      ...system.runtime.continuations.list(),
    ];
    expect(executions.length).toBeGreaterThanOrEqual(9);
    expect(executions.every((execution) => execution.history.length > 0)).toBe(true);
    const attentionQueue = process.env[envNames.attentionQueue.queueUrl]!;
    const texts: Text[] = [
      ...logLines.map((text, index) => ({ where: `log line ${index}`, text })),
      ...executions.map((execution) => ({
        where: `execution ${execution.executionArn}`,
        text: JSON.stringify(execution),
      })),
      ...(await system.publishedEvents()).map((event) => ({ where: `event ${event.id}`, text: JSON.stringify(event) })),
      { where: 'GET /local/events', text: JSON.stringify((await system.call('GET', '/local/events')).body) },
      { where: 'needs-attention queue', text: JSON.stringify(system.runtime.aws.queueMessages(attentionQueue)) },
      { where: 'payment sandbox requests', text: JSON.stringify(system.runtime.payments.requests()) },
    ];
    // The provider's own records: a PaymentIntent names its PaymentMethod and keeps its client secret (Stripe keeps
    // both so), so those are expected there; keys and tokens are not.
    const providerRecords: Text[] = [
      { where: 'payment sandbox intents', text: JSON.stringify(system.runtime.payments.paymentIntents()) },
      { where: 'payment sandbox journal', text: readFileSync(paymentDataFile, 'utf8') },
    ];
    // The capture saw the handlers' logs: the scan below is not passing on an empty input.
    for (const message of ['request rejected', 'retrying payment provider request', 'migrations up to date']) {
      expect({ message, logged: logLines.some((line) => line.includes(message)) }).toEqual({ message, logged: true });
    }
    expect(executions.some((execution) => JSON.stringify(execution.history).includes('"AuthorizePayment"'))).toBe(true);

    expect(scan(texts, [...secrets])).toEqual([]);
    const paymentMethods = new Set([...placedWith, ...clientSecrets]);
    expect(
      scan(
        providerRecords,
        [...secrets].filter((secret) => !paymentMethods.has(secret)),
        secretShapes.filter((shape) => !paymentMethodShapes.includes(shape)),
      ),
    ).toEqual([]);

    // The capture sees the shared logger's lines with the redaction the handlers run with: a stored order, logged
    // whole as a careless handler would, comes out without its address and email.
    const stored = await system.call('GET', `/orders/${fulfilled.orderId}`, { token: alice });
    expect(stored.body.contactEmail).toBe(personal.contactEmail);
    const linesBefore = logLines.length;
    logger.info('an order logged whole', { order: stored.body });
    expect(logLines.slice(linesBefore).join('\n')).toContain(`"shippingAddress":"${redactedMarker}"`);
    texts.push({ where: 'order logged whole', text: logLines.slice(linesBefore).join('\n') });
    // An order waiting for 3-D Secure, logged whole: its client secret comes out blanked.
    const waitingBefore = logLines.length;
    logger.info('a waiting order logged whole', { order: waitingOrder });
    const waitingLine = logLines.slice(waitingBefore).join('\n');
    expect(waitingLine).toContain(`"clientSecret":"${redactedMarker}"`);
    expect(scan([{ where: 'waiting order logged whole', text: waitingLine }], clientSecrets)).toEqual([]);

    // Personal data: in no log line and no workflow history. Events are for consumers, not logs: order.confirmed
    // carries the address and email for fulfilment (checked here, so the scan above is not passing on a redacted
    // order), and no other event does.
    const logs = texts.filter(({ where }) => /^(log line |execution |order logged whole)/.test(where));
    expect(scan(logs, personalData)).toEqual([]);
    const events = (await system.publishedEvents()).map((event) => ({
      type: event.detailType,
      text: JSON.stringify(event),
    }));
    const carrying = new Set(events.filter(({ text }) => text.includes('Zwetschgenbaum')).map(({ type }) => type));
    expect([...carrying]).toEqual(['order.confirmed']);
  });
});
