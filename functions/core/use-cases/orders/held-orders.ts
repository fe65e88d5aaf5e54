import { OrderStateConflictError, PaymentAuthenticationPendingError } from '../../domain/errors';
import { heldStatuses, type HeldDecision, type Order, type ReviewRecord } from '../../domain/order';
import type { OrderStore, PaymentProvider, WorkflowStarter } from '../../domain/ports';

/**
 * Held orders: the saga ended in a held status (ACTION_REQUIRED: the customer must authenticate the payment; REVIEW:
 * an admin must review an order the fraud model scored for review) with the
 * stock reserved, and the order waits for a decision from outside: continue (towards CONFIRMED) or abandon
 * (compensate, then FAILED with a reason). Whoever decides (the customer's confirm, the provider's webhook, the
 * expiry job; an admin for an order held in REVIEW) records the decision with one conditional write, and only
 * the writer that won starts the continuation workflow (statemachines/order-continuation.asl.json). Two deciders
 * racing therefore never continue an order twice, and a loser answers with the order as the winner left it.
 */
export interface HeldOrderDeps {
  readonly orders: Pick<OrderStore, 'decideHeld' | 'get'>;
  readonly continuations: WorkflowStarter;
  readonly now?: () => Date;
}

/** The continuation's execution name: one per order (a held order is decided once). */
export const continuationName = (orderId: string) => `${orderId}-continue`;

export async function decideHeldOrder(
  deps: HeldOrderDeps,
  order: Order,
  decision: (
    { readonly decision: 'continue' } | Pick<Extract<HeldDecision, { decision: 'abandon' }>, 'decision' | 'reason'>
  ) & { readonly review?: ReviewRecord },
  by: string,
  correlationId: string,
): Promise<{ readonly order: Order; readonly started: boolean }> {
  const at = (deps.now ?? (() => new Date()))().toISOString();
  const decided = await deps.orders.decideHeld(order, { ...decision, at, by } as HeldDecision);
  if (!decided) {
    const current = await deps.orders.get(order.orderId);
    if (!current) throw new OrderStateConflictError(`order ${order.orderId} does not exist`);
    return { order: current, started: false };
  }
  await deps.continuations.start(continuationName(order.orderId), { orderId: order.orderId, correlationId });
  return { order: decided, started: true };
}

/**
 * Continues an order that waits for its customer's authentication, from what the provider says about the payment
 * now (read again here: neither the client nor the event is trusted for it). Authorized: continue. Declined (the
 * challenge failed) or cancelled: abandon with PAYMENT_DECLINED. Not finished yet: PaymentAuthenticationPendingError
 * (409), nothing changed. An order decided before (a repeated confirm, the webhook and the confirm racing) is
 * answered as it is; one that never waited for authentication is a conflict.
 */
export async function continueAfterAuthentication(
  deps: HeldOrderDeps & { readonly payments: Pick<PaymentProvider, 'paymentState'> },
  order: Order,
  by: string,
  correlationId: string,
): Promise<{ readonly order: Order; readonly started: boolean }> {
  if (!order.paymentAction) {
    throw new PaymentAuthenticationPendingError(`order ${order.orderId} is not waiting for payment authentication`);
  }
  if (order.status !== 'ACTION_REQUIRED' || order.heldDecision) return { order, started: false };
  const state = await deps.payments.paymentState(order.paymentAction.paymentIntentId, correlationId);
  switch (state) {
    case 'authorized':
    case 'captured':
      return decideHeldOrder(deps, order, { decision: 'continue' }, by, correlationId);
    case 'declined':
    case 'voided':
      return decideHeldOrder(deps, order, { decision: 'abandon', reason: 'PAYMENT_DECLINED' }, by, correlationId);
    case 'action_required':
      throw new PaymentAuthenticationPendingError(
        `order ${order.orderId}: the customer has not finished authenticating the payment`,
      );
  }
}

/** Whether the order waits in a held status with no decision yet. */
export function awaitsDecision(order: Order): boolean {
  return heldStatuses.includes(order.status) && !order.heldDecision;
}
