import { EPS } from "./bounds.js";
import { type KMeansState, Param, transfer } from "./kmeans-state.js";
import { sqDist } from "./matrix.js";

/**
 * Elkan's bounds (2003): per point an upper bound on the distance to its centre and one lower bound per centre
 * (`lower`, n×k), so a point near a boundary computes distances only to the centres that may really be nearer.
 * Stored relative to each centre's cumulative drift (Σ of its moves) so that moving the centres costs O(k), not
 * O(n·k): current upper = upper + drift[own], current lower[j] = lower[j] − drift[j]. Memory: n·k numbers.
 *
 * The functions below work on rows lo…hi of a fit's state (one chunk); the main thread moves the drifts and
 * fills the table of half centre distances between passes.
 */

/** Points × centres above which Elkan's n·k bounds take too much memory (Hamerly's are used instead). */
export const ELKAN_MAX_BOUNDS = 20_000_000;

/** Bounds from a k-means++ seeding, `upper` in place: exact distance to the centre, its second-nearest bound for every other. */
export function elkanFromSeeding(s: KMeansState, lo: number, hi: number): void {
  const { k, upper, lower, farther } = s;
  for (let i = lo; i < hi; i++) {
    // `upper` still holds the seeding's squared distance (the same array as `closest`).
    upper[i] = Math.sqrt(upper[i] as number) * (1 + EPS);
    lower.fill(Math.sqrt(farther[i] as number) * (1 - EPS), i * k, (i + 1) * k);
  }
}

/** Bounds and labels from every distance. */
export function elkanScan(s: KMeansState, lo: number, hi: number): void {
  const { d, k, data, centers, labels, upper, lower } = s;
  for (let i = lo; i < hi; i++) {
    let best = 0;
    let b1 = Number.POSITIVE_INFINITY;
    for (let j = 0; j < k; j++) {
      const v = sqDist(data, i, centers, j, d);
      lower[i * k + j] = Math.sqrt(v) * (1 - EPS);
      if (v < b1) {
        b1 = v;
        best = j;
      }
    }
    labels[i] = best;
    upper[i] = Math.sqrt(b1) * (1 + EPS);
  }
}

/** A point whose bounds can no longer be trusted (it was moved to an empty cluster). */
export function forgetElkan(s: KMeansState, i: number): void {
  const k = s.k;
  s.upper[i] = Number.POSITIVE_INFINITY;
  s.lower.fill(Number.NEGATIVE_INFINITY, i * k, (i + 1) * k);
}

/** After the centres moved by `moves`. */
export function moveElkan(s: KMeansState, moves: Float64Array): void {
  let max = 0;
  for (let j = 0; j < moves.length; j++) {
    const v = (s.drift[j] as number) + (moves[j] as number) * (1 + EPS);
    s.drift[j] = v;
    max = Math.max(max, v);
  }
  // Rounding of the drift sums, absolutely: bounds near 0 get no relative margin.
  s.params[Param.slack] = 1e-12 * (max + 1);
}

/**
 * Elkan's assignment step. A point is skipped when its upper bound is below half the distance from its centre
 * to the nearest other centre; otherwise each other centre is skipped when the point's lower bound for it, or
 * half the distance between the two centres, exceeds the upper bound. The upper bound is made exact before the
 * first distance to another centre. Ties go to the lowest index, as in Lloyd's assignment. Points that change
 * cluster move between the chunk's cluster sums. Works on rows lo…hi; returns how many changed.
 */
export function elkanAssign(
  s: KMeansState,
  lo: number,
  hi: number,
  sums: Float64Array,
  sizes: Int32Array,
): number {
  const { d, k, data, centers, labels, half, drift, upper, lower } = s;
  const slack = s.params[Param.slack] as number;
  let changed = 0;
  for (let i = lo; i < hi; i++) {
    const from = labels[i] as number;
    let a = from;
    let u = (upper[i] as number) + (drift[a] as number) + slack;
    if (u < (half[a * k + a] as number)) continue;
    let da = -1;
    const row = i * k;
    for (let j = 0; j < k; j++) {
      if (j === a) continue;
      if (u < (lower[row + j] as number) - (drift[j] as number) - slack || u < (half[a * k + j] as number))
        continue;
      if (da < 0) {
        da = sqDist(data, i, centers, a, d);
        u = Math.sqrt(da) * (1 + EPS);
        lower[row + a] = Math.sqrt(da) * (1 - EPS) + (drift[a] as number);
        if (u < (lower[row + j] as number) - (drift[j] as number) - slack || u < (half[a * k + j] as number))
          continue;
      }
      const v = sqDist(data, i, centers, j, d);
      lower[row + j] = Math.sqrt(v) * (1 - EPS) + (drift[j] as number);
      if (v < da || (v === da && j < a)) {
        a = j;
        da = v;
        u = Math.sqrt(v) * (1 + EPS);
      }
    }
    upper[i] = u - (drift[a] as number);
    if (a !== from) {
      labels[i] = a;
      transfer(data, i, d, from, a, sums, sizes);
      changed++;
    }
  }
  return changed;
}
