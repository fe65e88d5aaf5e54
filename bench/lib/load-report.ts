import { classify, describeClientErrors, requestKinds } from './load-plan';
import type { StepResult } from './load-step';
import { formatMs, summarize, table } from './stats';

/** The tables `npm run loadtest` ends with: each phase's throughput, latency and error classes, then latency by kind. */
export function report(results: readonly StepResult[]) {
  const rows = results.map(({ step, result }) => {
    const classes = classify(result.statusCodeStats ?? {}, result.errors, result.timeouts);
    const total = result.requests.total;
    return [
      step.label,
      `${step.connections}`,
      `${step.seconds.toFixed(0)} s`,
      `${total}`,
      (total / Math.max(result.duration, 0.001)).toFixed(1),
      formatMs(result.latency.p50),
      formatMs(result.latency.p90),
      formatMs(result.latency.p99),
      formatMs(result.latency.max),
      `${classes.ok2xx}`,
      describeClientErrors(classes.clientErrors),
      `${classes.server5xx}`,
      `${classes.timeouts}`,
      `${classes.connectionErrors}`,
    ];
  });
  console.log(
    table(
      [
        'phase',
        'conns',
        'time',
        'requests',
        'req/s',
        'p50',
        'p90',
        'p99',
        'max',
        '2xx',
        '4xx by status',
        '5xx',
        'timeouts',
        'conn errors',
      ],
      rows,
    ),
  );

  console.log('\nLatency by request kind (time from sending to the parsed response, all phases of a kind together)');
  const phases = ['ramp', 'steady', 'spike'] as const;
  const kindRows: string[][] = [];
  for (const phase of phases) {
    const inPhase = results.filter((result) => result.step.phase === phase);
    if (inPhase.length === 0) continue;
    for (const kind of requestKinds) {
      const samples = inPhase.flatMap((result) => result.latencyByKind.get(kind) ?? []);
      if (samples.length === 0) continue;
      const summary = summarize(samples);
      kindRows.push([
        phase,
        kind,
        `${summary.count}`,
        formatMs(summary.p50),
        formatMs(summary.p95),
        formatMs(summary.p99),
      ]);
    }
  }
  console.log(table(['phase', 'kind', 'responses', 'p50', 'p95', 'p99'], kindRows));
}
