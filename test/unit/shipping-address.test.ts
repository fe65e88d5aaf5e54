import { placeOrderRequest } from '../../functions/core/schemas/api-schemas';
import { addressLimits, shippingAddress } from '../../functions/core/schemas/shipping-schemas';
import { parseOrThrow } from '../../functions/core/schemas/validation';
import { ValidationError } from '../../functions/core/domain/errors';
import { orderRequest, testShippingAddress } from '../helpers/fixtures';

/** The issues a refused order reports, as the problem+json `errors` list shows them. */
function issuesOf(body: unknown): { path: string; message: string }[] {
  try {
    parseOrThrow(placeOrderRequest, body, 'order');
  } catch (error) {
    if (error instanceof ValidationError) return [...error.issues];
    throw error;
  }
  throw new Error('the order was accepted');
}

const order = (changes: object) =>
  orderRequest({
    items: [{ productId: 'prod_espresso_beans', quantity: 1 }],
    paymentToken: 'pm_card_visa',
    shippingAddress: { ...testShippingAddress, ...changes },
  });

describe('the shipping address of an order', () => {
  it.each([
    ['Germany', { name: 'Ada Example', line1: 'Hauptstrasse 1', city: 'Berlin', postalCode: '10115', country: 'DE' }],
    [
      'the United States, ZIP+4 and a state',
      {
        name: 'Ada Example',
        line1: '1 Main St',
        city: 'Springfield',
        region: 'IL',
        postalCode: '62701-1234',
        country: 'US',
      },
    ],
    [
      'the United Kingdom',
      { name: 'Ada Example', line1: '10 Downing St', city: 'London', postalCode: 'SW1A 2AA', country: 'GB' },
    ],
    [
      'Canada',
      {
        name: 'Ada Example',
        line1: '24 Sussex Dr',
        city: 'Ottawa',
        region: 'ON',
        postalCode: 'K1M 1M4',
        country: 'CA',
      },
    ],
    ['Japan', { name: 'Ada Example', line1: '1-1 Chiyoda', city: 'Tokyo', postalCode: '100-0001', country: 'JP' }],
    [
      'Ireland, with an Eircode',
      { name: 'Ada Example', line1: '1 Main Street', city: 'Dublin', postalCode: 'D02 X285', country: 'IE' },
    ],
    // No postal codes there, and the library knows no format: optional.
    [
      'Hong Kong, without a postal code',
      { name: 'Ada Example', line1: '1 Queen’s Road Central', city: 'Hong Kong', country: 'HK' },
    ],
    [
      'the Emirates, without a postal code',
      { name: 'Ada Example', line1: 'Sheikh Zayed Rd 1', city: 'Dubai', country: 'AE' },
    ],
  ])('accepts an address in %s', (_, address) => {
    const parsed = placeOrderRequest.safeParse(
      orderRequest({
        items: [{ productId: 'p', quantity: 1 }],
        paymentToken: 'pm_card_visa',
        shippingAddress: address,
      }),
    );
    expect(parsed.error?.issues).toBeUndefined();
    expect(parsed.data?.shippingAddress).toEqual(address);
  });

  it('normalises: trims, collapses whitespace, upper-cases the country and postal code, phone to E.164', () => {
    const parsed = shippingAddress.parse({
      name: '  Ada \t  Example ',
      line1: 'Hauptstrasse\n 1',
      line2: ' Hinterhaus ',
      city: ' Berlin',
      region: 'Berlin ',
      postalCode: ' 10115 ',
      country: ' de ',
      phone: '+49 (30) 123-45.67',
    });
    expect(parsed).toEqual({
      name: 'Ada Example',
      line1: 'Hauptstrasse 1',
      line2: 'Hinterhaus',
      city: 'Berlin',
      region: 'Berlin',
      postalCode: '10115',
      country: 'DE',
      phone: '+49301234567',
    });
    expect(shippingAddress.parse({ ...testShippingAddress, country: 'gb', postalCode: 'sw1a 2aa' })).toMatchObject({
      country: 'GB',
      postalCode: 'SW1A 2AA',
    });
  });

  it.each([
    [
      'a postal code of another format',
      { postalCode: '1234' },
      'shippingAddress.postalCode',
      'is not a valid postal code for DE',
    ],
    [
      'no postal code where the country has a known format',
      { postalCode: undefined },
      'shippingAddress.postalCode',
      'is required for country DE',
    ],
    [
      'a postal code that is no postal code anywhere',
      { country: 'HK', postalCode: '!!' },
      'shippingAddress.postalCode',
      'is not a valid postal code',
    ],
    ['an unknown country', { country: 'ZZ' }, 'shippingAddress.country', 'must be an ISO 3166-1 alpha-2 country code'],
    ['an alpha-3 country', { country: 'DEU' }, 'shippingAddress.country', expect.any(String)],
    ['a country name', { country: 'Germany' }, 'shippingAddress.country', expect.any(String)],
    ['a blank city', { city: '   ' }, 'shippingAddress.city', 'must not be blank'],
    [
      'a control character',
      { line1: 'Haupt\u0000strasse 1' },
      'shippingAddress.line1',
      'must not contain control characters',
    ],
    [
      'a phone number without its country code',
      { phone: '030 1234567' },
      'shippingAddress.phone',
      expect.stringContaining('international form'),
    ],
    ['an unknown field', { floor: 3 }, 'shippingAddress', expect.any(String)],
  ])('refuses %s, naming the field', (_, changes, path, message) => {
    expect(issuesOf(order(changes))).toEqual([{ path, message }]);
  });

  it.each([
    ['name', addressLimits.name],
    ['line1', addressLimits.line],
    ['line2', addressLimits.line],
    ['city', addressLimits.city],
    ['region', addressLimits.region],
    ['postalCode', addressLimits.postalCode],
    ['phone', addressLimits.phone],
  ])('caps %s at %i characters', (field, limit) => {
    // Digits pass the postal code's generic shape and a phone's; a country without a known format keeps it generic.
    const value = (length: number) => (field === 'phone' ? `+${'1'.repeat(length - 1)}` : '1'.repeat(length));
    const issues = issuesOf(order({ country: 'HK', [field]: value(limit + 1) }));
    expect(issues).toEqual([{ path: `shippingAddress.${field}`, message: expect.stringContaining(String(limit)) }]);
  });

  it.each([
    ['a string', 'Hauptstrasse 1, 10115 Berlin'],
    ['null', null],
    ['a list', [testShippingAddress]],
  ])('refuses an address that is %s, naming it', (_, address) => {
    expect(issuesOf({ ...order({}), shippingAddress: address })).toEqual([
      { path: 'shippingAddress', message: expect.any(String) },
    ]);
  });

  it('names every bad field at once: the postal code is checked while another field is wrong', () => {
    expect(issuesOf(order({ postalCode: '1', city: ' ' })).map((issue) => issue.path)).toEqual([
      'shippingAddress.city',
      'shippingAddress.postalCode',
    ]);
  });

  it('requires the address and the contact email', () => {
    const { shippingAddress: _address, contactEmail: _email, ...bare } = order({});
    expect(issuesOf(bare).map((issue) => issue.path)).toEqual(['shippingAddress', 'contactEmail']);
  });
});

describe('the contact email of an order', () => {
  const withEmail = (contactEmail: unknown) =>
    orderRequest({ items: [{ productId: 'p', quantity: 1 }], paymentToken: 'pm_card_visa', contactEmail });

  it('is trimmed', () => {
    expect(placeOrderRequest.parse(withEmail('  ada@example.com ')).contactEmail).toBe('ada@example.com');
  });

  it.each([
    ['no @', 'ada.example.com'],
    ['no domain', 'ada@'],
    ['no top-level domain', 'ada@example'],
    ['a space inside', 'ada lovelace@example.com'],
    ['over 254 characters', `${'a'.repeat(64)}@${'b'.repeat(180)}.example.com`],
    ['not a string', 42],
  ])('refuses %s, naming the field', (_, contactEmail) => {
    expect(issuesOf(withEmail(contactEmail))).toEqual([{ path: 'contactEmail', message: expect.any(String) }]);
  });

  it('never repeats the value it refuses', () => {
    const issues = issuesOf(
      orderRequest({
        items: [{ productId: 'p', quantity: 1 }],
        paymentToken: 'pm_card_visa',
        contactEmail: 'secret-person@',
        shippingAddress: { ...testShippingAddress, name: 'Secret Person', postalCode: '999999' },
      }),
    );
    expect(issues.map((issue) => issue.path)).toEqual(['shippingAddress.postalCode', 'contactEmail']);
    expect(JSON.stringify(issues)).not.toMatch(/secret-person|Secret Person|999999/);
  });
});
