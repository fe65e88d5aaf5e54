import {
  customerEmailEvents,
  emailTemplates,
  placeholdersOf,
  renderTemplate,
  TemplateRenderingError,
} from '../../functions/core/email/email-templates';
import { emailData, formatMoney } from '../../functions/core/email/order-emails';
import { orderEvent } from '../../functions/core/domain/events';
import type { Order } from '../../functions/core/domain/order';
import type { EmailClaim, EmailKey, EmailLedger, Mailer, TemplatedEmail } from '../../functions/core/domain/ports';
import {
  EmailInProgressError,
  sendOrderEmail,
  type OrderEmailEvent,
} from '../../functions/core/use-cases/notifications/send-order-email';

const order: Order = {
  orderId: 'ord_1',
  customerId: 'alice',
  status: 'CONFIRMED',
  items: [
    {
      productId: 'beans',
      name: 'Espresso <beans>',
      quantity: 2,
      unitPrice: { amount: 1250, currency: 'EUR' },
      lineTotal: { amount: 2500, currency: 'EUR' },
    },
    {
      productId: 'mug',
      name: 'Mug',
      quantity: 1,
      unitPrice: { amount: 900, currency: 'EUR' },
      lineTotal: { amount: 900, currency: 'EUR' },
    },
  ],
  total: { amount: 3400, currency: 'EUR' },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  version: 3,
  contactEmail: 'grace@example.com',
};

describe('templates', () => {
  it('has one template per customer email, each using only data the emails provide', () => {
    const provided = Object.keys(emailData({ ...order, failureReason: 'PAYMENT_DECLINED' }));
    for (const event of customerEmailEvents) {
      const template = emailTemplates[event];
      for (const part of [template.subject, template.html, template.text]) {
        for (const name of placeholdersOf(part)) expect(provided).toContain(name);
      }
      expect(placeholdersOf(template.subject)).toEqual(['orderId']);
    }
    expect(new Set(customerEmailEvents.map((event) => emailTemplates[event].name)).size).toBe(
      customerEmailEvents.length,
    );
  });

  it('renders placeholders, escaping HTML in the html part only', () => {
    const rendered = renderTemplate(emailTemplates['order.confirmed'], emailData(order));
    expect(rendered.subject).toBe('Your order ord_1 is confirmed');
    expect(rendered.text).toContain('2 × Espresso <beans>, 1 × Mug');
    expect(rendered.text).toContain('€34.00');
    expect(rendered.html).toContain('2 × Espresso &lt;beans&gt;, 1 × Mug');
    for (const part of Object.values(rendered)) expect(part).not.toMatch(/\{\{|\}\}/);
  });

  it('refuses data that lacks a placeholder, as SES fails to render it', () => {
    expect(() => renderTemplate({ subject: '{{a}}', html: '{{ b }}', text: '' }, { a: 'x' })).toThrow(
      new TemplateRenderingError(['b']),
    );
  });

  it('formats money in the currency’s own decimals', () => {
    expect(formatMoney({ amount: 3400, currency: 'EUR' })).toBe('€34.00');
    expect(formatMoney({ amount: 1500, currency: 'JPY' })).toBe('¥1,500');
    expect(formatMoney({ amount: 1234, currency: 'KWD' })).toMatch(/^KWD\s1\.234$/);
  });

  it('explains a failure without internals', () => {
    expect(emailData({ ...order, failureReason: 'OUT_OF_STOCK' }).failureExplanation).toBe(
      'Some of the items were no longer in stock.',
    );
  });
});

/** The ledger's contract in memory: claims, a lease, releases. */
class InMemoryEmailLedger implements EmailLedger {
  readonly items = new Map<string, { state: 'sending' | 'sent'; claimedAt: number }>();
  constructor(private readonly leaseMs = 120_000) {}

  private keyOf(key: EmailKey) {
    return `${key.orderId}/${key.eventType}`;
  }

  async claim(key: EmailKey, now: Date): Promise<EmailClaim> {
    const item = this.items.get(this.keyOf(key));
    if (item?.state === 'sent') return 'sent';
    if (item && item.claimedAt >= now.getTime() - this.leaseMs) return 'in-progress';
    this.items.set(this.keyOf(key), { state: 'sending', claimedAt: now.getTime() });
    return 'claimed';
  }

  async release(key: EmailKey, claimedAt: Date): Promise<void> {
    const item = this.items.get(this.keyOf(key));
    if (item?.state === 'sending' && item.claimedAt === claimedAt.getTime()) this.items.delete(this.keyOf(key));
  }

  async markSent(key: EmailKey): Promise<void> {
    this.items.set(this.keyOf(key), { state: 'sent', claimedAt: 0 });
  }
}

class FakeMailer implements Mailer {
  readonly sent: TemplatedEmail[] = [];
  failures = 0;
  async send(email: TemplatedEmail): Promise<string> {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('SES refused');
    }
    this.sent.push(email);
    return `msg-${this.sent.length}`;
  }
}

function setup(stored: Order | undefined = order) {
  const ledger = new InMemoryEmailLedger();
  const mailer = new FakeMailer();
  let clock = Date.parse('2026-02-01T10:00:00.000Z');
  const deps = {
    orders: { get: async (orderId: string) => (stored?.orderId === orderId ? stored : undefined) },
    ledger,
    mailer,
    now: () => new Date(clock),
  };
  return { deps, ledger, mailer, advance: (ms: number) => (clock += ms) };
}

const eventOf = (type: Parameters<typeof orderEvent>[0], from: Order = order) =>
  orderEvent(type, from, '2026-02-01T10:00:00.000Z') as unknown as OrderEmailEvent;

describe('sendOrderEmail', () => {
  it('emails order.confirmed to the contact email the event carries, once however often it is delivered', async () => {
    const { deps, mailer } = setup(undefined);
    const event = eventOf('order.confirmed');
    expect(await sendOrderEmail(deps, event)).toBe('sent');
    expect(await sendOrderEmail(deps, event)).toBe('duplicate');
    expect(await sendOrderEmail(deps, event)).toBe('duplicate');
    expect(mailer.sent).toEqual([
      { to: 'grace@example.com', template: 'order.confirmed', data: expect.objectContaining({ orderId: 'ord_1' }) },
    ]);
  });

  it('reads the contact email from the order for the other events (they carry none)', async () => {
    const { deps, mailer } = setup();
    const cancelled = eventOf('order.cancelled', { ...order, status: 'CANCELLED' });
    expect(cancelled.data.contactEmail).toBeUndefined();
    expect(await sendOrderEmail(deps, cancelled)).toBe('sent');
    expect(await sendOrderEmail(deps, eventOf('order.fulfilled'))).toBe('sent');
    expect(mailer.sent.map((email) => [email.to, email.template])).toEqual([
      ['grace@example.com', 'order.cancelled'],
      ['grace@example.com', 'order.fulfilled'],
    ]);
  });

  it('sends nothing for orders without a contact email, nor for other event types', async () => {
    const { contactEmail, ...old } = order;
    void contactEmail;
    const { deps, mailer } = setup(old);
    expect(await sendOrderEmail(deps, eventOf('order.confirmed', old))).toBe('no-contact');
    expect(await sendOrderEmail(deps, eventOf('order.failed', old))).toBe('no-contact');
    expect(await sendOrderEmail(deps, eventOf('order.placed'))).toBe('ignored');
    expect(mailer.sent).toEqual([]);
  });

  it('lets a concurrent delivery fail (to be retried) while another holds the claim, and takes over a dead claim', async () => {
    const { deps, ledger, mailer, advance } = setup();
    const event = eventOf('order.failed', { ...order, status: 'FAILED', failureReason: 'PAYMENT_DECLINED' });
    // A delivery that claimed and then died before sending (or before marking the email sent).
    await ledger.claim({ orderId: 'ord_1', eventType: 'order.failed' }, deps.now());
    await expect(sendOrderEmail(deps, event)).rejects.toThrow(EmailInProgressError);
    expect(mailer.sent).toHaveLength(0);
    advance(121_000);
    expect(await sendOrderEmail(deps, event)).toBe('sent');
    expect(mailer.sent[0]!.data.failureExplanation).toContain('declined');
  });

  it('frees the claim when the send fails, so the retry sends at once', async () => {
    const { deps, mailer } = setup();
    mailer.failures = 1;
    const event = eventOf('order.confirmed');
    await expect(sendOrderEmail(deps, event)).rejects.toThrow('SES refused');
    expect(await sendOrderEmail(deps, event)).toBe('sent');
    expect(await sendOrderEmail(deps, event)).toBe('duplicate');
    expect(mailer.sent).toHaveLength(1);
  });
});
