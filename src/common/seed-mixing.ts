/**
 * The bit mixing every seeded generator starts from (synthetic data, clustering): a seed and stream numbers
 * become unrelated 32-bit words for pure-rand's xoroshiro128+ state.
 */

const TWO_POW_32 = 4294967296;

/** Murmur3's 32-bit finaliser: full avalanche, so neighbouring inputs give unrelated outputs. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** A seed as two 32-bit words, so that every bit of a safe integer counts. */
export function seedWords(seed: number): [number, number] {
  const s = Math.trunc(seed);
  return [(s % TWO_POW_32) | 0, Math.floor(s / TWO_POW_32) | 0];
}
