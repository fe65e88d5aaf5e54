import { bundledRiskModel } from '../../functions/core/risk/risk-decision';
import { orderRequest, testProduct } from '../helpers/fixtures';
import { bundledRiskModelFile, startTestSystem, type TestSystem } from '../helpers/local-system';

/**
 * The risk review queue on the whole offline system: the real fraud model scores every shopper's order for review
 * (the review threshold is set to 0 and the reject threshold to 1, so the real model decides, deterministically, in
 * between); the saga parks the order in REVIEW, authorized with its stock held; admins approve or reject it through
 * the continuation workflow, and the recovery job rejects it once its deadline passed.
 */
const lamp = testProduct('prod_review_lamp', 4500, 50);
const chair = testProduct('prod_review_chair', 12_000, 20);

let system: TestSystem;
let admin: string;
let customer: string;

beforeAll(async () => {
  system = await startTestSystem({
    seedCatalog: [lamp, chair],
    riskModelFile: bundledRiskModelFile,
    riskThresholds: { review: 0, reject: 1 },
    // One second: the expiry test needs no waiting; the recovery job runs only when a test runs it.
    reviewDeadlineSeconds: 1,
  });
  admin = await system.tokenFor('review-admin', ['admins']);
  customer = await system.tokenFor('rita');
}, 60_000);

afterAll(async () => {
  await system?.stop();
});

async function waitForStatus(
  orderId: string,
  statuses: string[],
  caller: { token: string; apiKey?: string } = { token: customer },
  timeoutMs = 15_000,
) {
  const deadline = Date.now() + timeoutMs;
  let last: Record<string, unknown> | undefined;
  while (Date.now() < deadline) {
    const { status, body } = await system.call('GET', `/orders/${orderId}`, caller);
    expect(status).toBe(200);
    last = body;
    if (statuses.includes(body.status as string)) return body;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`order ${orderId} not ${statuses.join('/')} within ${timeoutMs} ms (last ${String(last?.status)})`);
}

/** Places an order and waits until the saga parked it for review. */
async function placeForReview(productId = lamp.productId, quantity = 1) {
  const placed = await system.call('POST', '/orders', {
    token: customer,
    body: orderRequest({ items: [{ productId, quantity }], paymentToken: 'pm_card_visa' }),
  });
  expect(placed.status).toBe(202);
  const orderId = placed.body.orderId as string;
  const order = await waitForStatus(orderId, ['REVIEW', 'CONFIRMED', 'FAILED']);
  expect(order.status).toBe('REVIEW');
  // The saga has ended (AwaitingReview): nothing else runs until someone decides.
  await system.runtime.drain(10_000);
  return orderId;
}

const decide = (orderId: string, verdict: 'approve' | 'reject', body: Record<string, unknown> = {}, token = admin) =>
  system.call('POST', `/admin/reviews/${orderId}/${verdict}`, { token, body });

const intentOf = (orderId: string) =>
  system.runtime.payments.paymentIntents().filter((intent) => intent.metadata.orderId === orderId);

const riskFields = /"(risk|review|score|modelVersion|topFeatures|reviewDeadline|heldDecision)"/;

describe('an order the fraud model scores for review', () => {
  it('waits in REVIEW with its stock held and its payment authorized, listed for admins only', async () => {
    const before = await system.available(lamp.productId);
    const orderId = await placeForReview(lamp.productId, 2);
    expect(await system.available(lamp.productId)).toBe(before - 2);
    expect(system.liveAuthorizations(orderId)).toHaveLength(1);

    // The customer sees the order pending review, and nothing of why.
    const own = await system.call('GET', `/orders/${orderId}`, { token: customer });
    expect(own.body.status).toBe('REVIEW');
    expect(JSON.stringify(own.body)).not.toMatch(riskFields);
    const listed = await system.call('GET', '/orders', { token: customer });
    expect(JSON.stringify(listed.body)).toContain(orderId);
    expect(JSON.stringify(listed.body)).not.toMatch(riskFields);
    const history = await system.call('GET', `/orders/${orderId}/history`, { token: customer });
    expect(JSON.stringify(history.body)).not.toMatch(/score|model/i);

    const queue = await system.call('GET', '/admin/reviews', { token: admin });
    expect(queue.status).toBe(200);
    const entry = (queue.body.orders as Record<string, unknown>[]).find((order) => order.orderId === orderId);
    expect(entry).toMatchObject({
      status: 'REVIEW',
      risk: { decision: 'review', source: 'model', modelVersion: bundledRiskModel().version },
      review: { deadline: expect.any(String) },
    });
    expect((entry!.risk as { topFeatures: unknown[] }).topFeatures.length).toBeGreaterThan(0);

    // Customers can neither read the queue nor decide.
    expect((await system.call('GET', '/admin/reviews', { token: customer })).status).toBe(403);
    expect((await decide(orderId, 'approve', {}, customer)).status).toBe(403);
    expect((await system.call('GET', `/orders/${orderId}`, { token: customer })).body.status).toBe('REVIEW');
  });

  it('lists the queue oldest first, a page at a time', async () => {
    const first = await placeForReview();
    const second = await placeForReview();
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await system.call('GET', `/admin/reviews?limit=1${cursor ? `&cursor=${cursor}` : ''}`, {
        token: admin,
      });
      expect(page.status).toBe(200);
      expect((page.body.orders as unknown[]).length).toBeLessThanOrEqual(1);
      seen.push(...(page.body.orders as { orderId: string }[]).map((order) => order.orderId));
      cursor = page.body.nextCursor ? encodeURIComponent(page.body.nextCursor as string) : undefined;
    } while (cursor);
    expect(seen.indexOf(first)).toBeGreaterThanOrEqual(0);
    expect(seen.indexOf(first)).toBeLessThan(seen.indexOf(second));
  });

  it('approved: continues to CONFIRMED; the decision is recorded for support; approving again changes nothing', async () => {
    const orderId = await placeForReview();
    const approved = await decide(orderId, 'approve', { note: 'known customer, called back' });
    expect(approved.status).toBe(200);
    expect(approved.body.review).toMatchObject({
      decision: {
        decision: 'approve',
        by: expect.stringMatching(/^admin:/),
        at: expect.any(String),
        note: 'known customer, called back',
        modelVersion: bundledRiskModel().version,
        score: expect.any(Number),
        topFeatures: expect.any(Array),
      },
    });
    expect((await system.waitForTerminal(orderId, customer)).status).toBe('CONFIRMED');
    expect(intentOf(orderId).map((intent) => intent.status)).toEqual(['requires_capture']);

    const again = await decide(orderId, 'approve', { note: 'a second click' });
    expect(again.status).toBe(200);
    expect((again.body.review as { decision: unknown }).decision).toEqual(
      (approved.body.review as { decision: unknown }).decision,
    );
    const rejectedLate = await decide(orderId, 'reject');
    expect(rejectedLate.status).toBe(409);
    expect(rejectedLate.body.code).toBe('ORDER_STATE_CONFLICT');

    const seenByAdmin = await system.call('GET', `/admin/orders/${orderId}`, { token: admin });
    expect(seenByAdmin.body.review).toMatchObject({
      decision: { decision: 'approve', note: 'known customer, called back' },
    });
    const own = await system.call('GET', `/orders/${orderId}`, { token: customer });
    expect(JSON.stringify(own.body)).not.toMatch(riskFields);
    const events = (await system.publishedEvents()).filter((event) => JSON.stringify(event.detail).includes(orderId));
    expect(events.some((event) => event.detailType === 'order.confirmed')).toBe(true);
    expect(JSON.stringify(events.map((event) => event.detail))).not.toMatch(riskFields);
  });

  it('rejected: its payment is voided, its stock released, and it fails RISK_REJECTED; approving then is a conflict', async () => {
    const before = await system.available(chair.productId);
    const orderId = await placeForReview(chair.productId, 3);
    expect(await system.available(chair.productId)).toBe(before - 3);

    const rejected = await decide(orderId, 'reject', { note: 'card reported stolen' });
    expect(rejected.status).toBe(200);
    expect(rejected.body.review).toMatchObject({ decision: { decision: 'reject', note: 'card reported stolen' } });
    expect(await system.waitForTerminal(orderId, customer)).toMatchObject({
      status: 'FAILED',
      failureReason: 'RISK_REJECTED',
    });
    await system.runtime.drain(10_000);
    expect(await system.available(chair.productId)).toBe(before);
    expect(intentOf(orderId).map((intent) => intent.status)).toEqual(['canceled']);

    expect((await decide(orderId, 'reject')).status).toBe(200);
    const approvedLate = await decide(orderId, 'approve');
    expect(approvedLate.status).toBe(409);
    expect(await system.waitForTerminal(orderId, customer)).toMatchObject({ status: 'FAILED' });
  });

  it('refuses a decision on an order that never waited for review (409) and on an unknown one (404)', async () => {
    const partner = { token: await system.partnerToken(), apiKey: system.apiKey('partner-standard') };
    // A partner's order is decided by the rules (approved), so it never waits for review.
    const placed = await system.call('POST', '/orders', {
      ...partner,
      body: orderRequest({ items: [{ productId: lamp.productId, quantity: 1 }], paymentToken: 'pm_card_visa' }),
    });
    expect(placed.status).toBe(202);
    const orderId = placed.body.orderId as string;
    expect((await waitForStatus(orderId, ['CONFIRMED', 'FAILED'], partner)).status).toBe('CONFIRMED');
    expect((await decide(orderId, 'approve')).status).toBe(409);
    expect((await decide(orderId, 'reject')).status).toBe(409);
    expect((await decide('ord_does_not_exist', 'approve')).status).toBe(404);
  });

  it('left past its deadline: rejected by the recovery job like an admin would, stock and payment given back', async () => {
    const before = await system.available(chair.productId);
    const orderId = await placeForReview(chair.productId, 1);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const result = (await system.runtime.runJob('recover-orders')) as { reviewsExpired: string[] };
    expect(result.reviewsExpired).toContain(orderId);
    expect(await system.waitForTerminal(orderId, customer)).toMatchObject({
      status: 'FAILED',
      failureReason: 'RISK_REJECTED',
    });
    await system.runtime.drain(10_000);
    expect(await system.available(chair.productId)).toBe(before);
    expect(intentOf(orderId).map((intent) => intent.status)).toEqual(['canceled']);
    const seenByAdmin = await system.call('GET', `/admin/orders/${orderId}`, { token: admin });
    expect(seenByAdmin.body.review).toMatchObject({
      decision: { decision: 'reject', by: 'recover-orders', note: 'review deadline passed' },
    });
    // A second run finds nothing left to do, and an admin's late approval is a conflict.
    const again = (await system.runtime.runJob('recover-orders')) as { reviewsExpired: string[] };
    expect(again.reviewsExpired).not.toContain(orderId);
    expect((await decide(orderId, 'approve')).status).toBe(409);
  });
});
