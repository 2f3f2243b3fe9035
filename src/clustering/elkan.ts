import { EPS, fillHalfCentreDistances } from "./bounds.js";
import type { Seeding } from "./kmeans-init.js";
import { type Matrix, sqDist } from "./matrix.js";

/**
 * Elkan's bounds (2003): per point an upper bound on the distance to its centre and one lower bound per centre,
 * so a point near a boundary computes distances only to the centres that may really be nearer. Stored relative
 * to each centre's cumulative drift (Σ of its moves) so that moving the centres costs O(k), not O(n·k):
 * current upper = upper + drift[own], current lower[j] = lower[j] − drift[j]. Memory: n·k numbers.
 */
export interface ElkanBounds {
  readonly upper: Float64Array;
  /** n×k, row-major. */
  readonly lower: Float64Array;
  readonly drift: Float64Array;
  /** half[a·k + j]: half the distance between centres a and j; half[a·k + a]: the smallest of a's. */
  readonly half: Float64Array;
}

/** Points × centres above which Elkan's n·k bounds take too much memory (Hamerly's are used instead). */
export const ELKAN_MAX_BOUNDS = 20_000_000;

function emptyBounds(n: number, k: number): ElkanBounds {
  return {
    upper: new Float64Array(n),
    lower: new Float64Array(n * k),
    drift: new Float64Array(k),
    half: new Float64Array(k * k),
  };
}

/** Bounds from a k-means++ seeding: exact distance to the centre, its second-nearest bound for every other. */
export function elkanFromSeeding(seeding: Seeding, k: number): ElkanBounds {
  const n = seeding.nearest.length;
  const b = emptyBounds(n, k);
  for (let i = 0; i < n; i++) {
    b.upper[i] = Math.sqrt(seeding.closest[i] as number) * (1 + EPS);
    b.lower.fill(Math.sqrt(seeding.second[i] as number) * (1 - EPS), i * k, (i + 1) * k);
  }
  return b;
}

/** Bounds (and labels) from every distance. */
export function elkanFromScan(x: Matrix, centers: Float64Array, labels: Int32Array): ElkanBounds {
  const { n, d, data } = x;
  const k = centers.length / d;
  const b = emptyBounds(n, k);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let b1 = Number.POSITIVE_INFINITY;
    for (let j = 0; j < k; j++) {
      const v = sqDist(data, i, centers, j, d);
      b.lower[i * k + j] = Math.sqrt(v) * (1 - EPS);
      if (v < b1) {
        b1 = v;
        best = j;
      }
    }
    labels[i] = best;
    b.upper[i] = Math.sqrt(b1) * (1 + EPS);
  }
  return b;
}

/** A point whose bounds can no longer be trusted (it was moved to an empty cluster). */
export function forgetElkan(b: ElkanBounds, i: number): void {
  const k = b.drift.length;
  b.upper[i] = Number.POSITIVE_INFINITY;
  b.lower.fill(Number.NEGATIVE_INFINITY, i * k, (i + 1) * k);
}

/** After the centres moved by `moves`. */
export function moveElkan(b: ElkanBounds, moves: Float64Array): void {
  for (let j = 0; j < moves.length; j++)
    b.drift[j] = (b.drift[j] as number) + (moves[j] as number) * (1 + EPS);
}

/**
 * Elkan's assignment step. A point is skipped when its upper bound is below half the distance from its centre
 * to the nearest other centre; otherwise each other centre is skipped when the point's lower bound for it, or
 * half the distance between the two centres, exceeds the upper bound. The upper bound is made exact before the
 * first distance to another centre. Ties go to the lowest index, as in Lloyd's assignment. Points that change
 * cluster are passed to `moved`. Returns how many changed.
 */
export function assignElkan(
  x: Matrix,
  centers: Float64Array,
  labels: Int32Array,
  b: ElkanBounds,
  moved: (i: number, from: number, to: number) => void,
): number {
  const { n, d, data } = x;
  const k = centers.length / d;
  const { half, drift, upper, lower } = b;
  fillHalfCentreDistances(centers, k, d, half);
  let slack = 0;
  for (const v of drift) slack = Math.max(slack, v);
  // Rounding of the drift sums, absolutely: bounds near 0 get no relative margin.
  slack = 1e-12 * (slack + 1);
  let changed = 0;
  for (let i = 0; i < n; i++) {
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
      moved(i, from, a);
      changed++;
    }
  }
  return changed;
}
