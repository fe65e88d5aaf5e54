import { randomFillSync } from 'node:crypto';
import { monotonicFactory, ulid, type PRNG } from 'ulid';

/**
 * ULIDs drawn from a pool of cryptographically random bytes. The library's default PRNG looks up the crypto object
 * and asks it for a single byte for each of the 16 random characters of every id; under load offline that was about
 * 1 % of the CPU of an order (`npm run profile -- orders`: randomFillSync under ulid's encodeRandom). The bytes are
 * the same kind, fetched 256 at a time.
 */
const pool = new Uint8Array(256);
let next = pool.length;

const pooledRandom: PRNG = () => {
  if (next === pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  return pool[next++]! / 256;
};

/** A new ULID: time-ordered, 80 random bits. */
export const newUlid = (): string => ulid(undefined, pooledRandom);

/** ULIDs that also sort in creation order within one millisecond in this process (order and product ids). */
export const monotonicUlids = () => monotonicFactory(pooledRandom);
