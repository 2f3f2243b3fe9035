import gammainc from "@stdlib/math-base-special-gammainc";
import type { SrmCheck } from "./types.js";

/** Below this p the observed split is called a mismatch (the usual threshold: GrowthBook, Optimizely). */
export const SRM_THRESHOLD = 0.001;

/**
 * Sample-ratio mismatch: Pearson's χ² of the people per arm against the planned split (weights, normalised), with
 * k − 1 degrees of freedom. p is χ²'s survival function, the regularised upper incomplete gamma Q((k − 1)/2, χ²/2)
 * (@stdlib), which keeps its precision where 1 − cdf would round to 0. Null when no one is in any arm.
 */
export function srmCheck(counts: readonly number[], weights: readonly number[]): SrmCheck | null {
  const total = counts.reduce((s, n) => s + n, 0);
  const wsum = weights.reduce((s, w) => s + w, 0);
  if (total === 0 || counts.length < 2 || !(wsum > 0)) return null;
  let chi2 = 0;
  counts.forEach((n, i) => {
    const expected = ((weights[i] ?? 0) / wsum) * total;
    chi2 += (n - expected) ** 2 / expected;
  });
  const p = gammainc(chi2 / 2, (counts.length - 1) / 2, true, true);
  if (!Number.isFinite(chi2) || !Number.isFinite(p)) return null;
  return { chi2, p, mismatch: p < SRM_THRESHOLD };
}
