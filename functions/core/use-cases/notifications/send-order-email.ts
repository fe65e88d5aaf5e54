import { customerEmailEvents, type CustomerEmailEvent } from '../../email/email-templates';
import { emailData, type OrderEmailFacts } from '../../email/order-emails';
import type { EmailLedger, Mailer, OrderStore } from '../../domain/ports';

/** What the consumer reads of an order event (the envelope of functions/core/domain/events.ts). */
export interface OrderEmailEvent {
  readonly id: string;
  readonly type: string;
  readonly data: OrderEmailFacts & { readonly contactEmail?: string };
}

export interface SendOrderEmailDeps {
  readonly orders: Pick<OrderStore, 'get'>;
  readonly ledger: EmailLedger;
  readonly mailer: Mailer;
  readonly now?: () => Date;
}

export type EmailOutcome = 'sent' | 'duplicate' | 'no-contact' | 'ignored';

/** Another delivery of the same event claimed the email moments ago: fail this one so it is retried later. */
export class EmailInProgressError extends Error {
  constructor(
    readonly orderId: string,
    readonly eventType: string,
  ) {
    super(`the ${eventType} email of order ${orderId} is being sent by another delivery`);
    this.name = 'EmailInProgressError';
  }
}

const isCustomerEmailEvent = (type: string): type is CustomerEmailEvent =>
  (customerEmailEvents as readonly string[]).includes(type);

/**
 * Emails the order's contact address about its confirmation, failure, cancellation or fulfilment, at most once per
 * order and event type however often the event is delivered. Only `order.confirmed` carries the contact email; for
 * the others the order is read (events leave personal data out). Orders placed before contact emails existed have
 * none and get no email.
 *
 * Order of the steps: claim (conditional write), send, mark sent. Claiming first means two deliveries racing each
 * other send one email; a crash after the claim and before the send leaves a claim never marked sent, which a
 * delivery after the lease (EventBridge retries, or a redrive from the dead-letter queue) takes over and sends. The
 * one window left is a crash after SES accepted the message and before the mark (or an answer from SES lost on the
 * way back, after which the claim is released): the retry sends a second copy. SES has no idempotency key, so that
 * window (one DynamoDB write long) is the price of never losing an email. A send SES refused releases the claim, so
 * EventBridge's retry can send at once.
 */
export async function sendOrderEmail(deps: SendOrderEmailDeps, event: OrderEmailEvent): Promise<EmailOutcome> {
  if (!isCustomerEmailEvent(event.type)) return 'ignored';
  const { orderId } = event.data;
  const to =
    event.type === 'order.confirmed' ? event.data.contactEmail : (await deps.orders.get(orderId))?.contactEmail;
  if (!to) return 'no-contact';
  const now = deps.now ?? (() => new Date());
  const key = { orderId, eventType: event.type };
  const claimedAt = now();
  const claim = await deps.ledger.claim(key, claimedAt);
  if (claim === 'sent') return 'duplicate';
  if (claim === 'in-progress') throw new EmailInProgressError(orderId, event.type);
  let messageId: string;
  try {
    messageId = await deps.mailer.send({ to, template: event.type, data: emailData(event.data) });
  } catch (error) {
    // Not accepted, as far as we can tell: free the claim so that the retry sends without waiting for the lease.
    await deps.ledger.release(key, claimedAt).catch(() => undefined);
    throw error;
  }
  await deps.ledger.markSent(key, messageId, now());
  return 'sent';
}
