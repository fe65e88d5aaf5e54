import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Order, OrderStatus } from '../domain/order';
import type { OrderStore } from '../domain/ports';
import { metricNames } from './metric-names';
import { metrics } from './powertools';

/**
 * Publishes how long `order` took from placement to its current status (CONFIRMED or FAILED), by its own timestamps:
 * the metric behind the objective "99.9% of orders end within 5 seconds" (stacks/constructs/service-level-alarms.ts).
 */
export function publishOrderCompletion(order: Order): void {
  // An order held for a risk review waited hours for a person, by design: counting it would make the objective
  // measure the reviewers, and a few percent of orders in review would breach it on every day.
  if (order.heldDecision?.review) return;
  const elapsedMs = Date.parse(order.updatedAt) - Date.parse(order.createdAt);
  if (!Number.isFinite(elapsedMs) || elapsedMs < 0) return;
  // A single metric is flushed at once with the default dimension only (`service`): dimensions the invocation adds
  // later (a failed event publication adds `errorType`) would otherwise split the series the objective watches.
  metrics.singleMetric().addMetric(metricNames.orderCompletionLatency, MetricUnit.Milliseconds, elapsedMs);
}

/**
 * The order store of a saga step that ends orders, reporting each order this step moves into one of `statuses`.
 * A step replayed later (at-least-once delivery) reads the order already there and reports nothing; only two copies
 * of a step running at the same moment can both report it, which is rare and leaves the 99.9th percentile as it is.
 * Every other method is the store's own, unchanged.
 */
export function reportingCompletion<Store extends Pick<OrderStore, 'transition'>>(
  store: Store,
  statuses: readonly OrderStatus[],
  report: (order: Order) => void = publishOrderCompletion,
): Store {
  const transition: OrderStore['transition'] = async (order, to, changes) => {
    const moved = await store.transition(order, to, changes);
    if (moved.status !== order.status && statuses.includes(moved.status)) report(moved);
    return moved;
  };
  return new Proxy(store, {
    get(target, property) {
      if (property === 'transition') return transition;
      const value: unknown = Reflect.get(target, property, target);
      // Bound to the store itself, so its methods see their own fields (private ones included).
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
