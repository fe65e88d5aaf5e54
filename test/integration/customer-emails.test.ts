import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { orderRequest } from '../helpers/fixtures';
import { startTestSystem, type TestSystem } from '../helpers/local-system';

/**
 * Customer emails on the real offline system: the order events reach the customer-emails consumer through the
 * local bus, which sends through the SES v2 SDK to the local SES emulator; GET /local/mail shows what was sent.
 */

let system: TestSystem;
let alice: string;
let admin: string;

beforeAll(async () => {
  system = await startTestSystem();
  alice = await system.tokenFor('alice');
  admin = await system.tokenFor('admin', ['admins']);
});

afterAll(async () => {
  await system?.stop();
});

const items = [{ productId: 'prod_espresso_beans', quantity: 2 }];

interface Mail {
  readonly to: string[];
  readonly from: string;
  readonly template: string;
  readonly subject: string;
  readonly html: string;
  readonly text: string;
}

async function mailTo(address: string): Promise<Mail[]> {
  // Events are delivered asynchronously: let the sagas and the consumers finish first.
  expect(await system.runtime.drain(10_000)).toBe(true);
  const { status, body } = await system.call<{ messages: Mail[] }>(
    'GET',
    `/local/mail?to=${encodeURIComponent(address)}`,
    { apiKey: null },
  );
  expect(status).toBe(200);
  return body.messages;
}

async function place(contactEmail: string, paymentToken = 'pm_card_visa') {
  const placed = await system.call('POST', '/orders', {
    token: alice,
    body: orderRequest({ items, paymentToken, contactEmail }),
  });
  expect(placed.status).toBe(202);
  const orderId = placed.body.orderId as string;
  await system.waitForTerminal(orderId, alice);
  return orderId;
}

it('emails the contact address once when the order is confirmed, rendered from the template', async () => {
  const orderId = await place('confirmed.customer@example.com');
  const mail = await mailTo('confirmed.customer@example.com');
  expect(mail).toHaveLength(1);
  expect(mail[0]).toMatchObject({
    to: ['confirmed.customer@example.com'],
    from: 'orders-dev@example.com',
    template: 'orders-local-order-confirmed',
    subject: `Your order ${orderId} is confirmed`,
  });
  expect(mail[0]!.text).toContain('2 × ');
  expect(mail[0]!.html).not.toContain('{{');
});

it('emails the failure when the payment is declined', async () => {
  const orderId = await place('declined.customer@example.com', 'pm_card_chargeDeclined');
  const mail = await mailTo('declined.customer@example.com');
  expect(mail.map((message) => message.template)).toEqual(['orders-local-order-failed']);
  expect(mail[0]!.subject).toBe(`We could not complete your order ${orderId}`);
  expect(mail[0]!.text).toContain('Your payment was declined');
});

it('emails the cancellation (read from the order: the event carries no address) and the fulfilment', async () => {
  const cancelledId = await place('cancelling.customer@example.com');
  const cancelled = await system.call('POST', `/orders/${cancelledId}/cancel`, { token: alice });
  expect(cancelled.status).toBe(200);
  expect((await mailTo('cancelling.customer@example.com')).map((message) => message.template)).toEqual([
    'orders-local-order-confirmed',
    'orders-local-order-cancelled',
  ]);

  const fulfilledId = await place('fulfilled.customer@example.com');
  const fulfilled = await system.call('POST', `/admin/orders/${fulfilledId}/fulfill`, { token: admin });
  expect(fulfilled.status).toBe(200);
  expect((await mailTo('fulfilled.customer@example.com')).map((message) => message.template)).toEqual([
    'orders-local-order-confirmed',
    'orders-local-order-fulfilled',
  ]);
});

it('sends nothing more when an event is delivered again', async () => {
  const orderId = await place('redelivered.customer@example.com');
  expect(await mailTo('redelivered.customer@example.com')).toHaveLength(1);
  const confirmed = system.runtime.aws
    .events()
    .find(
      (event) =>
        event.detailType === 'order.confirmed' &&
        (event.detail as { data: { orderId: string } }).data.orderId === orderId,
    );
  expect(confirmed).toBeDefined();
  // The same event published again (delivery is at least once), through the SDK, the local bus and the consumer.
  const bus = new EventBridgeClient({});
  try {
    const { FailedEntryCount } = await bus.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: confirmed!.eventBusName,
            Source: confirmed!.source,
            DetailType: confirmed!.detailType,
            Detail: JSON.stringify(confirmed!.detail),
          },
        ],
      }),
    );
    expect(FailedEntryCount).toBe(0);
  } finally {
    bus.destroy();
  }
  expect(
    system.runtime.aws
      .events()
      .filter(
        (event) =>
          event.detailType === 'order.confirmed' &&
          (event.detail as { data: { orderId: string } }).data.orderId === orderId,
      ),
  ).toHaveLength(2);
  expect(await mailTo('redelivered.customer@example.com')).toHaveLength(1);
});

it('answers the SES v2 SDK as SES does: a message id, or the error SES names', async () => {
  const ses = new SESv2Client({});
  const send = (templateName: string, data: Record<string, string>) =>
    ses.send(
      new SendEmailCommand({
        FromEmailAddress: 'orders-dev@example.com',
        Destination: { ToAddresses: ['sdk.check@example.com'] },
        Content: { Template: { TemplateName: templateName, TemplateData: JSON.stringify(data) } },
      }),
    );
  const data = { orderId: 'ord_x', itemsSummary: '1 × Mug', total: '€9.00', failureExplanation: '' };
  try {
    expect((await send('orders-local-order-fulfilled', data)).MessageId).toMatch(/^local-/);
    await expect(send('orders-local-no-such-template', data)).rejects.toMatchObject({
      name: 'NotFoundException',
      $metadata: { httpStatusCode: 404 },
    });
    await expect(send('orders-local-order-fulfilled', { orderId: 'ord_x' })).rejects.toMatchObject({
      name: 'BadRequestException',
      message: expect.stringContaining('itemsSummary'),
    });
  } finally {
    ses.destroy();
  }
  expect((await mailTo('sdk.check@example.com')).map((message) => message.subject)).toEqual([
    'Your order ord_x is on its way',
  ]);
});

it('keeps /local/mail off the deployed API and out of the route table', async () => {
  const { routeList } = await import('../../functions/api/routes');
  expect(routeList.some((route) => route.path.startsWith('/local'))).toBe(false);
});
