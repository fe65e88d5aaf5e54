import { handlerOf, moduleOf, summarizeProfile, type CpuProfile } from '../../bench/lib/cpu-profile';

const root = '/repo';
const frame = (functionName: string, url: string, lineNumber = 0) => ({
  functionName,
  url,
  lineNumber,
  columnNumber: 0,
});

// root → place-order handler → SDK send (self time), and root → (idle); root → store code → SDK read.
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)', ''), children: [2, 4, 5] },
    { id: 2, callFrame: frame('handler', 'file:///repo/functions/api/place-order.ts', 9), children: [3] },
    { id: 3, callFrame: frame('send', 'file:///repo/node_modules/@smithy/core/dist/index.js', 99) },
    { id: 4, callFrame: frame('(idle)', '') },
    { id: 5, callFrame: frame('getOrder', 'file:///repo/functions/core/adapters/order-store.ts'), children: [6] },
    { id: 6, callFrame: frame('read', 'file:///repo/node_modules/@aws-sdk/core/dist/index.js', 4) },
  ],
  startTime: 1_000,
  endTime: 9_000,
  // Each sample lasts until the next one: 3 → 2 ms, 4 → 3 ms, 6 → 1 ms, 3 → 2 ms (the last sample: 0).
  samples: [3, 4, 6, 3, 6],
  timeDeltas: [0, 2_000, 3_000, 1_000, 2_000],
};

describe('CPU profile summary (npm run profile)', () => {
  it('sums self time per function, module, handler and calling project file, idle apart', () => {
    const summary = summarizeProfile(profile, root);
    expect(summary.totalMs).toBe(8);
    expect(summary.idleMs).toBe(3);
    expect(summary.functions.map(({ name, ms }) => [name, ms])).toEqual([
      ['send @smithy/core:100', 4],
      ['read @aws-sdk/core:5', 1],
    ]);
    expect(summary.modules[0]).toEqual({ name: '@smithy/core', ms: 4, share: 0.8 });
    expect(summary.handlers.map(({ name, ms }) => [name, ms])).toEqual([
      ['api/place-order', 4],
      ['(no handler on the stack)', 1],
    ]);
    expect(summary.callers.map(({ name, ms }) => [name, ms])).toEqual([
      ['functions/api/place-order.ts', 4],
      ['functions/core/adapters/order-store.ts', 1],
    ]);
  });

  it('counts only the samples inside the window', () => {
    // Samples are taken at 1000, 3000, 6000, 7000 and 9000 µs: the window keeps the 2nd and 3rd.
    const summary = summarizeProfile(profile, root, { fromUs: 2_500, toUs: 6_500 });
    expect(summary.totalMs).toBe(4);
    expect(summary.idleMs).toBe(3);
    expect(summary.functions.map(({ name }) => name)).toEqual(['read @aws-sdk/core:5']);
  });

  it('names modules and handlers from script URLs', () => {
    expect(moduleOf('file:///repo/node_modules/a/node_modules/@scope/pkg/x.js', root)).toBe('@scope/pkg');
    expect(moduleOf('node:internal/streams/readable', root)).toBe('node:internal/streams/readable');
    expect(moduleOf('file:///repo/functions/core/x.ts', root)).toBe('functions/core/x.ts');
    expect(moduleOf('', root)).toBe('(V8 / native)');
    expect(handlerOf('file:///repo/functions/saga/check-risk.ts')).toBe('saga/check-risk');
    expect(handlerOf('file:///repo/functions/core/use-cases/saga/check-risk.ts')).toBeUndefined();
  });
});
