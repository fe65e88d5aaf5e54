import { decodeTime, isValid } from 'ulid';
import { monotonicUlids, newUlid } from '../../functions/core/ulids';

describe('ULIDs from the pooled random bytes', () => {
  it('are valid, carry the current time and never repeat, across many refills of the pool', () => {
    const before = Date.now();
    const ids = Array.from({ length: 5_000 }, () => newUlid());
    const after = Date.now();
    expect(ids.every((id) => isValid(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of [ids[0]!, ids.at(-1)!]) {
      expect(decodeTime(id)).toBeGreaterThanOrEqual(before);
      expect(decodeTime(id)).toBeLessThanOrEqual(after);
    }
  });

  it('use every character of the alphabet in the random part, each about as often', () => {
    // 20,000 ids × 16 random characters over 32 symbols: 10,000 draws each on average.
    const counts = new Map<string, number>();
    for (let i = 0; i < 20_000; i++) {
      for (const char of newUlid().slice(10)) counts.set(char, (counts.get(char) ?? 0) + 1);
    }
    expect(counts.size).toBe(32);
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(9_000);
      expect(count).toBeLessThan(11_000);
    }
  });

  it('sort in creation order from a monotonic factory, within the same millisecond too', () => {
    const next = monotonicUlids();
    const ids = Array.from({ length: 1_000 }, () => next());
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
