import { formatRatio, percentile, sequentialDepth, summarize, table } from '../../bench/lib/stats';

describe('percentile (nearest rank)', () => {
  const sorted = Array.from({ length: 100 }, (_, index) => index + 1);

  it('takes the value at the rank that covers p percent of the samples', () => {
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 95)).toBe(95);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 100)).toBe(100);
  });

  it('gives the smallest sample for p = 0 and NaN for no samples', () => {
    expect(percentile(sorted, 0)).toBe(1);
    expect(percentile([], 50)).toBeNaN();
  });

  it('never reads past the end of a short array', () => {
    expect(percentile([3, 7], 99)).toBe(7);
    expect(percentile([3, 7], 50)).toBe(3);
  });
});

describe('summarize', () => {
  it('sorts before ranking, so the order of the samples does not matter', () => {
    const summary = summarize([9, 1, 5, 3, 7]);
    expect(summary).toMatchObject({ count: 5, p50: 5, p95: 9, max: 9, mean: 5 });
  });
});

describe('sequentialDepth', () => {
  it('counts requests made one after another', () => {
    expect(
      sequentialDepth([
        { start: 0, end: 5 },
        { start: 6, end: 9 },
        { start: 10, end: 12 },
      ]),
    ).toBe(3);
  });

  it('counts requests issued together as one round trip', () => {
    expect(
      sequentialDepth([
        { start: 0, end: 5 },
        { start: 1, end: 6 },
        { start: 2, end: 4 },
      ]),
    ).toBe(1);
  });

  it('follows the longest chain through a mix of both', () => {
    // A, then B and C in parallel, then D after both.
    expect(
      sequentialDepth([
        { start: 0, end: 2 },
        { start: 3, end: 5 },
        { start: 3, end: 8 },
        { start: 9, end: 10 },
      ]),
    ).toBe(3);
    expect(sequentialDepth([])).toBe(0);
  });
});

describe('formatting', () => {
  it('writes ratios with a precision that suits their size and refuses a zero baseline', () => {
    expect(formatRatio(250, 2)).toBe('125×');
    expect(formatRatio(25, 2)).toBe('12.5×');
    expect(formatRatio(3, 2)).toBe('1.50×');
    expect(formatRatio(3, 0)).toBe('n/a');
  });

  it('aligns numeric columns to the right', () => {
    const lines = table(
      ['name', 'value'],
      [
        ['a', '1.5'],
        ['bbb', '100.25'],
      ],
    ).split('\n');
    expect(lines[2]).toBe('a        1.5');
    expect(lines[3]).toBe('bbb   100.25');
  });
});
