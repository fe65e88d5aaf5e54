import { lambdaBilledMs } from './cost-model';
import { formatMs, formatUsd, table } from './stats';

/**
 * Memory sizing per function: the measured invocations of a function priced at several memory sizes, with a model
 * of how the duration would change. Pure: unit-tested in test/unit/bench-memory-sizing.test.ts.
 *
 * THE MODEL (a model, not a measurement). Lambda gives a function CPU in proportion to its memory: one full vCPU at
 * 1,769 MB, a share of one below it (more vCPUs above it, which single-threaded JavaScript does not use). Each
 * invocation measured offline is split into CPU time (the process's CPU time while it ran, at most its duration) and
 * waiting (the rest: DynamoDB, the payment provider, the event loop). The CPU part is taken as time on one full vCPU
 * and scales with 1 / share; the waiting does not scale at all:
 *
 *     duration(M) = wait + cpu × 1769 / min(M, 1769)
 *
 * so below 1,769 MB the CPU part costs the same GB-seconds at every size and the waiting costs in proportion to
 * memory: a smaller size is never dearer in this model, only slower. What it leaves out: memory the function needs
 * (Max Memory Used in the REPORT line decides whether a size fits), that the offline core is not a Graviton vCPU,
 * and that CPU time offline includes the rest of the offline system's work while the invocation ran.
 */

/** The memory at which a Lambda function has the equivalent of one full vCPU (Lambda developer guide). */
export const fullVcpuMb = 1769;

export interface InvocationSample {
  readonly durationMs: number;
  /** CPU time while it ran; undefined when not measured (then the whole duration counts as CPU: the worst case). */
  readonly cpuMs?: number;
}

export interface SizingInput {
  readonly name: string;
  readonly currentMb: number;
  /** Each measured invocation and what it counts for per order (1 ÷ orders of its window, × the window's weight). */
  readonly samples: readonly { readonly sample: InvocationSample; readonly perOrder: number }[];
}

export interface SizeFigure {
  readonly memoryMb: number;
  /** Modelled mean duration of one invocation. */
  readonly meanDurationMs: number;
  /** Duration cost (GB-seconds × price) per 1,000,000 orders; requests cost the same at every size. */
  readonly usdPerMillionOrders: number;
}

export interface FunctionSizing {
  readonly name: string;
  readonly currentMb: number;
  readonly invocationsPerOrder: number;
  readonly measuredMeanMs: number;
  /** CPU time ÷ duration over the measured invocations; NaN when no CPU time was measured. */
  readonly cpuFraction: number;
  readonly sizes: readonly SizeFigure[];
  readonly cheapestMb: number;
}

export function cpuShare(memoryMb: number): number {
  return Math.min(1, memoryMb / fullVcpuMb);
}

export function modelledDurationMs(sample: InvocationSample, memoryMb: number): number {
  const cpu = Math.min(sample.durationMs, Math.max(0, sample.cpuMs ?? sample.durationMs));
  return sample.durationMs - cpu + cpu / cpuShare(memoryMb);
}

/** The sizes to compare: the three standard ones and the function's current one. */
export function sizesFor(currentMb: number, standard: readonly number[] = [256, 512, 1024]): number[] {
  return [...new Set([...standard, currentMb])].sort((a, b) => a - b);
}

export function sizeFunction(
  input: SizingInput,
  usdPerGbSecond: number,
  sizes: readonly number[] = sizesFor(input.currentMb),
): FunctionSizing {
  const count = input.samples.length;
  const figures = sizes.map((memoryMb) => {
    let durationSum = 0;
    let usdPerOrder = 0;
    for (const { sample, perOrder } of input.samples) {
      const duration = modelledDurationMs(sample, memoryMb);
      durationSum += duration;
      usdPerOrder += perOrder * (lambdaBilledMs(duration) / 1000) * (memoryMb / 1024) * usdPerGbSecond;
    }
    return {
      memoryMb,
      meanDurationMs: count ? durationSum / count : Number.NaN,
      usdPerMillionOrders: usdPerOrder * 1_000_000,
    };
  });
  // The cheapest; a tie goes to the larger size (as cheap, and faster).
  const cheapest = figures.reduce((best, figure) =>
    figure.usdPerMillionOrders <= best.usdPerMillionOrders * (1 + 1e-9) ? figure : best,
  );
  const measured = input.samples.filter(({ sample }) => sample.cpuMs !== undefined);
  const measuredDuration = measured.reduce((sum, { sample }) => sum + sample.durationMs, 0);
  const measuredCpu = measured.reduce(
    (sum, { sample }) => sum + Math.min(sample.durationMs, Math.max(0, sample.cpuMs!)),
    0,
  );
  return {
    name: input.name,
    currentMb: input.currentMb,
    invocationsPerOrder: input.samples.reduce((sum, { perOrder }) => sum + perOrder, 0),
    measuredMeanMs: count ? input.samples.reduce((sum, { sample }) => sum + sample.durationMs, 0) / count : Number.NaN,
    cpuFraction: measuredDuration > 0 ? measuredCpu / measuredDuration : Number.NaN,
    sizes: figures,
    cheapestMb: cheapest.memoryMb,
  };
}

/** The table as printed: one row per function, a modelled duration and a cost column per size, and a total row. */
export function renderMemorySizing(sizings: readonly FunctionSizing[]): string {
  const sizes = [...new Set(sizings.flatMap((sizing) => sizing.sizes.map((size) => size.memoryMb)))].sort(
    (a, b) => a - b,
  );
  const figureAt = (sizing: FunctionSizing, memoryMb: number) =>
    sizing.sizes.find((size) => size.memoryMb === memoryMb);
  const usdAt = (sizing: FunctionSizing, memoryMb: number) => figureAt(sizing, memoryMb)?.usdPerMillionOrders ?? 0;
  const rows = sizings.map((sizing) => [
    sizing.name,
    `${sizing.currentMb}`,
    sizing.invocationsPerOrder.toFixed(2),
    formatMs(sizing.measuredMeanMs),
    Number.isNaN(sizing.cpuFraction) ? 'n/a' : `${(sizing.cpuFraction * 100).toFixed(0)} %`,
    ...sizes.flatMap((memoryMb) => {
      const figure = figureAt(sizing, memoryMb);
      return figure ? [formatMs(figure.meanDurationMs), formatUsd(figure.usdPerMillionOrders)] : ['–', '–'];
    }),
    `${sizing.cheapestMb} MB`,
    formatUsd(usdAt(sizing, sizing.currentMb) - usdAt(sizing, sizing.cheapestMb)),
  ]);
  const total = (memoryMb: (sizing: FunctionSizing) => number) =>
    sizings.reduce((sum, sizing) => sum + usdAt(sizing, memoryMb(sizing)), 0);
  rows.push([
    'all of them',
    '',
    sizings.reduce((sum, sizing) => sum + sizing.invocationsPerOrder, 0).toFixed(2),
    '',
    '',
    ...sizes.flatMap((memoryMb) => ['', formatUsd(total(() => memoryMb))]),
    formatUsd(total((sizing) => sizing.cheapestMb)),
    formatUsd(total((sizing) => sizing.currentMb) - total((sizing) => sizing.cheapestMb)),
  ]);
  return [
    table(
      [
        'function',
        'now MB',
        'invocations/order',
        'measured mean',
        'CPU share',
        ...sizes.flatMap((memoryMb) => [`${memoryMb} MB mean`, `${memoryMb} MB $/1M orders`]),
        'cheapest',
        'now over cheapest',
      ],
      rows,
    ),
    `current choice: ${formatUsd(total((sizing) => sizing.currentMb))} per 1,000,000 orders of Lambda duration ` +
      `(modelled as above, so not the bill's compute line, which takes the offline durations as they are)`,
  ].join('\n');
}
