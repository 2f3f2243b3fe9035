/**
 * Randomness for differential privacy. Every sampler in this folder draws from one primitive, a stream of
 * independent uniformly random 32-bit words (`RandomSource`), and turns it into exact uniform integers and
 * Bernoulli trials by rejection, never by floating-point scaling (which is biased and leaks, Mironov 2012).
 *
 * Released noise comes from node:crypto (`secureRandom`) and is NOT seeded. This is the one documented exception
 * to the project's rule that every random choice takes a seed: noise that can be reproduced can be subtracted,
 * and then it protects nobody. `seededRandomSource` exists so that tests can replay the algorithms exactly.
 */
import { randomFillSync } from "node:crypto";
import { xoroshiro128plusFromState } from "pure-rand/generator/xoroshiro128plus";
import type { RandomGenerator } from "pure-rand/types/RandomGenerator";
import { fmix32, seedWords } from "../common/seed-mixing.js";

const TWO_POW_32 = 4294967296;
const TWO_POW_32N = 4294967296n;

/** Independent, uniformly random 32-bit words: the only thing a sampler asks of its randomness. */
export interface RandomSource {
  /** A uniformly random integer in [0, 2^32). */
  nextUint32(): number;
}

/**
 * Words from the operating system's CSPRNG (node:crypto), fetched a block at a time: one `randomFillSync` per
 * 4096 words instead of a call per word (`crypto.randomInt` costs a call per draw), which is what makes exact
 * sampling cheap: a noisy count costs about a microsecond.
 */
export class CryptoRandomSource implements RandomSource {
  private readonly pool = new Uint32Array(4096);
  private index = this.pool.length;

  nextUint32(): number {
    if (this.index === this.pool.length) {
      randomFillSync(this.pool);
      this.index = 0;
    }
    const word = this.pool[this.index] as number;
    // A used word is wiped: a later look at this process's memory must not give away noise already released.
    this.pool[this.index++] = 0;
    return word;
  }
}

/** The source of all released noise: cryptographic and unseeded (see the file comment). */
export const secureRandom: RandomSource = new CryptoRandomSource();

/**
 * A seeded source (pure-rand's xoroshiro128+, mixed from the seed as in clustering) for reproducible tests of the
 * samplers. Predictable by design, so it must never produce noise that is released.
 */
export function seededRandomSource(seed: number): RandomSource {
  const [lo, hi] = seedWords(seed);
  const state = [0, 1, 2, 3].map((k) => fmix32(fmix32(lo ^ fmix32(hi + k * 0x9e3779b9)) + k * 0x6b43a9b5));
  // xoroshiro must not start from the all-zero state (it would stay there).
  if (!state.some((w) => w !== 0)) state[0] = 1;
  const g: RandomGenerator = xoroshiro128plusFromState(state);
  return { nextUint32: () => g.next() >>> 0 };
}

/**
 * A uniform integer in [0, n) for an integer 1 ≤ n ≤ 2^32. Rejection keeps it exact: words at or above the
 * largest multiple of n are drawn again, so every residue has the same number of preimages.
 */
export function uniformBelowUint32(source: RandomSource, n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32)
    throw new RangeError(`uniformBelowUint32: bad bound ${n}`);
  const limit = TWO_POW_32 - (TWO_POW_32 % n);
  for (;;) {
    const w = source.nextUint32();
    if (w < limit) return w % n;
  }
}

/**
 * A uniform integer in [0, n) for any positive bigint n: as many words as n − 1 has bits, the surplus high bits
 * masked off, and draws ≥ n rejected (fewer than half of them, so under two rounds on average).
 */
export function uniformBelow(source: RandomSource, n: bigint): bigint {
  if (n < 1n) throw new RangeError(`uniformBelow: bad bound ${n}`);
  if (n <= TWO_POW_32N) return BigInt(uniformBelowUint32(source, Number(n)));
  const bits = (n - 1n).toString(2).length;
  const words = Math.ceil(bits / 32);
  const topMask = bits % 32 === 0 ? 0xffffffff : 2 ** (bits % 32) - 1;
  for (;;) {
    // `>>> 0`: a bitwise and gives a signed 32-bit result; the top word must stay unsigned.
    let x = BigInt((source.nextUint32() & topMask) >>> 0);
    for (let k = 1; k < words; k++) x = (x << 32n) | BigInt(source.nextUint32());
    if (x < n) return x;
  }
}

/** True with probability num/den exactly (0 ≤ num ≤ den, den ≥ 1). */
export function bernoulli(source: RandomSource, num: bigint, den: bigint): boolean {
  if (den < 1n || num < 0n || num > den) throw new RangeError(`bernoulli: bad probability ${num}/${den}`);
  if (den <= TWO_POW_32N) return uniformBelowUint32(source, Number(den)) < Number(num);
  return uniformBelow(source, den) < num;
}

/** One fair coin: the top bit of a word. */
export function fairCoin(source: RandomSource): boolean {
  return source.nextUint32() >= 2147483648;
}
