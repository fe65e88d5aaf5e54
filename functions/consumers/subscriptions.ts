/**
 * Consumers of the order events: CDK gives each a function and an EventBridge rule on the orders bus (retries, then
 * a dead-letter queue); the local runtime delivers the same events from its local bus to the same handler modules.
 */
export interface EventConsumerDefinition {
  readonly handler: string;
  /** The event types (EventBridge detail-type) the rule matches. */
  readonly detailTypes: readonly string[];
  readonly description: string;
}

export const eventConsumers = {
  'sales-history': {
    handler: 'functions/consumers/sales-history.ts',
    detailTypes: ['order.confirmed', 'order.cancelled'],
    description: 'Keeps the daily units sold and revenue per product from confirmed and cancelled orders',
  },
} as const satisfies Record<string, EventConsumerDefinition>;

export type EventConsumerName = keyof typeof eventConsumers;
