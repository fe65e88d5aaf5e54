import type { Money } from '../../domain/money';
import type { SalesHistory } from '../../domain/ports';

/** What the sales history reads of an order event (the envelope of functions/core/domain/events.ts). */
export interface SalesEvent {
  readonly type: string;
  readonly occurredAt: string;
  readonly data: {
    readonly orderId: string;
    readonly items: readonly { readonly productId: string; readonly quantity: number; readonly lineTotal: Money }[];
  };
}

export type SalesOutcome = 'counted' | 'reversed' | 'unchanged' | 'ignored';

/**
 * Keeps the daily sales history from the order events: `order.confirmed` counts the order's lines on the UTC day it
 * was confirmed; `order.cancelled` takes back what that order added (a confirmed order may still be cancelled until
 * it is fulfilled). Redelivered events change nothing (the ledger of functions/core/adapters/dynamodb/sales-history.ts).
 */
export async function recordSales(history: SalesHistory, event: SalesEvent): Promise<SalesOutcome> {
  if (event.type === 'order.confirmed') {
    const counted = await history.recordSale({
      orderId: event.data.orderId,
      day: event.occurredAt.slice(0, 10),
      lines: event.data.items.map((line) => ({
        productId: line.productId,
        units: line.quantity,
        revenue: line.lineTotal,
      })),
    });
    return counted ? 'counted' : 'unchanged';
  }
  if (event.type === 'order.cancelled') {
    return (await history.reverseSale(event.data.orderId)) ? 'reversed' : 'unchanged';
  }
  return 'ignored';
}
