import type { Adjustment } from "./types.js";

/**
 * Adjusts p-values for testing several hypotheses at once (several variants against one control, several metrics):
 * - Holm (1979), step-down, controls the family-wise error rate: sorted p₍₁₎ ≤ … ≤ p₍ₘ₎,
 *   p̃₍ᵢ₎ = max_{j ≤ i} min(1, (m − j + 1)·p₍ⱼ₎);
 * - Benjamini–Hochberg (1995), step-up, controls the false discovery rate: p̃₍ᵢ₎ = min_{j ≥ i} min(1, m·p₍ⱼ₎/j).
 * Nulls (comparisons without a p-value) stay null and do not count in m. The result is in the input's order.
 */
export function adjustPValues(ps: readonly (number | null)[], method: Adjustment): (number | null)[] {
  if (method === "none") return [...ps];
  const order = ps
    .map((p, i) => ({ p, i }))
    .filter((x): x is { p: number; i: number } => x.p !== null)
    .sort((x, y) => x.p - y.p);
  const m = order.length;
  const out: (number | null)[] = ps.map(() => null);
  if (method === "holm") {
    let running = 0;
    order.forEach(({ p, i }, j) => {
      running = Math.max(running, Math.min(1, (m - j) * p));
      out[i] = running;
    });
  } else {
    let running = 1;
    for (let j = m - 1; j >= 0; j--) {
      const { p, i } = order[j] as { p: number; i: number };
      running = Math.min(running, Math.min(1, (m * p) / (j + 1)));
      out[i] = running;
    }
  }
  return out;
}
