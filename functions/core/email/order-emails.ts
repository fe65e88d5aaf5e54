import type { Money } from '../domain/money';
import type { FailureReason } from '../domain/order';

/** What an email's template data is built from: the order's lines and total, as the event carries them. */
export interface OrderEmailFacts {
  readonly orderId: string;
  readonly items: readonly { readonly name: string; readonly quantity: number }[];
  readonly total: Money;
  readonly failureReason?: FailureReason;
}

/** What the customer reads about a failure: no internal detail, and what to do about it. */
const failureExplanations: Record<FailureReason, string> = {
  OUT_OF_STOCK: 'Some of the items were no longer in stock.',
  RISK_REJECTED: 'We could not accept this order. Please contact support if you believe this is a mistake.',
  PAYMENT_DECLINED: 'Your payment was declined. Please try again with another payment method.',
  PAYMENT_ERROR: 'We could not reach the payment provider. Please try again later.',
  ORDER_STATE_CONFLICT: 'The order changed while we processed it. Please place it again.',
  RESERVATION_EXPIRED: 'The items were held for you for a limited time only, and that time ran out.',
  PAYMENT_AUTHENTICATION_EXPIRED: 'The payment was not authenticated in time.',
  INTERNAL_ERROR: 'Something went wrong on our side. Please try again later.',
};
const unknownFailure = 'Something went wrong on our side. Please try again later.';

// One formatter per currency for the life of the function instance: building an Intl.NumberFormat costs far more
// than formatting with it (it showed in the offline CPU profile of every order's emails).
const formats = new Map<string, { readonly format: Intl.NumberFormat; readonly digits: number }>();

/** `EUR 12.50` style amounts, from integer minor units with the currency's own number of decimals. */
export function formatMoney(money: Money): string {
  let cached = formats.get(money.currency);
  if (!cached) {
    const format = new Intl.NumberFormat('en-US', { style: 'currency', currency: money.currency });
    cached = { format, digits: format.resolvedOptions().maximumFractionDigits ?? 2 };
    formats.set(money.currency, cached);
  }
  return cached.format.format(money.amount / 10 ** cached.digits);
}

/**
 * The template data of an order email: flat strings only (see email-templates.ts). No address and no name: the
 * data travels to SES and its rendering-failure events, so it holds what the message needs and nothing else.
 */
export function emailData(facts: OrderEmailFacts): Record<string, string> {
  const itemsSummary = facts.items.map((line) => `${line.quantity} × ${line.name}`).join(', ');
  return {
    orderId: facts.orderId,
    itemsSummary,
    total: formatMoney(facts.total),
    failureExplanation: facts.failureReason ? (failureExplanations[facts.failureReason] ?? unknownFailure) : '',
  };
}
