import { assignNearest, summarise } from "./kmeans.js";
import { type Matrix, sqDist } from "./matrix.js";

/** Default smallest cluster worth targeting: the privacy floor of 10 people, or 1% of the base. */
export function defaultMinSize(n: number): number {
  return Math.max(10, Math.round(0.01 * n));
}

/** Two clusters whose centres are close compared with their spread: merging them loses little. */
export interface MergeSuggestion {
  readonly clusters: readonly [number, number];
  /** Distance between the centres (preprocessed units). */
  readonly distance: number;
  /** Root-mean-square distance of each cluster's customers to its centre. */
  readonly spread: readonly [number, number];
  /** distance / (spread₁ + spread₂): below the threshold the two overlap heavily. */
  readonly ratio: number;
}

/** Default threshold on distance / (spread₁ + spread₂). */
export const CLOSE_RATIO = 0.5;

/** Pairs of clusters to consider merging, closest first. */
export function closeCentroids(
  x: Matrix,
  labels: Int32Array,
  centers: Float64Array,
  k: number,
  threshold = CLOSE_RATIO,
): MergeSuggestion[] {
  const { n, d, data } = x;
  const sse = new Float64Array(k);
  const sizes = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const a = labels[i] as number;
    sse[a] = (sse[a] as number) + sqDist(data, i, centers, a, d);
    sizes[a] = (sizes[a] as number) + 1;
  }
  const spread = Array.from(sse, (s, j) => Math.sqrt(s / Math.max(1, sizes[j] as number)));
  const out: MergeSuggestion[] = [];
  for (let a = 0; a < k; a++) {
    for (let b = a + 1; b < k; b++) {
      const distance = Math.sqrt(sqDist(centers, a, centers, b, d));
      const sum = (spread[a] as number) + (spread[b] as number);
      const ratio = sum > 0 ? distance / sum : Number.POSITIVE_INFINITY;
      if (ratio < threshold)
        out.push({ clusters: [a, b], distance, spread: [spread[a] as number, spread[b] as number], ratio });
    }
  }
  return out.sort((p, q) => p.ratio - q.ratio);
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
