import '../runtime/polyfills';
import { parseArgs } from 'node:util';
import { runFailoverDrill, type DrillReport } from '../drills/failover-drill';
import { runCommand, UsageError } from './lib/data-command';

const usage = `npm run drill:failover [-- options]
The regional failover drill offline (docs/failover-drill.md): two regions as real processes, a replicator with a
lag, a failover router; orders at a steady rate, the primary killed (SIGKILL, its DynamoDB Local included), the
standby promoted, the old primary back as a standby, failback; then what it cost. One run per lag.
  --lags <ms,ms>          replication lags to run (default 0,1500)
  --rate <n>              orders per second (default 4)
  --phase-seconds <n>     seconds of orders before the kill, and again after the promotion (default 6)
  --keep-data             keep each run's data directories
  --json                  print the reports as JSON
Exit status 0 when every run passes: every order acknowledged before the kill exists after failback; with lag 0,
reconciliation finds no violation; with a lag, the oversold units the drill counts equal reconciliation's.`;

/** The checks of one run: what must hold for the drill to pass. */
export function verdicts(report: DrillReport): { readonly check: string; readonly passed: boolean }[] {
  return [
    {
      check: `every order acknowledged before the kill exists after failback (${report.ackedBeforeKillFound}/${report.ackedBeforeKill})`,
      passed: report.missing.length === 0 && report.ackedBeforeKill > 0,
    },
    report.lagMs === 0
      ? {
          check: `no reconciliation violation after failback (${report.reconciliationViolations})`,
          passed: report.reconciliationViolations === 0,
        }
      : {
          check:
            `oversold units: drill ${report.oversoldByDrill} = reconciliation ${report.oversoldByReconciliation}` +
            ` (operational events ${report.oversoldEvents})`,
          passed:
            report.oversoldByDrill === report.oversoldByReconciliation &&
            (report.oversoldByDrill === 0) === (report.oversoldEvents === 0),
        },
  ];
}

function describe(report: DrillReport): string {
  const statuses = Object.entries(report.orders.byStatus)
    .sort(([x], [y]) => x.localeCompare(y))
    .map(([status, count]) => `${status} ${count}`)
    .join(', ');
  const lines = [
    `lag ${report.lagMs} ms  (${(report.durationMs / 1000).toFixed(0)} s)`,
    `  recovery time        ${report.recoveryTimeMs} ms (first failed write → first write accepted by the promoted region)`,
    `    detection          ${report.detectionMs} ms (kill → health check marked the primary unhealthy)`,
    `    promotion          epoch ${report.promotion.epoch}, ${report.promotion.drain}, ${report.promotion.inherited} in-flight order(s) inherited`,
    `  failback             epoch ${report.failback.epoch}, ${report.failback.drain} in ${report.failback.drainMs} ms`,
    `  acknowledged         ${report.acked} order(s), ${report.ackedBeforeKill} before the kill, ${report.ackedBeforeKillFound} of those found after failback`,
    `  orders after         ${report.orders.total} (${statuses})`,
    `  leftovers flagged    ${report.leftovers} (held stock, arrived after the promotion)`,
    `  oversold units       drill ${report.oversoldByDrill}, reconciliation ${report.oversoldByReconciliation}, events ${report.oversoldEvents}`,
    `  reconciliation       ${report.reconciliationViolations} violation(s)`,
    ...report.violationRules.map((rule) => `      ${rule}`),
    `  replication          ${Object.entries(report.replication)
      .map(
        ([direction, stats]) =>
          `${direction} ${stats.applied} applied, ${stats.droppedOlder} older dropped, max ${stats.maxLatencyMs} ms`,
      )
      .join('; ')}`,
  ];
  for (const verdict of verdicts(report)) lines.push(`  ${verdict.passed ? 'PASS' : 'FAIL'}  ${verdict.check}`);
  return lines.join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      lags: { type: 'string' },
      rate: { type: 'string' },
      'phase-seconds': { type: 'string' },
      'keep-data': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const number = (raw: string | undefined, fallback: number, name: string) => {
    const value = raw === undefined ? fallback : Number(raw);
    if (!Number.isFinite(value) || value < 0) throw new UsageError(`--${name} must be a number >= 0`);
    return value;
  };
  const lags = (values.lags ?? '0,1500').split(',').map((raw) => number(raw.trim(), 0, 'lags'));
  const rate = number(values.rate, 4, 'rate');
  const phaseMs = number(values['phase-seconds'], 6, 'phase-seconds') * 1000;
  const started = Date.now();
  const reports: DrillReport[] = [];
  for (const lagMs of lags) {
    const report = await runFailoverDrill({
      lagMs,
      ratePerSecond: rate,
      beforeKillMs: phaseMs,
      afterPromotionMs: phaseMs,
      keepData: values['keep-data'] ?? false,
      log: (line) => console.error(`[lag ${lagMs}] ${line}`),
    });
    reports.push(report);
    if (!values.json) console.log(`${describe(report)}\n`);
  }
  if (values.json) console.log(JSON.stringify(reports, null, 2));
  const passed = reports.every((report) => verdicts(report).every((verdict) => verdict.passed));
  console.log(`drill ${passed ? 'passed' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return passed ? 0 : 1;
}

runCommand('drill:failover', usage, main);
