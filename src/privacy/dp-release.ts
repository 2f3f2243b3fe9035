import { isSmall } from "./k-gate.js";
import { noisyCount } from "./noise-mechanisms.js";
import type { RandomSource } from "./random.js";
import { divide, fromNumber, type Rational, rational } from "./rational.js";

/**
 * Noise on the counts of one report (issue 17, item 3), for a report an analyst reads when `dp` is on: the report
 * is charged ε once (budget-ledger.ts), and its cells share it.
 * - Cells that divide the people (each person in at most one: groups of a trait, RFM segments, clusters) are
 *   noised with ε each: one person changes one cell by one (parallel composition), so the whole costs ε.
 * - Cells where a person may be in several (saved segments, up to m of them) get ε/m each (basic composition):
 *   each person's contribution to the whole report is bounded by m.
 * Noise is the discrete Laplace mechanism sampled exactly (noise-mechanisms.ts). A noisy count below 0 is shown
 * as 0 (post-processing costs nothing). The k-gate applies after the noise: a noisy count of 1 to k−1 is
 * suppressed like any other.
 */

/** Noisy counts of cells each person is in at most `perPerson` of (1 for a partition), costing ε in all. */
export function noisyCounts(
  counts: readonly number[],
  epsilon: number | Rational,
  perPerson = 1,
  source?: RandomSource,
): number[] {
  if (!Number.isInteger(perPerson) || perPerson < 1) throw new RangeError(`bad perPerson ${perPerson}`);
  const eps = typeof epsilon === "number" ? fromNumber(epsilon) : epsilon;
  const share = divide(eps, rational(BigInt(perPerson)));
  return counts.map((c) => Math.max(0, noisyCount(c, share, source).value));
}

/** Noisy counts, then the k-gate's primary rule: null where 1 to k−1 (the caller adds complements as usual). */
export function noisyGatedCounts(
  counts: readonly number[],
  epsilon: number | Rational,
  k: number,
  perPerson = 1,
  source?: RandomSource,
): (number | null)[] {
  return noisyCounts(counts, epsilon, perPerson, source).map((n) => (isSmall(n, k) ? null : n));
}
