import {
  cpuShare,
  fullVcpuMb,
  modelledDurationMs,
  renderMemorySizing,
  sizeFunction,
  sizesFor,
} from '../../bench/lib/memory-sizing';

describe('the duration model', () => {
  it('scales the CPU part with 1 / CPU share and leaves the waiting alone', () => {
    const sample = { durationMs: 100, cpuMs: 20 };
    expect(modelledDurationMs(sample, fullVcpuMb)).toBeCloseTo(100);
    expect(modelledDurationMs(sample, fullVcpuMb / 2)).toBeCloseTo(80 + 40);
    // Above one vCPU, single-threaded JavaScript gains nothing.
    expect(modelledDurationMs(sample, 2 * fullVcpuMb)).toBeCloseTo(100);
    expect(cpuShare(256)).toBeCloseTo(256 / 1769);
  });

  it('counts an unmeasured invocation as all CPU, and never more CPU than duration', () => {
    expect(modelledDurationMs({ durationMs: 10 }, fullVcpuMb / 4)).toBeCloseTo(40);
    expect(modelledDurationMs({ durationMs: 10, cpuMs: 25 }, fullVcpuMb / 4)).toBeCloseTo(40);
  });

  it('compares the three standard sizes and the current one', () => {
    expect(sizesFor(512)).toEqual([256, 512, 1024]);
    expect(sizesFor(768)).toEqual([256, 512, 768, 1024]);
  });
});

describe('sizing one function', () => {
  it('prices waiting in proportion to memory: the smallest size is cheapest', () => {
    const sizing = sizeFunction(
      { name: 'confirm-order', currentMb: 512, samples: [{ sample: { durationMs: 10, cpuMs: 0 }, perOrder: 1 }] },
      1,
    );
    expect(sizing.sizes.map((size) => size.usdPerMillionOrders)).toEqual([2_500, 5_000, 10_000]);
    expect(sizing.sizes.map((size) => size.meanDurationMs)).toEqual([10, 10, 10]);
    expect(sizing).toMatchObject({ cheapestMb: 256, invocationsPerOrder: 1, measuredMeanMs: 10, cpuFraction: 0 });
  });

  it('prices CPU the same at every size below one vCPU (up to the 1 ms rounding), but slower', () => {
    const sizing = sizeFunction(
      {
        name: 'check-risk',
        currentMb: 512,
        samples: [
          { sample: { durationMs: 17.69, cpuMs: 17.69 }, perOrder: 0.5 },
          { sample: { durationMs: 17.69, cpuMs: 17.69 }, perOrder: 0.5 },
        ],
      },
      1,
    );
    const [small, medium, large] = sizing.sizes;
    expect(small!.meanDurationMs).toBeCloseTo(17.69 * (1769 / 256));
    expect(large!.meanDurationMs).toBeCloseTo(17.69 * (1769 / 1024));
    expect(medium!.usdPerMillionOrders / small!.usdPerMillionOrders).toBeCloseTo(1, 1);
    expect(large!.usdPerMillionOrders / small!.usdPerMillionOrders).toBeCloseTo(1, 1);
    expect(sizing.cpuFraction).toBe(1);
    expect(sizing.invocationsPerOrder).toBe(1);
  });
});

describe('the printed table', () => {
  it('has a row per function, the cheapest size, what the current choice costs over it, and a total', () => {
    const sizings = [
      sizeFunction(
        { name: 'place-order', currentMb: 512, samples: [{ sample: { durationMs: 10, cpuMs: 5 }, perOrder: 1 }] },
        1,
      ),
      sizeFunction({ name: 'get-order', currentMb: 256, samples: [{ sample: { durationMs: 4 }, perOrder: 1 }] }, 1),
    ];
    const text = renderMemorySizing(sizings);
    expect(text).toMatch(/place-order +512 +1\.00 .* 256 MB/);
    expect(text).toMatch(/get-order +256 .*n\/a/);
    expect(text).toContain('all of them');
    expect(text).toContain('current choice:');
  });
});
