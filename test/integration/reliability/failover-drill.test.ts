import { runFailoverDrill, verdicts, type DrillReport } from '../../../local/drills/failover-drill';

/**
 * The regional failover drill, short (`npm run drill:failover` runs the long one): two offline regions as processes,
 * orders through the failover router, SIGKILL of the primary with its DynamoDB Local, promotion of the standby, the
 * old primary back fenced, failback. With no replication lag nothing may be lost or unbalanced; with a lag, what it
 * cost (stock sold twice) must be exactly what reconciliation finds.
 */

const phaseMs = 4000;

describe.each([0, 2000])('failover drill with %i ms of replication lag', (lagMs) => {
  let report: DrillReport;
  beforeAll(async () => {
    report = await runFailoverDrill({ lagMs, ratePerSecond: 3, beforeKillMs: phaseMs, afterPromotionMs: phaseMs });
    console.log(JSON.stringify({ ...report, promotion: undefined, failback: undefined }));
  }, 240_000);

  it('passes every check of the drill', () => {
    expect(verdicts(report).filter((verdict) => !verdict.passed)).toEqual([]);
  });

  it('promoted the standby without the dead primary, and failed back draining the standby', () => {
    expect(report.promotion).toMatchObject({
      from: 'us-east-1',
      to: 'us-west-2',
      epoch: 1,
      drain: 'old region unreachable',
    });
    expect(report.failback).toMatchObject({ from: 'us-west-2', to: 'us-east-1', epoch: 2, drain: 'drained' });
  });

  it('kept every order acknowledged before the kill, and took writes again in the promoted region', () => {
    expect(report.ackedBeforeKill).toBeGreaterThan(0);
    expect(report.missing).toEqual([]);
    expect(report.recoveryTimeMs).toBeGreaterThan(0);
    expect(report.acked).toBeGreaterThan(report.ackedBeforeKill);
  });
});
