import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { orderEventTypes } from '../../functions/core/domain/events';
import type { Settings } from './benchmark-settings';
import type { InstrumentedSystem } from './instrumented-system';
import { OrderDriver } from './order-driver';
import { formatMs, heading, summarize, table } from './stats';

interface Receipt {
  readonly eventId: string;
  readonly occurredAt: string;
  readonly receivedAt: number;
}

/**
 * Partner webhooks (docs/webhooks.md): how many events an order produces, and how long from the state change (the
 * event's `occurredAt`, written by the use case that changed the order) to the receipt of its signed delivery by a
 * receiver on this machine. The path measured: the bus, the fan-out consumer, the delivery record, the queue, the
 * poller standing in for Lambda's SQS polling, the sender, the HTTP request.
 */
export async function webhookFigures(system: InstrumentedSystem, settings: Settings): Promise<void> {
  heading('webhooks: events per order, latency from state change to webhook receipt');
  const receipts: Receipt[] = [];
  const receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string; occurredAt: string };
      receipts.push({ eventId: event.id, occurredAt: event.occurredAt, receivedAt: Date.now() });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const { runtime } = system;
  const apiKey = runtime.apiKeys.find((key) => key.plan === 'customer-app')!.value;
  const admin = runtime.tokens.issue('bench-webhooks-admin', ['admins']).accessToken;
  const headers = { authorization: `Bearer ${admin}`, 'x-api-key': apiKey, 'content-type': 'application/json' };
  const registered = await fetch(`${runtime.apiUrl}/webhooks`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/bench`,
      eventTypes: orderEventTypes,
    }),
  });
  const { webhookId } = (await registered.json()) as { webhookId: string };
  if (registered.status !== 201) throw new Error(`POST /webhooks answered ${registered.status}`);
  const driver = new OrderDriver(runtime, {
    productIds: system.productIds,
    customers: 8,
    customerPrefix: 'bench-webhooks',
  });
  try {
    const orderIds = new Set<string>();
    for (let index = 0; index < settings.orders; index++) orderIds.add((await driver.placeAndAwait()).orderId);
    await runtime.drain(30_000);
    const onBus = runtime.aws
      .events()
      .map((event) => ({ ...(event.detail as { id: string; data?: { orderId?: string } }), busAt: event.time }))
      .filter((event) => orderIds.has(event.data?.orderId ?? ''));
    const expected = new Set(onBus.map((event) => event.id));
    // When each event first reached the bus: splits the path into the outbox relay's part and the delivery's.
    const busAt = new Map<string, number>();
    for (const event of onBus) if (!busAt.has(event.id)) busAt.set(event.id, Date.parse(event.busAt));
    const deadline = Date.now() + 30_000;
    while (receipts.filter((receipt) => expected.has(receipt.eventId)).length < expected.size) {
      if (Date.now() > deadline) throw new Error('not every event was delivered within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const delivered = receipts.filter((receipt) => expected.has(receipt.eventId));
    const latencies = summarize(delivered.map((receipt) => receipt.receivedAt - Date.parse(receipt.occurredAt)));
    const relayed = summarize(delivered.map((receipt) => busAt.get(receipt.eventId)! - Date.parse(receipt.occurredAt)));
    const fannedOut = summarize(delivered.map((receipt) => receipt.receivedAt - busAt.get(receipt.eventId)!));
    // The floor from the same run: this process POSTing an event-sized body straight to the same receiver.
    const direct: number[] = [];
    for (let index = 0; index < 50; index++) {
      const started = Date.now();
      await fetch(`http://127.0.0.1:${(receiver.address() as AddressInfo).port}/direct`, {
        method: 'POST',
        body: JSON.stringify({ id: `direct:${index}`, occurredAt: new Date().toISOString(), pad: 'x'.repeat(900) }),
      });
      direct.push(Date.now() - started);
    }
    const floor = summarize(direct);
    const row = (name: string, summary: ReturnType<typeof summarize>) => [
      name,
      String(summary.count),
      formatMs(summary.p50),
      formatMs(summary.p99),
      formatMs(summary.max),
      floor.p50 > 0 ? `${(summary.p50 / floor.p50).toFixed(1)}×` : '–',
    ];
    console.log(
      `${orderIds.size} orders, ${(expected.size / orderIds.size).toFixed(2)} events per order, ` +
        `${delivered.length} deliveries\n`,
    );
    console.log(
      table(
        ['path', 'n', 'p50', 'p99', 'max', '× direct POST p50'],
        [
          row('state change → webhook receipt', latencies),
          row('  state change → on the bus (outbox relay)', relayed),
          row('  on the bus → webhook receipt (fan-out, queue, sender)', fannedOut),
          row('baseline: direct POST to the same receiver', floor),
        ],
      ),
    );
    console.log(
      'One admin endpoint subscribed to every order event type, orders placed one after the other. Latency: the ' +
        "event's occurredAt to the receiver's clock on receipt (same machine, same clock). Offline the relay polls " +
        "the stream every 25 ms and the queue poller stands in for Lambda's SQS polling; in AWS both poll too.",
    );
  } finally {
    driver.close();
    await fetch(`${runtime.apiUrl}/webhooks/${webhookId}`, { method: 'DELETE', headers });
    await new Promise((resolve) => receiver.close(resolve));
  }
}
