import { monitorEventLoopDelay } from 'node:perf_hooks';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../../functions/core/data/table-design';
import {
  paymentProviderTarget,
  type FaultDecision,
  type FaultInjectionConfig,
} from '../../../functions/core/observability/fault-injection';
import { functionNameOf, lambdaContext, loadHandler } from '../../../local/emulators/lambda-context';
import { reconcileLocal } from '../../../local/commands/lib/reconciliation';
import { projectRoot } from '../../../local/runtime/local-runtime';
import { orderSaga, sagaTasks } from '../../../statemachines/order-saga';
import { startTestSystem, type ApiResult, type TestSystem } from '../../helpers/local-system';
import { orderRequest, taskStateNames, testProduct } from '../../helpers/fixtures';
import { chaosRules, recordFaultDecisions } from '../../helpers/faults';
import {
  inPool,
  isTerminal,
  outcomes,
  readHolds,
  readOrders,
  runSeed,
  seededRandom,
  sleep,
  spreadOverCustomers,
  waitUntilSettled,
  withRetries,
  type StoredOrder,
} from '../../helpers/reliability';

/**
 * The saga at scale under chaos: 1,000 orders with about 20% of the invocations of every saga state failing (before
 * or after their work, or slowed down) and about 20% of the payment provider's requests failing, losing their answer
 * or hanging; mixed payment tokens (approved, declined, provider error, no answer); customers cancelling while their
 * order is in flight; operators fulfilling confirmed orders, some of them racing a cancellation. Every order must end
 * terminal, and the reconciliation must find every invariant intact, both as the scheduled job judges (young orders
 * excused) and strictly (nothing is running any more, so nothing is excused).
 *
 * FlagForAttention only runs when a compensation has failed through all of its retries, which these fault rates
 * almost never cause: a second phase makes it run by taking the payment provider down while a few orders compensate,
 * then follows the runbook (docs/runbooks/compensation-failed.md) to settle the flagged orders.
 */

const orderCount = 1000;
/**
 * Backpressure: new orders wait while this many executions run. Everything (gateway, every saga, the provider) shares
 * one event loop here; past its capacity requests queue for tens of seconds, provider calls time out by the hundred
 * and the breaker opens, which tests overload, not faults. RELIABILITY_OVERLOAD=1 lifts the limit (see the report:
 * it reproduces orphaned authorizations).
 */
const overload = process.env.RELIABILITY_OVERLOAD === '1';
/** Short here: the run waits for it once all sagas ended, then runs the recovery job (the schedule's role in AWS). */
const paymentSettleSeconds = 3;
const submitConcurrency = overload ? 80 : 40;
const maxRunningExecutions = overload ? Infinity : 60;
const customerCount = 100;
const ordersPerCustomer = 12;
const cancelCount = 40;
const fulfilCount = 40;
const raceCount = 10;
const settleTimeoutMs = 240_000;

const seed = runSeed();

// Plenty of most products, and one that runs out, so stock-outs and their compensation happen under faults too.
const catalog = [
  testProduct('prod_scale_beans', 990, 3000),
  testProduct('prod_scale_filters', 590, 3000),
  testProduct('prod_scale_kettle', 5900, 800),
  testProduct('prod_scale_mug', 3500, 60),
];

const sagaStates = taskStateNames(orderSaga.definitionFile);
const faultTargets = [...sagaStates, paymentProviderTarget];

// About 20% per state: 8% fail before their work, 8% after it (the instance dies with the work done), 4% slow.
const faults: FaultInjectionConfig = {
  seed,
  rules: chaosRules(sagaStates, { error: 0.08, crashAfter: 0.08, delay: 0.04, delayMs: 25 }),
};

let system: TestSystem;
let admin: string;
const injected: FaultDecision[] = [];

beforeAll(async () => {
  console.log(`faults-at-scale: seed ${seed} (RELIABILITY_SEED=${seed} repeats the order mix and the fault draws)`);
  recordFaultDecisions(injected);
  system = await startTestSystem({
    seedCatalog: catalog,
    faults,
    throttling: false,
    // One process runs the gateway, every saga and the provider here, on a shared 2-core machine: its event loop
    // lags by up to seconds (the run logs it), so a short deadline times out healthy requests that the provider then
    // processes after the saga gave up (see the report: orphaned authorizations). The production value of cdk.json's
    // dev environment is 3000 ms. Only pm_card_sandbox_timeout and the injected timeouts should exceed this one; pm_card_sandbox_timeout
    // hangs longer than all six requests of an authorization (3 invocations x 2 requests).
    paymentTimeoutMs: overload ? 1500 : 4000,
    paymentHangMs: overload ? 15_000 : 30_000,
    paymentSettleSeconds,
    // The production breaker: a 20% error rate is no outage.
    paymentBreaker: { threshold: 10, halfOpenAfterMs: 5000 },
    // A DynamoDB Local of its own (in memory, on a free port, stopped with the system): after a long run the shared
    // one answers the next run's hot-item transactions several times slower (seen: 500 orders accepted in 200 s
    // instead of 25 s, steps timing out), so one run would measure the one before.
    dynamoDbEndpoint: undefined,
  });
  admin = await system.tokenFor('admin', ['admins']);
}, 60_000);

afterAll(async () => {
  system?.runtime.payments.setOutage(undefined);
  await system?.stop();
  jest.restoreAllMocks();
});

/** A request with an Idempotency-Key, repeated while the answer says to (see `withRetries`). */
function send(method: string, path: string, token: string, idempotencyKey: string, body?: unknown): Promise<ApiResult> {
  return withRetries(() =>
    system.call(method, path, {
      token,
      ...(body === undefined ? {} : { body }),
      headers: { 'idempotency-key': idempotencyKey },
    }),
  );
}

/** Polls one order (table read) until it leaves the saga's path, up to a deadline. */
async function settledStatus(orderId: string, timeoutMs: number): Promise<StoredOrder | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (let round = 0; Date.now() < deadline && round < 2000; round++) {
    const order = (await readOrders(system.runtime.documentClient, system.runtime.tableName, [orderId])).get(orderId);
    if (order && !['PENDING', 'RESERVED', 'AUTHORIZED'].includes(order.status)) return order;
    await sleep(150);
  }
  return undefined;
}

const holdsOf = (orderId: string) => readHolds(system.runtime.documentClient, system.runtime.tableName, orderId);

type Action = 'cancel' | 'fulfil' | 'race' | undefined;

it(`keeps ${orderCount} orders exact under ~20% faults on every saga state and the provider`, async () => {
  const started = Date.now();
  const lag = monitorEventLoopDelay({ resolution: 20 });
  lag.enable();
  const random = seededRandom(seed);
  const owners = spreadOverCustomers(random, orderCount, customerCount, ordersPerCustomer);
  const tokens = await Promise.all(
    Array.from({ length: customerCount }, (_, customer) => system.tokenFor(`scale-${seed}-c${customer}`)),
  );
  const placements = owners.map((customer, index) => {
    const lines = new Map<string, number>();
    for (let line = 0, count = random.between(1, 2); line < count; line++) {
      const productId = catalog[random.int(catalog.length)]!.productId;
      lines.set(productId, (lines.get(productId) ?? 0) + random.between(1, 3));
    }
    const draw = random();
    const paymentToken =
      draw < 0.84
        ? 'pm_card_visa'
        : draw < 0.92
          ? 'pm_card_chargeDeclined'
          : draw < 0.97
            ? 'pm_card_chargeDeclinedProcessingError'
            : 'pm_card_sandbox_timeout';
    return {
      index,
      customer,
      key: `scale-${seed}-${index}`,
      body: orderRequest({ items: [...lines].map(([productId, quantity]) => ({ productId, quantity })), paymentToken }),
      action: undefined as Action,
    };
  });
  // Customers cancel some orders while they are in flight; operators fulfil some approved ones, and some of those
  // fulfilments race a cancellation.
  const shuffled = random.shuffle(placements);
  for (const placement of shuffled.slice(0, cancelCount)) placement.action = 'cancel';
  const approved = shuffled.slice(cancelCount).filter((placement) => placement.body.paymentToken === 'pm_card_visa');
  for (const placement of approved.slice(0, fulfilCount)) placement.action = 'fulfil';
  for (const placement of approved.slice(fulfilCount, fulfilCount + raceCount)) placement.action = 'race';

  const actionResults: { action: Action; orderId: string; statuses: number[] }[] = [];
  const actions: Promise<void>[] = [];
  const act = async (action: Action, orderId: string, token: string, delayMs: number) => {
    if (action === 'cancel') {
      await sleep(delayMs);
      const cancelled = await send('POST', `/orders/${orderId}/cancel`, token, `cancel-${orderId}`);
      actionResults.push({ action, orderId, statuses: [cancelled.status] });
      return;
    }
    const order = await settledStatus(orderId, 120_000);
    if (order?.status !== 'CONFIRMED') {
      actionResults.push({ action, orderId, statuses: [] });
      return;
    }
    const fulfil = send('POST', `/admin/orders/${orderId}/fulfill`, admin, `fulfil-${orderId}`);
    const cancel =
      action === 'race'
        ? sleep(delayMs % 20).then(() => send('POST', `/orders/${orderId}/cancel`, token, `cancel-${orderId}`))
        : undefined;
    const answers = await Promise.all([fulfil, ...(cancel ? [cancel] : [])]);
    actionResults.push({ action, orderId, statuses: answers.map((answer) => answer.status) });
  };

  let backpressureWaits = 0;
  const placed = await inPool(placements, submitConcurrency, async (placement) => {
    const running = () => system.runtime.saga.running + system.runtime.cancellations.running;
    for (let round = 0; running() >= maxRunningExecutions && round < 600; round++) {
      if (round === 0) backpressureWaits++;
      await sleep(50);
    }
    const result = await send('POST', '/orders', tokens[placement.customer]!, placement.key, placement.body);
    const orderId = result.body.orderId as string | undefined;
    if (result.status === 202 && orderId && placement.action) {
      actions.push(act(placement.action, orderId, tokens[placement.customer]!, random.int(400)));
    }
    return { status: result.status, orderId: orderId ?? '' };
  });
  const acceptedMs = Date.now() - started;
  expect(placed.filter((result) => result.status !== 202)).toEqual([]);
  const orderIds = placed.map((result) => result.orderId);
  expect(new Set(orderIds).size).toBe(orderCount);

  await Promise.all(actions);
  await waitUntilSettled(
    system.runtime.documentClient,
    system.runtime.tableName,
    orderIds,
    settleTimeoutMs,
    (order, orderId) => {
      const runs = system.runtime.saga.list().filter((execution) => execution.name.startsWith(orderId));
      return `${orderId}=${order?.status ?? 'missing'} (sagas: ${runs.map((run) => `${run.status} ${run.error ?? ''}`).join(', ')})`;
    },
  );
  const settledMs = Date.now() - started;
  lag.disable();
  // Compensations (of the saga or of a cancellation) may still run after an order looks terminal.
  expect(await system.runtime.drain(60_000)).toBe(true);
  // An authorization the provider made after the saga gave up on it (and after its void looked) is voided when the
  // recovery job reruns the compensations of orders whose payment failed, once late answers have settled.
  // A run reruns at most 100 of them and pushes each back before it does; the schedule runs it every minute. Run it
  // as the schedule would until a run finds none left: 1000 orders under these faults can leave more than 100.
  await new Promise((resolve) => setTimeout(resolve, paymentSettleSeconds * 1000));
  const rerun = { compensated: [] as string[], runs: 0 };
  while (rerun.runs < 50) {
    rerun.runs++;
    const run = (await system.runtime.runJob('recover-orders')) as { compensated: string[] };
    if (run.compensated.length === 0) break;
    rerun.compensated.push(...run.compensated);
  }
  expect(await system.runtime.drain(60_000)).toBe(true);
  const final = await readOrders(system.runtime.documentClient, system.runtime.tableName, orderIds);
  const all = [...final.values()];

  const report = await reconcileLocal(system.runtime);
  // Nothing runs any more: no order is young enough to be excused, no cancellation still compensating.
  const strict = await reconcileLocal(system.runtime, {
    policy: { sagaTimeLimitSeconds: 0, cancellationTimeLimitSeconds: 0, graceSeconds: 0 },
  });

  const byToken: Record<string, Record<string, number>> = {};
  for (const token of new Set(placements.map((placement) => placement.body.paymentToken))) {
    byToken[token] = outcomes(
      placements
        .filter((placement) => placement.body.paymentToken === token)
        .map((placement) => final.get(placed[placement.index]!.orderId)!),
    );
  }
  const actionSummary: Record<string, number> = {};
  for (const result of actionResults) {
    const key = `${result.action}:${result.statuses.join('+') || 'not-confirmed'}->${final.get(result.orderId)?.status}`;
    actionSummary[key] = (actionSummary[key] ?? 0) + 1;
  }
  const flagged = all.filter((order) => order.attention !== undefined);
  console.log(
    [
      `faults-at-scale (seed ${seed}): ${orderCount} orders accepted in ${acceptedMs} ms, settled in ${settledMs} ms ` +
        `(${submitConcurrency} concurrent requests, at most ${maxRunningExecutions} running executions: ` +
        `${backpressureWaits} orders waited); event loop delay p50 ${ms(lag.percentile(50))}, p99 ` +
        `${ms(lag.percentile(99))}, max ${ms(lag.max)}`,
      `  outcomes ${JSON.stringify(outcomes(all))}`,
      `  by payment token ${JSON.stringify(byToken)}`,
      `  cancellations and fulfilments ${JSON.stringify(actionSummary)}`,
      `  flagged for attention: ${flagged.length} ${flagged.map((order) => `${order.orderId}=${order.status}`).join(' ')}`,
      `  faults injected ${JSON.stringify(countFaults(injected))} (${injected.filter((f) => f.mode !== 'delay').length} failures)`,
      `  saga executions ${system.runtime.saga.list().length}, cancellation executions ${system.runtime.cancellations.list().length}`,
      `  compensations rerun by the recovery job after payments settled: ${rerun.compensated.length} in ${rerun.runs} runs`,
      `  reconciliation: ${report.violations.length} violations (strict: ${strict.violations.length}); ` +
        `${JSON.stringify(report.counts.ordersByStatus)}; ${report.counts.payments} payments, ${report.counts.holds} holds`,
    ].join('\n'),
  );

  // Evidence for whoever has to explain a failure: why orders were flagged, and the story of each violating order.
  if (flagged.length > 0 || report.violations.length > 0 || strict.violations.length > 0) {
    console.log(await diagnose([...report.violations, ...strict.violations]));
  }
  // 100% terminal; an order flagged for an operator is listed above and must be acknowledged by the reconciliation.
  expect(all).toHaveLength(orderCount);
  expect(all.filter((order) => !isTerminal(order) && order.attention === undefined)).toEqual([]);
  expect(report.violations).toEqual([]);
  expect(strict.violations).toEqual([]);
  // A cancellation is refused only once the order has failed or been fulfilled (never because it raced a saga step),
  // and a fulfilment and a cancellation racing each other never both win.
  const unexpectedActionOutcomes: string[] = [];
  for (const { action, orderId, statuses } of actionResults) {
    const status = final.get(orderId)!.status;
    const expected =
      action === 'cancel'
        ? statuses[0] === 200
          ? ['CANCELLED']
          : ['FAILED', 'FULFILLED']
        : statuses.length === 0
          ? ['FAILED', 'CANCELLED']
          : statuses[0] === 200
            ? ['FULFILLED']
            : ['CANCELLED'];
    const bothWon = action === 'race' && statuses.length === 2 && statuses.every((code) => code === 200);
    if (!expected.includes(status) || bothWon) {
      unexpectedActionOutcomes.push(`${action} ${orderId}: answered ${statuses.join('+')}, ended ${status}`);
    }
  }
  expect(unexpectedActionOutcomes).toEqual([]);
  // Cancelled orders gave everything back: no holds, no live payment, no captured one left unrefunded (a refunded
  // PaymentIntent stays `succeeded` at Stripe; its charge says it was refunded).
  const refundedCharges = new Set(
    system.runtime.payments
      .charges()
      .filter((charge) => charge.refunded)
      .map((charge) => charge.id),
  );
  for (const order of all.filter((candidate) => candidate.status === 'CANCELLED')) {
    expect(await holdsOf(order.orderId)).toEqual([]);
    expect(
      system.runtime.payments
        .paymentIntents()
        .filter(
          (payment) =>
            payment.metadata.orderId === order.orderId &&
            (payment.status === 'requires_capture' ||
              (payment.status === 'succeeded' && !refundedCharges.has(payment.latest_charge ?? ''))),
        ),
    ).toEqual([]);
  }
  // The mix really happened: approvals, declines, stock-outs, cancellations and fulfilments.
  const counts = outcomes(all);
  for (const outcome of ['CONFIRMED', 'FULFILLED', 'CANCELLED', 'FAILED:PAYMENT_DECLINED', 'FAILED:PAYMENT_ERROR']) {
    expect(counts[outcome] ?? 0).toBeGreaterThan(0);
  }

  // Phase 2: make FlagForAttention run. The provider goes down while orders need a void; their compensation fails
  // through its retries and the saga flags them. A bounded number of rounds, until a fault has hit FlagForAttention.
  const outageOrders: string[] = [];
  for (let round = 0; round < 5; round++) {
    const hitFlag = () => injected.some((fault) => fault.target === 'FlagForAttention' && fault.mode !== 'delay');
    if (round > 0 && hitFlag()) break;
    system.runtime.payments.setOutage('error');
    try {
      const batch = await Promise.all(
        Array.from({ length: 10 }, (_, index) =>
          send(
            'POST',
            '/orders',
            tokens[index]!,
            `scale-${seed}-outage-${round}-${index}`,
            orderRequest({
              items: [{ productId: 'prod_scale_beans', quantity: 1 }],
              paymentToken: 'pm_card_visa',
            }),
          ),
        ),
      );
      for (const result of batch) expect(result.status).toBe(202);
      const ids = batch.map((result) => result.body.orderId as string);
      outageOrders.push(...ids);
      await waitUntilSettled(system.runtime.documentClient, system.runtime.tableName, ids, 60_000);
      expect(await system.runtime.drain(30_000)).toBe(true);
    } finally {
      system.runtime.payments.setOutage(undefined);
    }
  }
  const outage = [
    ...(await readOrders(system.runtime.documentClient, system.runtime.tableName, outageOrders)).values(),
  ];
  const outageFlagged = outage.filter((order) => order.attention !== undefined);
  // Phase 1 can leave a few orders flagged and not terminal too (a compensation that kept failing under injected
  // faults): an operator runs the same runbook for them.
  const stillFlagged = flagged.filter((order) => !isTerminal(order));
  // The runbook: void the payment, release the stock, fail the order; each step idempotent, retried on faults.
  const runbook = Object.fromEntries(
    await Promise.all(
      (['VoidPaymentFunctionArn', 'ReleaseStockFunctionArn', 'MarkOrderFailedFunctionArn'] as const).map(
        async (placeholder) => [placeholder, await loadHandler(projectRoot, sagaTasks[placeholder])] as const,
      ),
    ),
  );
  for (const order of [...stillFlagged, ...outageFlagged]) {
    for (const [placeholder, input] of [
      ['VoidPaymentFunctionArn', { orderId: order.orderId }],
      ['ReleaseStockFunctionArn', { orderId: order.orderId }],
      ['MarkOrderFailedFunctionArn', { orderId: order.orderId, reason: 'INTERNAL_ERROR' }],
    ] as const) {
      for (let attempt = 0; ; attempt++) {
        try {
          await runbook[placeholder]!(input, lambdaContext(functionNameOf(sagaTasks[placeholder])));
          break;
        } catch (error) {
          // Injected faults are still on: retry as an operator would, a bounded number of times.
          if (attempt === 10) throw error;
        }
      }
    }
  }
  const afterRunbook = await reconcileLocal(system.runtime, {
    policy: { sagaTimeLimitSeconds: 0, cancellationTimeLimitSeconds: 0, graceSeconds: 0 },
  });
  const settledOutage = [
    ...(await readOrders(system.runtime.documentClient, system.runtime.tableName, outageOrders)).values(),
  ];
  const settledStillFlagged = [
    ...(
      await readOrders(
        system.runtime.documentClient,
        system.runtime.tableName,
        stillFlagged.map((order) => order.orderId),
      )
    ).values(),
  ];
  console.log(
    `faults-at-scale phase 2: provider outage for ${outageOrders.length} orders: ${JSON.stringify(outcomes(outage))} ` +
      `before the runbook, ${JSON.stringify(outcomes(settledOutage))} after; faults on FlagForAttention ` +
      `${JSON.stringify(countFaults(injected.filter((fault) => fault.target === 'FlagForAttention')))}; ` +
      `the runbook also ran for ${stillFlagged.length} orders phase 1 left flagged; ` +
      `reconciliation after the runbook: ${afterRunbook.violations.length} violations, ` +
      `${afterRunbook.attention.length} flagged (findings ${afterRunbook.attention.reduce((sum, entry) => sum + entry.findings.length, 0)})`,
  );
  expect(outageFlagged.length).toBeGreaterThan(0);
  expect(settledOutage.filter((order) => order.status !== 'FAILED')).toEqual([]);
  expect(settledStillFlagged.filter((order) => order.status !== 'FAILED')).toEqual([]);
  expect(afterRunbook.violations).toEqual([]);
  // The flag stays for the record, but nothing is wrong with the flagged orders any more.
  expect(afterRunbook.attention.flatMap((entry) => entry.findings)).toEqual([]);

  // Faults really hit every saga state (failures, not only delays) and the provider.
  const failures = countFaults(injected.filter((fault) => fault.mode !== 'delay'));
  expect(faultTargets.filter((target) => !failures[target])).toEqual([]);
}, 420_000);

/** Why orders were flagged (the attention queue), and for each violating order its history, payments and sagas. */
async function diagnose(violations: readonly { rule: string; ids: readonly string[] }[]): Promise<string> {
  const errors: Record<string, number> = {};
  for (const message of system.runtime.aws.queueMessages(process.env.ATTENTION_QUEUE_URL!)) {
    const error = (message.body as { error?: { Error?: string; Cause?: string } }).error;
    const key = `${error?.Error}: ${error?.Cause?.slice(0, 100)}`;
    errors[key] = (errors[key] ?? 0) + 1;
  }
  const lines = [`diagnosis: flagged because ${JSON.stringify(errors)}`];
  for (const violation of violations.slice(0, 6)) {
    const orderId = violation.ids[0]!;
    const { Items = [] } = await system.runtime.documentClient.send(
      new QueryCommand({
        TableName: system.runtime.tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :history)',
        ExpressionAttributeValues: { ':pk': keys.order(orderId).PK, ':history': 'HISTORY#' },
        ConsistentRead: true,
      }),
    );
    const history = Items.map(
      (item) => `${String(item.at).slice(11)} ${String(item.from)}->${String(item.status)} (${String(item.reason)})`,
    );
    const payments = system.runtime.payments
      .paymentIntents()
      .filter((payment) => payment.metadata.orderId === orderId)
      .map((payment) => `${new Date(payment.created * 1000).toISOString().slice(11)} ${payment.id} ${payment.status}`);
    const runs = [...system.runtime.saga.list(), ...system.runtime.cancellations.list()]
      .filter((run) => run.name.startsWith(orderId))
      .map(
        (run) =>
          `${run.executionArn.split(':')[6]} ${run.startDate.toISOString().slice(11)}-` +
          `${run.stopDate?.toISOString().slice(11)} ${run.status} ${run.error ?? ''} ${run.output?.slice(0, 300) ?? ''}`,
      );
    // The sandbox's request log: every attempt of the authorization (its idempotency key names the order).
    const calls = system.runtime.payments
      .requests()
      .filter((request) => request.idempotencyKey === `${orderId}:authorize`)
      .map((request) => request.at.slice(11));
    lines.push(
      `  [${violation.rule}] ${orderId}: ${JSON.stringify({ history, payments, runs, authorizeRequests: calls })}`,
    );
  }
  return lines.join('\n');
}

const ms = (nanoseconds: number) => `${Math.round(nanoseconds / 1e6)} ms`;

function countFaults(decisions: readonly FaultDecision[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const fault of decisions) counts[fault.target] = (counts[fault.target] ?? 0) + 1;
  return counts;
}
