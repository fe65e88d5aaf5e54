import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../functions/core/data/table-design';
import { orderRequest, testShippingAddress } from '../helpers/fixtures';
import { startTestSystem, type TestSystem } from '../helpers/local-system';

/**
 * The shipping address and contact email through HTTP: normalised and stored, shown on the order (not in lists),
 * carried by `order.confirmed` only, refused with the field named when malformed (and nothing stored), and orders
 * stored before they existed still read.
 */

let system: TestSystem;
let alice: string;

beforeAll(async () => {
  system = await startTestSystem();
  alice = await system.tokenFor('alice');
});

afterAll(async () => {
  await system?.stop();
});

const items = [{ productId: 'prod_espresso_beans', quantity: 1 }];
const sent = {
  name: '  Grace   Hopper ',
  line1: '1 Harbour\tRoad',
  line2: 'Unit 5',
  city: 'Dublin ',
  postalCode: 'd02 x285',
  country: 'ie',
  phone: '+353 1 234 5678',
};
const stored = {
  name: 'Grace Hopper',
  line1: '1 Harbour Road',
  line2: 'Unit 5',
  city: 'Dublin',
  postalCode: 'D02 X285',
  country: 'IE',
  phone: '+35312345678',
};

interface BusEvent {
  readonly type: string;
  readonly data: { readonly orderId: string; readonly shippingAddress?: unknown; readonly contactEmail?: unknown };
}

async function eventsOf(orderId: string): Promise<BusEvent[]> {
  const { body } = await system.call<{ events: { detail: BusEvent }[] }>('GET', '/local/events');
  return body.events.map((event) => event.detail).filter((event) => event.data.orderId === orderId);
}

it('stores the address normalised, shows it on the order, leaves it out of lists, and sends it in order.confirmed', async () => {
  const placed = await system.call('POST', '/orders', {
    token: alice,
    body: orderRequest({
      items,
      paymentToken: 'pm_card_visa',
      shippingAddress: sent,
      contactEmail: ' grace@example.com ',
    }),
  });
  expect(placed.status).toBe(202);
  expect(placed.body).toMatchObject({ shippingAddress: stored, contactEmail: 'grace@example.com' });
  const orderId = placed.body.orderId as string;

  const final = await system.waitForTerminal(orderId, alice);
  expect(final).toMatchObject({ status: 'CONFIRMED', shippingAddress: stored, contactEmail: 'grace@example.com' });
  const item = await system.runtime.documentClient.send(
    new UpdateCommand({
      TableName: system.runtime.tableName,
      Key: keys.order(orderId),
      // A no-op write that returns the item as stored.
      UpdateExpression: 'SET version = version',
      ReturnValues: 'ALL_NEW',
    }),
  );
  expect(item.Attributes).toMatchObject({ shippingAddress: stored, contactEmail: 'grace@example.com' });

  const list = await system.call<{ orders: Record<string, unknown>[] }>('GET', '/orders?limit=100', { token: alice });
  const listed = list.body.orders.find((order) => order.orderId === orderId);
  expect(listed).toMatchObject({ orderId, status: 'CONFIRMED' });
  expect(listed).not.toHaveProperty('shippingAddress');
  expect(listed).not.toHaveProperty('contactEmail');

  await system.runtime.drain(10_000);
  const events = await eventsOf(orderId);
  const confirmed = events.find((event) => event.type === 'order.confirmed');
  expect(confirmed?.data).toMatchObject({ shippingAddress: stored, contactEmail: 'grace@example.com' });
  const others = events.filter((event) => event.type !== 'order.confirmed');
  expect(others.map((event) => event.type)).toContain('order.placed');
  for (const event of others) {
    expect(event.data).not.toHaveProperty('shippingAddress');
    expect(event.data).not.toHaveProperty('contactEmail');
  }
});

describe('a malformed order is refused with the field named, and nothing is stored', () => {
  it.each([
    [
      'a postal code of another country',
      { shippingAddress: { ...testShippingAddress, postalCode: 'SW1A 1AA' } },
      'shippingAddress.postalCode',
    ],
    ['an unknown country', { shippingAddress: { ...testShippingAddress, country: 'ZZ' } }, 'shippingAddress.country'],
    [
      'an oversized street',
      { shippingAddress: { ...testShippingAddress, line1: 'x'.repeat(101) } },
      'shippingAddress.line1',
    ],
    ['a missing city', { shippingAddress: { ...testShippingAddress, city: undefined } }, 'shippingAddress.city'],
    ['a bad email', { contactEmail: 'grace@' }, 'contactEmail'],
    ['no address', { shippingAddress: undefined }, 'shippingAddress'],
  ])('%s', async (_, changes, path) => {
    const before = await system.snapshot();
    const refused = await system.call('POST', '/orders', {
      token: alice,
      body: { ...orderRequest({ items, paymentToken: 'pm_card_visa' }), ...changes },
    });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path, message: expect.any(String) }] });
    expect(await system.snapshot()).toEqual(before);
  });
});

it('reads, lists and cancels an order stored before orders had an address', async () => {
  const placed = await system.call('POST', '/orders', {
    token: alice,
    body: orderRequest({ items, paymentToken: 'pm_card_visa' }),
  });
  const orderId = placed.body.orderId as string;
  await system.waitForTerminal(orderId, alice);
  await system.runtime.documentClient.send(
    new UpdateCommand({
      TableName: system.runtime.tableName,
      Key: keys.order(orderId),
      UpdateExpression: 'REMOVE shippingAddress, contactEmail',
    }),
  );

  const read = await system.call('GET', `/orders/${orderId}`, { token: alice });
  expect(read.status).toBe(200);
  expect(read.body).toMatchObject({ orderId, status: 'CONFIRMED' });
  expect(read.body).not.toHaveProperty('shippingAddress');
  const cancelled = await system.call('POST', `/orders/${orderId}/cancel`, { token: alice });
  expect(cancelled.status).toBe(200);
  expect(cancelled.body).toMatchObject({ orderId });
  expect(cancelled.body).not.toHaveProperty('contactEmail');
});
