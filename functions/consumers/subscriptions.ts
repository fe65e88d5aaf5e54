import { orderEventTypes } from '../core/domain/events';
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
  /** Sends to the webhook delivery queue (WEBHOOK_QUEUE_URL and sqs:SendMessage on it). */
  readonly queuesWebhooks?: boolean;
  /** Sends customer emails through SES (the templates and the sender of stacks/constructs/customer-emails.ts). */
  readonly sendsEmail?: boolean;
}

export const eventConsumers = {
  'sales-history': {
    handler: 'functions/consumers/sales-history.ts',
    detailTypes: ['order.confirmed', 'order.cancelled'],
    description: 'Keeps the daily units sold and revenue per product from confirmed and cancelled orders',
  },
  'webhook-fanout': {
    handler: 'functions/consumers/webhook-fanout.ts',
    detailTypes: orderEventTypes,
    description:
      "Records and queues a delivery to every webhook endpoint that wants the event (its partner's, admins')",
    queuesWebhooks: true,
  },
  'customer-emails': {
    handler: 'functions/consumers/customer-emails.ts',
    detailTypes: customerEmailEvents,
    description: "Emails the order's contact address when the order is confirmed, failed, cancelled or fulfilled",
    sendsEmail: true,
  },
} as const satisfies Record<string, EventConsumerDefinition>;

export type EventConsumerName = keyof typeof eventConsumers;

/**
 * The webhook sender: a consumer of the delivery queue rather than of the bus. CDK (the queue, its redrive policy
 * and the event source mapping) and the local runtime's queue poller read this one definition.
 */
export const webhookDeliveryWorker = {
  handler: 'functions/consumers/webhook-delivery.ts',
  batchSize: 10,
  /** One attempt waits at most 10 s for its receiver, and a batch's attempts run in parallel. */
  timeoutSeconds: 30,
  /** What SQS advises for a Lambda consumer: six times the function's timeout. */
  visibilityTimeoutSeconds: 180,
  /** Receives before SQS moves a message whose handling kept throwing to the dead-letter queue. */
  maxReceiveCount: 5,
} as const;
