import { createHash } from "node:crypto";
import beta from "@stdlib/random-base-beta";
import normalQuantile from "@stdlib/stats-base-dists-normal-quantile";
import { UserError } from "../errors.js";
import type { ArmSummary } from "./stats/types.js";

/**
 * Thompson sampling (issue 20, item 4), pure: each arm's posterior from its summary statistics, the probability
 * that each arm is the best (a seeded Monte Carlo over the posteriors), and the allocation that keeps every arm at
 * or above a minimum share. The store side (evidence from the data, the allocation written) is bandit.ts.
 */

/** An arm's posterior on its metric's value. */
export type Posterior =
  /** A conversion rate: Beta(1 + conversions, 1 + n − conversions) (a uniform prior). */
  | { readonly kind: "beta"; readonly alpha: number; readonly beta: number }
  /** A mean: Normal(ȳ, s²/n) (flat prior, the sample variance plugged in). */
  | { readonly kind: "normal"; readonly mean: number; readonly sd: number };

export type BanditMetric = "proportion" | "mean";

/**
 * An arm's posterior from its summary. Proportions: the sum is the conversions (0 ≤ sum ≤ n). Means: n ≥ 2 and
 * Σy² ≥ (Σy)²/n (a variance that is not negative). Bad evidence is a UserError naming the arm.
 */
export function posteriorOf(metric: BanditMetric, arm: ArmSummary, where = "evidence"): Posterior {
  const at = `${where}: arm "${arm.name}"`;
  if (!Number.isInteger(arm.n) || arm.n < 0)
    throw new UserError("bad-evidence", `n must be a whole number ≥ 0, got ${arm.n}`, at);
  if (!Number.isFinite(arm.sum)) throw new UserError("bad-evidence", `sum is not a finite number`, at);
  if (metric === "proportion") {
    if (arm.sum < 0 || arm.sum > arm.n)
      throw new UserError("bad-evidence", `conversions must be from 0 to n (${arm.n}), got ${arm.sum}`, at);
    return { kind: "beta", alpha: 1 + arm.sum, beta: 1 + arm.n - arm.sum };
  }
  if (arm.n < 2)
    throw new UserError(
      "not-enough-data",
      `a mean's posterior needs at least 2 people with data, the arm has ${arm.n}: wait for more data`,
      at,
    );
  const ss = arm.sum_squares;
  if (ss === undefined || !Number.isFinite(ss))
    throw new UserError("bad-evidence", "a mean needs the sum of squares", at);
  const mean = arm.sum / arm.n;
  const centred = ss - arm.sum * mean;
  // Rounding may leave a tiny negative number for a constant arm; a clearly negative one is bad input.
  if (centred < -1e-9 * Math.max(1, Math.abs(ss)))
    throw new UserError(
      "bad-evidence",
      "the sum of squares is smaller than (Σy)²/n: a negative variance",
      at,
    );
  const variance = Math.max(0, centred) / (arm.n - 1);
  return { kind: "normal", mean, sd: Math.sqrt(variance / arm.n) };
}

/** A seed of any text as the 8 words of its SHA-256, for the generators' Mersenne Twister. */
export function seedWords(seed: string): Uint32Array {
  const d = createHash("sha256").update(seed, "utf8").digest();
  const words = new Uint32Array(8);
  for (let i = 0; i < 8; i++) words[i] = d.readUInt32BE(i * 4);
  return words;
}

export interface MonteCarloOptions {
  /** Draws from every posterior (default 20,000: a probability's standard error is at most 0.0035). */
  readonly draws?: number;
  readonly seed: string;
}

export const DEFAULT_DRAWS = 20_000;

/**
 * The probability that each arm has the highest value, estimated by drawing from every posterior `draws` times
 * (one seeded Mersenne Twister for all of them: @stdlib's Beta sampler; Normal draws by its uniform and the Normal
 * quantile). Ties (arms with no spread and the same mean) share the draw. Sums to 1.
 */
export function probabilityBest(posteriors: readonly Posterior[], options: MonteCarloOptions): number[] {
  const draws = options.draws ?? DEFAULT_DRAWS;
  if (!Number.isInteger(draws) || draws < 1) throw new UserError("bad-draws", "draws must be ≥ 1", "draws");
  const k = posteriors.length;
  if (k === 0) return [];
  const rand = beta.factory({ seed: seedWords(options.seed) });
  // The sampler's own Mersenne Twister (@stdlib/random-base-mt19937) also gives uniforms on [0, 1).
  const uniform = (rand.PRNG as unknown as { normalized: () => number }).normalized;
  const wins = new Float64Array(k);
  const value = new Float64Array(k);
  for (let d = 0; d < draws; d++) {
    let best = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < k; i++) {
      const p = posteriors[i] as Posterior;
      let x: number;
      if (p.kind === "beta") x = rand(p.alpha, p.beta);
      else if (p.sd === 0) x = p.mean;
      else {
        let u = uniform();
        while (u === 0) u = uniform();
        x = normalQuantile(u, p.mean, p.sd);
      }
      value[i] = x;
      if (x > best) best = x;
    }
    let tied = 0;
    for (let i = 0; i < k; i++) if (value[i] === best) tied++;
    for (let i = 0; i < k; i++) if (value[i] === best) (wins[i] as number) += 1 / tied;
  }
  return Array.from(wins, (w) => w / draws);
}

/**
 * Shares that follow `p` with every arm at or above `minShare`: arms below it are raised to it and the others
 * scaled down in proportion (renormalised), repeated until none falls below. `minShare` from 0 to 1/arms.
 */
export function applyMinShare(p: readonly number[], minShare: number): number[] {
  const k = p.length;
  if (k === 0) return [];
  if (!(minShare >= 0 && minShare * k <= 1 + 1e-12))
    throw new UserError("bad-min-share", `a minimum share is from 0 to 1/${k} with ${k} arms`, "min_share");
  const floored = new Array<boolean>(k).fill(false);
  const w = [...p];
  for (;;) {
    const free = p.reduce((s, x, i) => (floored[i] ? s : s + x), 0);
    const left = 1 - minShare * floored.filter(Boolean).length;
    let changed = false;
    for (let i = 0; i < k; i++) {
      if (floored[i]) {
        w[i] = minShare;
        continue;
      }
      // No probability left among the free arms (all near 0): share what is left equally.
      const freeCount = floored.filter((f) => !f).length;
      w[i] = free > 0 ? ((p[i] as number) * left) / free : left / freeCount;
      if ((w[i] as number) < minShare - 1e-15) {
        floored[i] = true;
        changed = true;
      }
    }
    if (!changed) return w;
  }
}
