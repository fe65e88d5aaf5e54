/**
 * mulberry32: a tiny, well-distributed, seedable PRNG (uniform in [0, 1)). One definition for the fault injector's
 * per-rule streams and the model training's generated data, so a seed means the same draws everywhere.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
