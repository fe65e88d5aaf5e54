/**
 * The customer emails' templates: the one definition CDK turns into SES templates (stacks/constructs/
 * customer-emails.ts, `AWS::SES::Template`) and the local SES emulator renders (local/emulators/ses-mailbox.ts).
 * Placeholders are `{{name}}` only, the subset of SES's Handlebars syntax that both understand the same way: the
 * data is prepared as flat strings by functions/core/email/order-emails.ts, so no template needs a loop or a branch.
 * SES escapes HTML in `{{…}}` values; the emulator does the same for the html part.
 */
export interface EmailTemplate {
  /** The template's name without the environment's prefix (`orders-<env>-`). */
  readonly name: string;
  readonly subject: string;
  readonly html: string;
  readonly text: string;
}

/** The order events that email the customer. */
export const customerEmailEvents = ['order.confirmed', 'order.failed', 'order.cancelled', 'order.fulfilled'] as const;
export type CustomerEmailEvent = (typeof customerEmailEvents)[number];

const footer = {
  html: '<p style="color:#666;font-size:12px">Order {{orderId}}. You receive this email because you placed this order.</p>',
  text: '\n--\nOrder {{orderId}}. You receive this email because you placed this order.\n',
};

export const emailTemplates: Readonly<Record<CustomerEmailEvent, EmailTemplate>> = {
  'order.confirmed': {
    name: 'order-confirmed',
    subject: 'Your order {{orderId}} is confirmed',
    html:
      '<h1>Thank you for your order</h1><p>Your order is confirmed: {{itemsSummary}}.</p>' +
      '<p>Total: <strong>{{total}}</strong></p><p>We will email you again when it ships.</p>' +
      footer.html,
    text:
      'Thank you for your order.\n\nYour order is confirmed: {{itemsSummary}}.\nTotal: {{total}}\n\n' +
      'We will email you again when it ships.' +
      footer.text,
  },
  'order.failed': {
    name: 'order-failed',
    subject: 'We could not complete your order {{orderId}}',
    html:
      '<h1>We could not complete your order</h1><p>{{failureExplanation}}</p>' +
      '<p>Nothing was charged for {{itemsSummary}} ({{total}}).</p>' +
      footer.html,
    text:
      'We could not complete your order.\n\n{{failureExplanation}}\n\nNothing was charged for {{itemsSummary}} ({{total}}).' +
      footer.text,
  },
  'order.cancelled': {
    name: 'order-cancelled',
    subject: 'Your order {{orderId}} is cancelled',
    html:
      '<h1>Your order is cancelled</h1><p>{{itemsSummary}} ({{total}}) will not be sent.</p>' +
      '<p>Any amount authorized on your payment method is released.</p>' +
      footer.html,
    text:
      'Your order is cancelled.\n\n{{itemsSummary}} ({{total}}) will not be sent.\n' +
      'Any amount authorized on your payment method is released.' +
      footer.text,
  },
  'order.fulfilled': {
    name: 'order-fulfilled',
    subject: 'Your order {{orderId}} is on its way',
    html: '<h1>Your order is on its way</h1><p>We sent {{itemsSummary}} and charged {{total}}.</p>' + footer.html,
    text: 'Your order is on its way.\n\nWe sent {{itemsSummary}} and charged {{total}}.' + footer.text,
  },
};

/** The SES template's name in an environment: `orders-dev-order-confirmed`. SES names are per account and region. */
export function templateName(prefix: string, event: CustomerEmailEvent): string {
  return `${prefix}${emailTemplates[event].name}`;
}

const placeholder = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

/** The placeholders a template part uses. */
export function placeholdersOf(part: string): string[] {
  return [...new Set([...part.matchAll(placeholder)].map((match) => match[1]!))];
}

/** A value missing from the template data: SES does not send such a message (a rendering failure). */
export class TemplateRenderingError extends Error {
  constructor(readonly missing: readonly string[]) {
    super(`template data lacks ${missing.join(', ')}`);
    this.name = 'TemplateRenderingError';
  }
}

const htmlEscapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;' };
const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (char) => htmlEscapes[char]!);

/** Renders a template with its data, as SES does for `{{name}}` placeholders (HTML-escaped in the html part). */
export function renderTemplate(
  template: Pick<EmailTemplate, 'subject' | 'html' | 'text'>,
  data: Readonly<Record<string, unknown>>,
): { subject: string; html: string; text: string } {
  const missing = [template.subject, template.html, template.text]
    .flatMap(placeholdersOf)
    .filter((name) => data[name] === undefined || data[name] === null);
  if (missing.length > 0) throw new TemplateRenderingError([...new Set(missing)]);
  const fill = (part: string, escape: (value: string) => string) =>
    part.replace(placeholder, (_, name: string) => escape(String(data[name])));
  return {
    subject: fill(template.subject, (value) => value),
    html: fill(template.html, escapeHtml),
    text: fill(template.text, (value) => value),
  };
}
