import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { newUlid } from '../../ulids';
import { transitionEvent } from '../../domain/events';
import type { Order, OrderStatus } from '../../domain/order';
import type { TransitionChanges } from '../../domain/ports';
import { keys } from '../../data/table-design';
import { orderIndexKeys, pendingCompensationItem } from './item-mapping';
import { outboxAttributes } from './outbox-attributes';

/**
 * The two writes of a status transition, for use inside a transaction: the order update, conditional on the order
 * being exactly as read (status and version), and an append-only history entry that carries the event announcing
 * the transition (the outbox), so the change and its event are written together or not at all.
 */
export function transitionWrites(
  tableName: string,
  order: Order,
  to: OrderStatus,
  changes: TransitionChanges,
  at: string,
  /** Further attributes the order update sets in the same write (a refund's list and total). */
  fields: Readonly<Record<string, unknown>> = {},
) {
  const next: Order = {
    ...order,
    status: to,
    updatedAt: at,
    version: order.version + 1,
    ...(changes.failureReason ? { failureReason: changes.failureReason } : {}),
    ...(changes.paymentAuthorizationId ? { paymentAuthorizationId: changes.paymentAuthorizationId } : {}),
    ...(changes.paymentAction ? { paymentAction: changes.paymentAction } : {}),
    ...(changes.reviewDeadline ? { reviewDeadline: changes.reviewDeadline } : {}),
  };
  const index = orderIndexKeys(next);
  const assignments = ['#status = :to', 'updatedAt = :at', 'version = :next', 'GSI2PK = :gsi2pk'];
  const values: Record<string, unknown> = {
    ':to': to,
    ':at': at,
    ':next': next.version,
    ':gsi2pk': index.GSI2PK,
    ':from': order.status,
    ':version': order.version,
  };
  if (changes.failureReason) {
    assignments.push('failureReason = :failureReason');
    values[':failureReason'] = changes.failureReason;
  }
  if (changes.paymentAuthorizationId) {
    assignments.push('paymentAuthorizationId = :authorizationId');
    values[':authorizationId'] = changes.paymentAuthorizationId;
  }
  if (changes.paymentAction) {
    assignments.push('paymentAction = :paymentAction');
    values[':paymentAction'] = changes.paymentAction;
  }
  if (changes.reviewDeadline) {
    assignments.push('reviewDeadline = :reviewDeadline');
    values[':reviewDeadline'] = changes.reviewDeadline;
  }
  for (const [name, value] of Object.entries(fields)) {
    assignments.push(`${name} = :${name}`);
    values[`:${name}`] = value;
  }
  const writes = [
    {
      Update: {
        TableName: tableName,
        Key: keys.order(order.orderId),
        UpdateExpression: `SET ${assignments.join(', ')}`,
        ConditionExpression: '#status = :from AND version = :version',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: values,
      },
    },
    {
      Put: {
        TableName: tableName,
        Item: {
          ...keys.orderHistory(order.orderId, newUlid()),
          entity: 'orderHistory',
          status: to,
          from: order.status,
          at,
          ...(changes.reason ? { reason: changes.reason } : {}),
          ...(changes.actor ? { actor: { kind: changes.actor.kind, id: changes.actor.id } } : {}),
          ...outboxAttributes(changes.event ? changes.event(next) : transitionEvent(next, changes)),
        },
      },
    },
    ...(changes.pendingCompensation
      ? [{ Put: { TableName: tableName, Item: pendingCompensationItem(order.orderId, changes.pendingCompensation) } }]
      : []),
  ];
  return { writes, next };
}

/** Which actions of a cancelled transaction failed their condition (indexes into the TransactItems). */
export function failedConditions(error: unknown): number[] | undefined {
  if (!(error instanceof TransactionCanceledException) && (error as Error)?.name !== 'TransactionCanceledException') {
    return undefined;
  }
  const reasons = (error as TransactionCanceledException).CancellationReasons ?? [];
  return reasons.flatMap((reason, index) => (reason.Code === 'ConditionalCheckFailed' ? [index] : []));
}
