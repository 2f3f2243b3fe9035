import { assignNearest, summarise } from "./kmeans.js";
import { type Matrix, sqDist } from "./matrix.js";

/** Default smallest cluster worth targeting: the privacy floor of 10 people, or 1% of the base. */
export function defaultMinSize(n: number): number {
  return Math.max(10, Math.round(0.01 * n));
}

/** Two clusters that overlap along the line joining their centres: merging them loses little. */
export interface MergeSuggestion {
  readonly clusters: readonly [number, number];
  /** Distance between the centres (preprocessed units). */
  readonly distance: number;
  /**
   * Distance between the centres over √(var₁ + var₂), the clusters' variances along the line joining them.
   * Halving one Gaussian blob gives about 1.9; clusters that stand apart score well above 3.
   */
  readonly separation: number;
}

/** Default threshold on the separation: below it a merge is suggested. */
export const MIN_SEPARATION = 2.5;

/**
 * Pairs of clusters to consider merging, the least separated first. The spread is measured along the line
 * between the two centres only: in many dimensions the overall spread is dominated by the other directions
 * and would make every pair look close.
 */
export function closeCentroids(
  x: Matrix,
  labels: Int32Array,
  centers: Float64Array,
  k: number,
  threshold = MIN_SEPARATION,
): MergeSuggestion[] {
  const { n, d, data } = x;
  const out: MergeSuggestion[] = [];
  const u = new Float64Array(d);
  for (let a = 0; a < k; a++) {
    for (let b = a + 1; b < k; b++) {
      const distance = Math.sqrt(sqDist(centers, a, centers, b, d));
      if (distance === 0) {
        out.push({ clusters: [a, b], distance, separation: 0 });
        continue;
      }
      for (let t = 0; t < d; t++)
        u[t] = ((centers[b * d + t] as number) - (centers[a * d + t] as number)) / distance;
      const sum = [0, 0];
      const sumSq = [0, 0];
      const count = [0, 0];
      for (let i = 0; i < n; i++) {
        const l = labels[i];
        if (l !== a && l !== b) continue;
        const w = l === a ? 0 : 1;
        let p = 0;
        for (let t = 0; t < d; t++) p += (data[i * d + t] as number) * (u[t] as number);
        sum[w] = (sum[w] as number) + p;
        sumSq[w] = (sumSq[w] as number) + p * p;
        count[w] = (count[w] as number) + 1;
      }
      let variance = 0;
      for (const w of [0, 1]) {
        const c = Math.max(1, count[w] as number);
        const m = (sum[w] as number) / c;
        variance += Math.max(0, (sumSq[w] as number) / c - m * m);
      }
      const separation = variance > 0 ? distance / Math.sqrt(variance) : Number.POSITIVE_INFINITY;
      if (separation < threshold) out.push({ clusters: [a, b], distance, separation });
    }
  }
  return out.sort((p, q) => p.separation - q.separation);
}

/**
 * Merges clusters below `minSize`: the smallest one's customers go to their nearest remaining centre, the
 * centres are recomputed, and so on until every cluster is large enough (or one is left). Clusters are then
 * numbered 0…k−1 again. Returns the new labelling and which clusters went where (original numbers).
 */
export function mergeSmallClusters(
  x: Matrix,
  labels: Int32Array,
  centers: Float64Array,
  k: number,
  minSize: number,
): { labels: Int32Array; centers: Float64Array; k: number; merged: { cluster: number; size: number }[] } {
  const { d } = x;
  let alive = Array.from({ length: k }, (_, j) => j);
  let lab: Int32Array = labels.slice();
  let cen: Float64Array = centers.slice();
  const merged: { cluster: number; size: number }[] = [];
  for (;;) {
    const sizes = new Map(alive.map((j) => [j, 0]));
    for (const a of lab) sizes.set(a, (sizes.get(a) ?? 0) + 1);
    const small = alive
      .filter((j) => (sizes.get(j) as number) < minSize)
      .sort((p, q) => (sizes.get(p) as number) - (sizes.get(q) as number) || p - q);
    if (small.length === 0 || alive.length <= 1) break;
    const victim = small[0] as number;
    merged.push({ cluster: victim, size: sizes.get(victim) as number });
    alive = alive.filter((j) => j !== victim);
    const keep = new Float64Array(alive.length * d);
    alive.forEach((j, r) => {
      keep.set(cen.subarray(j * d, (j + 1) * d), r * d);
    });
    const { labels: near } = assignNearest(x, keep);
    for (let i = 0; i < lab.length; i++) if (lab[i] === victim) lab[i] = alive[near[i] as number] as number;
    const s = summarise(x, lab, k);
    cen = s.centers;
  }
  // Renumber the survivors 0…k'−1 in their original order.
  const renumber = new Map(alive.map((j, r) => [j, r]));
  lab = lab.map((a) => renumber.get(a) as number);
  const out = new Float64Array(alive.length * d);
  alive.forEach((j, r) => {
    out.set(cen.subarray(j * d, (j + 1) * d), r * d);
  });
  return { labels: lab, centers: out, k: alive.length, merged };
}
