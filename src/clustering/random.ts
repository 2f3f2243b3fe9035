import { xoroshiro128plusFromState } from "pure-rand/generator/xoroshiro128plus";
import type { RandomGenerator } from "pure-rand/types/RandomGenerator";
import { fmix32, seedWords } from "../common/seed-mixing.js";

const TWO_POW_26 = 67108864;
const TWO_POW_53 = 9007199254740992;

/**
 * A seeded generator (pure-rand's xoroshiro128+). Every random choice of the clustering code draws from one of
 * these, derived from the user's seed and a stream number, so a seed fixes every result.
 */
export class Rng {
  private readonly g: RandomGenerator;

  /** `seed`: any safe integer; `stream`: separates independent uses of one seed (initialisation r, a sample…). */
  constructor(seed: number, stream = 0) {
    const [lo, hi] = seedWords(seed);
    const state = [0, 1, 2, 3].map((k) =>
      fmix32(fmix32(lo ^ fmix32(hi + k * 0x9e3779b9)) + fmix32(stream * 0x6b43a9b5 + k)),
    );
    // xoroshiro must not start from the all-zero state.
    if (!state.some((w) => w !== 0)) state[0] = 1;
    this.g = xoroshiro128plusFromState(state);
  }

  /** Uniform in [0, 1) with 53 random bits. */
  float(): number {
    const a = (this.g.next() >>> 0) >>> 5;
    const b = (this.g.next() >>> 0) >>> 6;
    return (a * TWO_POW_26 + b) / TWO_POW_53;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** `m` distinct indices of [0, n) in random order (partial Fisher–Yates; m ≤ n). */
  sample(n: number, m: number): Int32Array {
    const idx = new Int32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    for (let i = 0; i < m; i++) {
      const j = i + this.int(n - i);
      const t = idx[i] as number;
      idx[i] = idx[j] as number;
      idx[j] = t;
    }
    return idx.slice(0, m);
  }
}
