import type { Order, OrderStatus } from '../../functions/core/domain/order';
import type { WorkflowStarter } from '../../functions/core/domain/ports';
import {
  failoverLeftover,
  recoverOrders,
  type RecoveryDependencies,
} from '../../functions/core/use-cases/jobs/recover-orders';
import { oneUnitOrder } from '../helpers/fixtures';

/**
 * The recovery job of a promoted region (docs/regions.md): what the promotion found in flight is resumed at once
 * (its execution died with the old active region); what arrived later from the old region's backlog is resumed only
 * if it holds no stock, and otherwise left to an operator; orders written here since the promotion wait for the
 * saga's time limit as always.
 */

const now = new Date('2026-12-03T12:00:00.000Z');
const promotedAt = '2026-12-03T11:59:00.000Z';
const promotion = { epoch: 1, changedAt: promotedAt };
const options = { olderThanSeconds: 360, holdSeconds: 900, promotion };

function order(
  id: string,
  status: OrderStatus,
  fields: { createdAt: string; updatedAt?: string; inheritedEpoch?: number },
) {
  const base = oneUnitOrder({
    orderId: id,
    customerId: 'customer-1',
    status,
    product: { productId: 'p-1', name: 'Widget', price: 500 },
    createdAt: fields.createdAt,
    ...(fields.updatedAt ? { updatedAt: fields.updatedAt } : {}),
    paymentMethod: 'pm_card_visa',
  });
  return { ...base, ...(fields.inheritedEpoch === undefined ? {} : { inheritedEpoch: fields.inheritedEpoch }) };
}

function recovery(orders: readonly Order[]) {
  const started: string[] = [];
  const flagged: { orderId: string; reason: string }[] = [];
  const workflow: WorkflowStarter = {
    start: async (_name, input) => void started.push((input as { orderId: string }).orderId),
  };
  const none: WorkflowStarter = { start: async () => undefined };
  const deps: RecoveryDependencies = {
    findOrders: async (status, before) =>
      orders.filter((candidate) => candidate.status === status && candidate.createdAt < before),
    markFailing: async () => undefined,
    flagForAttention: async (orderId, reason) => void flagged.push({ orderId, reason }),
    workflow,
    compensationWorkflow: none,
    compensations: { schedule: async () => undefined, complete: async () => true, due: async () => [] },
    now: () => now,
  };
  return { deps, started, flagged };
}

it('resumes at once the in-flight orders the promotion found, young as they are', async () => {
  const inherited = order('ord_inherited', 'RESERVED', { createdAt: '2026-12-03T11:58:30.000Z', inheritedEpoch: 1 });
  const pending = order('ord_pending', 'PENDING', { createdAt: '2026-12-03T11:58:50.000Z', inheritedEpoch: 1 });
  const { deps, started, flagged } = recovery([inherited, pending]);
  const result = await recoverOrders(deps, options);
  expect(started.sort()).toEqual(['ord_inherited', 'ord_pending']);
  expect(result.leftovers).toEqual([]);
  expect(flagged).toEqual([]);
});

it('leaves young orders written here since the promotion to their live execution', async () => {
  const live = order('ord_live', 'RESERVED', {
    createdAt: '2026-12-03T11:59:30.000Z',
    updatedAt: '2026-12-03T11:59:31.000Z',
  });
  // Created before the promotion, but moved here since: this region's saga owns it now.
  const moved = order('ord_moved', 'AUTHORIZED', {
    createdAt: '2026-12-03T11:58:00.000Z',
    updatedAt: '2026-12-03T11:59:40.000Z',
    inheritedEpoch: 1,
  });
  const { deps, started } = recovery([live, moved]);
  await recoverOrders(deps, options);
  expect(started).toEqual([]);
});

it("flags the old region's late arrivals that hold stock, and resumes those that hold none", async () => {
  const holding = order('ord_late_reserved', 'RESERVED', { createdAt: '2026-12-03T11:58:40.000Z' });
  const pending = order('ord_late_pending', 'PENDING', { createdAt: '2026-12-03T11:58:45.000Z' });
  const { deps, started, flagged } = recovery([holding, pending]);
  const result = await recoverOrders(deps, options);
  expect(started).toEqual(['ord_late_pending']);
  expect(flagged).toEqual([{ orderId: 'ord_late_reserved', reason: failoverLeftover }]);
  expect(result.leftovers).toEqual(['ord_late_reserved']);
});

it('without a promotion, waits for the time limit as before', async () => {
  const young = order('ord_young', 'RESERVED', { createdAt: '2026-12-03T11:58:30.000Z' });
  const old = order('ord_old', 'RESERVED', { createdAt: '2026-12-03T11:50:00.000Z' });
  const { deps, started, flagged } = recovery([young, old]);
  await recoverOrders(deps, { olderThanSeconds: 360, holdSeconds: 900 });
  expect(started).toEqual(['ord_old']);
  expect(flagged).toEqual([]);
});
