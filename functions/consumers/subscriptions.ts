import { customerEmailEvents } from '../core/email/email-templates';

/**
 * Consumers of the order events: CDK gives each a function and an EventBridge rule on the orders bus (retries, then
 * a dead-letter queue); the local runtime delivers the same events from its local bus to the same handler modules.
 */
export interface EventConsumerDefinition {
  readonly handler: string;
  /** The event types (EventBridge detail-type) the rule matches. */
  readonly detailTypes: readonly string[];
  readonly description: string;
  /** Sends customer emails through SES (the templates and the sender of stacks/constructs/customer-emails.ts). */
  readonly sendsEmail?: boolean;
}

export const eventConsumers = {
  'sales-history': {
    handler: 'functions/consumers/sales-history.ts',
    detailTypes: ['order.confirmed', 'order.cancelled'],
    description: 'Keeps the daily units sold and revenue per product from confirmed and cancelled orders',
  },
  'customer-emails': {
    handler: 'functions/consumers/customer-emails.ts',
    detailTypes: customerEmailEvents,
    description: "Emails the order's contact address when the order is confirmed, failed, cancelled or fulfilled",
    sendsEmail: true,
  },
} as const satisfies Record<string, EventConsumerDefinition>;

export type EventConsumerName = keyof typeof eventConsumers;
