/**
 * Small, dependency-free statistics and formatting helpers shared by the benchmarks and the load test. Pure
 * functions, unit-tested in test/unit/bench-stats.test.ts.
 */

/** The nearest-rank percentile (p in 0..100) of an ascending array; NaN for an empty one. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  if (p <= 0) return sorted[0]!;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

export function median(samples: readonly number[]): number {
  return percentile(ascending(samples), 50);
}

export function mean(samples: readonly number[]): number {
  return samples.length === 0 ? Number.NaN : samples.reduce((sum, value) => sum + value, 0) / samples.length;
}

export function ascending(samples: readonly number[]): number[] {
  return [...samples].sort((a, b) => a - b);
}

export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = ascending(samples);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length === 0 ? Number.NaN : sorted.at(-1)!,
    mean: mean(sorted),
  };
}

/**
 * The number of DynamoDB round trips a caller waited for one after the other: the longest chain of requests in
 * which each starts only after the previous one has finished. Requests that overlap (issued in parallel) share a
 * step of the chain.
 */
export function sequentialDepth(intervals: readonly { readonly start: number; readonly end: number }[]): number {
  const byEnd = [...intervals].sort((a, b) => a.end - b.end);
  const chain: number[] = [];
  let deepest = 0;
  for (let i = 0; i < byEnd.length; i++) {
    let before = 0;
    for (let j = 0; j < i; j++) {
      if (byEnd[j]!.end <= byEnd[i]!.start) before = Math.max(before, chain[j]!);
    }
    chain.push(before + 1);
    deepest = Math.max(deepest, before + 1);
  }
  return deepest;
}

/** `1.2 ms`, `35 ms`, `1.24 s`: three significant figures, the unit that reads best. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(2)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${Math.round(bytes)} B`;
}

/** A ratio as `12.3×`; `n/a` when the baseline is zero or missing. */
export function formatRatio(value: number, baseline: number): string {
  if (!Number.isFinite(value) || !Number.isFinite(baseline) || baseline === 0) return 'n/a';
  const ratio = value / baseline;
  return `${ratio >= 100 ? ratio.toFixed(0) : ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}×`;
}

/** US dollars with enough digits to tell small line items apart. */
export function formatUsd(usd: number): string {
  if (usd === 0) return '$0';
  if (usd >= 100) return `$${usd.toFixed(0)}`;
  if (usd >= 1) return `$${usd.toFixed(2)}`;
  if (usd >= 0.01) return `$${usd.toFixed(3)}`;
  return `$${usd.toPrecision(2)}`;
}

/** Renders rows as a fixed-width text table; numeric-looking cells are right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const numeric = /^[-+$≈~]?[\d.,]+/;
  const line = (cells: readonly string[], alignAll = false) =>
    cells
      .map((cell, column) =>
        column > 0 && (alignAll || numeric.test(cell)) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!),
      )
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map((row) => line(row))].join('\n');
}

/** A part's title line in the printed report. */
export function heading(title: string) {
  console.log(`\n── ${title} ${'─'.repeat(Math.max(3, 116 - title.length))}`);
}
