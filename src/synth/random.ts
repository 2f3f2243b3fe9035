/**
 * Seeded randomness for the synthetic data generator.
 *
 * Every customer gets its own generator derived from (seed, customer index, stream), so the
 * values drawn for a customer never depend on how many draws earlier customers made: chunking,
 * batching or changing one customer's activity cannot shift anybody else's data.
 */

import gammainc from "@stdlib/math-base-special-gammainc";
import gammaln from "@stdlib/math-base-special-gammaln";
import { xoroshiro128plusFromState } from "pure-rand/generator/xoroshiro128plus";
import type { RandomGenerator } from "pure-rand/types/RandomGenerator";
import { fmix32, seedWords } from "../common/seed-mixing.js";

const TWO_POW_32 = 4294967296;
const TWO_POW_52 = 4503599627370496;
const TWO_POW_53 = 9007199254740992;

/** Mixes any number of 32-bit words into one (order-sensitive). */
export function hash32(...words: number[]): number {
  let h = 0x9e3779b9;
  for (const w of words) h = fmix32(h ^ fmix32(Math.imul(w | 0, 0xcc9e2d51) + 0x6b43a9b5));
  return h;
}

/**
 * A pure-rand xoroshiro128+ generator for (seed, index, stream).
 * `stream` separates independent uses for the same customer (profile, dirt, …).
 */
export function subStream(seed: number, index: number, stream: number): RandomGenerator {
  const [lo, hi] = seedWords(seed);
  const state = [0, 1, 2, 3].map((k) => hash32(lo, hi, index, stream, k));
  // xoroshiro must not start from the all-zero state (it would stay there forever).
  if (!state.some((w) => w !== 0)) state[0] = 1;
  return xoroshiro128plusFromState(state);
}

/** ln Γ(x) (@stdlib's port of the Cephes/Boost routine). */
export const logGamma: (x: number) => number = gammaln;

/** Regularised lower incomplete gamma P(shape, x): the CDF of Gamma(shape, rate 1) at x (@stdlib). */
export function gammaCdf(shape: number, x: number): number {
  return x <= 0 ? 0 : gammainc(x, shape);
}

/** Density of Beta(a, b) at u in (0, 1); used to tilt persona choice by value quantiles. */
export function betaPdf(u: number, a: number, b: number): number {
  const lnB = logGamma(a) + logGamma(b) - logGamma(a + b);
  return Math.exp((a - 1) * Math.log(u) + (b - 1) * Math.log(1 - u) - lnB);
}

/**
 * Distributions over one pure-rand generator. Mutates the generator in place (pure-rand's
 * impure API) because allocating a new generator per draw would dominate the run time.
 */
export class Random {
  private spare = Number.NaN;

  constructor(private readonly gen: RandomGenerator) {}

  /** Uniform on [0, 1) with 53 random bits. */
  float(): number {
    const hi = this.gen.next() >>> 5; // 27 bits
    const lo = this.gen.next() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / TWO_POW_53;
  }

  /** Uniform on (0, 1): safe for logarithms. */
  open(): number {
    // 52 bits so that k + 0.5 stays exact in a double.
    const hi = this.gen.next() >>> 5; // 27 bits
    const lo = this.gen.next() >>> 7; // 25 bits
    return (hi * 33554432 + lo + 0.5) / TWO_POW_52;
  }

  /** Uniform on [0, 1) with 32 random bits: enough for picking among a few options, one call cheaper. */
  quick(): number {
    return (this.gen.next() >>> 0) / TWO_POW_32;
  }

  /** Integer uniform on [0, n). */
  int(n: number): number {
    return Math.floor(this.quick() * n);
  }

  /** Integer uniform on [lo, hi] (inclusive). */
  between(lo: number, hi: number): number {
    return lo + Math.floor(this.quick() * (hi - lo + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.quick() < p;
  }

  /** One element of a non-empty array, uniformly. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.quick() * items.length)] as T;
  }

  /** An index drawn with probability proportional to `weights`. */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let u = this.quick() * total;
    for (let i = 0; i < weights.length; i++) {
      u -= weights[i] as number;
      if (u < 0) return i;
    }
    return weights.length - 1;
  }

  /** An index from precomputed cumulative weights (last entry = total); binary search. */
  cumulative(cum: Float64Array | readonly number[]): number {
    const u = this.quick() * (cum[cum.length - 1] as number);
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (u < (cum[mid] as number)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Standard normal (Box–Muller, the second value kept for the next call). */
  normal(mean = 0, sd = 1): number {
    if (!Number.isNaN(this.spare)) {
      const z = this.spare;
      this.spare = Number.NaN;
      return mean + sd * z;
    }
    const r = Math.sqrt(-2 * Math.log(this.open()));
    const t = 2 * Math.PI * this.float();
    this.spare = r * Math.sin(t);
    return mean + sd * r * Math.cos(t);
  }

  /** Exponential with the given rate (mean 1/rate). */
  exponential(rate: number): number {
    return -Math.log(this.open()) / rate;
  }

  /** Gamma(shape, rate): mean shape/rate. Marsaglia–Tsang; shape < 1 boosted by U^(1/shape). */
  gamma(shape: number, rate = 1): number {
    if (shape < 1) return this.gamma(shape + 1, rate) * this.open() ** (1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.open();
      const x2 = x * x;
      if (u < 1 - 0.0331 * x2 * x2) return (d * v) / rate;
      if (Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return (d * v) / rate;
    }
  }

  /** Beta(a, b) as X/(X+Y) with X ~ Gamma(a), Y ~ Gamma(b). */
  beta(a: number, b: number): number {
    const x = this.gamma(a);
    const y = this.gamma(b);
    return x / (x + y);
  }

  /** Poisson(mean): Knuth's product method below 30, Hörmann's PTRS above. */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean < 30) {
      const limit = Math.exp(-mean);
      let k = 0;
      let p = this.open();
      while (p > limit) {
        k++;
        p *= this.open();
      }
      return k;
    }
    const slam = Math.sqrt(mean);
    const logLam = Math.log(mean);
    const b = 0.931 + 2.53 * slam;
    const a = -0.059 + 0.02483 * b;
    const invAlpha = 1.1239 + 1.1328 / (b - 3.4);
    const vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
      const u = this.float() - 0.5;
      const v = this.open();
      const us = 0.5 - Math.abs(u);
      const k = Math.floor(((2 * a) / us + b) * u + mean + 0.43);
      if (us >= 0.07 && v <= vr) return k;
      if (k < 0 || (us < 0.013 && v > us)) continue;
      if (
        Math.log(v) + Math.log(invAlpha) - Math.log(a / (us * us) + b) <=
        -mean + k * logLam - logGamma(k + 1)
      )
        return k;
    }
  }

  /** Log-normal whose median is `median` and log-sd `sigma`. */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }
}

/** A Random over the sub-stream for (seed, index, stream). */
export function randomFor(seed: number, index: number, stream: number): Random {
  return new Random(subStream(seed, index, stream));
}
