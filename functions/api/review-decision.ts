import { orderStore } from '../core/adapters/dynamodb/stores';
import { continuationStarter } from '../core/adapters/workflow-starter';
import { actorOf, type Caller } from '../core/http/caller';
import { decideReview, type ReviewVerdict } from '../core/use-cases/orders/review-orders';
import { reviewView } from './order-view';

const deps = { orders: orderStore(), continuations: continuationStarter() };

/** The approve and reject routes: the admin's decision on an order in REVIEW, answered with the review view. */
export async function reviewDecision(
  verdict: ReviewVerdict,
  request: {
    readonly path: { readonly orderId: string };
    readonly body: { readonly note?: string | undefined };
    readonly caller: Caller;
    readonly correlationId: string;
  },
) {
  const actor = actorOf(request.caller, 'admin');
  const order = await decideReview(deps, request.path.orderId, verdict, {
    by: `${actor.kind}:${actor.id}`,
    note: request.body.note,
    correlationId: request.correlationId,
  });
  return { body: reviewView(order), headers: { 'cache-control': 'no-store' } };
}
