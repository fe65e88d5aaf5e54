/**
 * The POST /orders body every benchmark sends. `POST /orders` requires a shipping address and a contact email, and a
 * realistic one also weighs what a real order weighs on the wire and in the table. The email is on a reserved
 * domain (RFC 2606), so a load test against a deployed stage never mails anyone.
 */
export const benchShippingAddress = {
  name: 'Bench Customer',
  line1: 'Loadstrasse 1',
  line2: 'Floor 3',
  city: 'Berlin',
  postalCode: '10115',
  country: 'DE',
} as const;
export const benchContactEmail = 'bench.customer@example.com';

export function orderBody(items: readonly { productId: string; quantity: number }[], paymentToken: string): string {
  return JSON.stringify({
    items,
    paymentToken,
    shippingAddress: benchShippingAddress,
    contactEmail: benchContactEmail,
  });
}
