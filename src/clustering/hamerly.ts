import { EPS, fillHalfCentreDistances } from "./bounds.js";
import type { Seeding } from "./kmeans-init.js";
import { type Matrix, sqDist } from "./matrix.js";

/**
 * Hamerly's bounds (2010), with the second-nearest centre kept apart and updated lazily. Per point: an upper
 * bound on the distance to its centre, a lower bound on the distance to its second-nearest centre `second`
 * (−1: to every other centre), and a lower bound on the distance to all the rest. When one far centre moves a
 * lot, plain Hamerly lowers every point's single bound by that move; here only the `rest` bounds drop.
 *
 * Bounds are stored relative to the centres' cumulative drift (Σ of each centre's moves, and Σ of each
 * iteration's largest move), so that moving the centres costs O(k) instead of a pass over every point:
 * current upper = upper + drift[own], lower = lower − drift[second], rest = rest − maxDrift.
 */
export interface Bounds {
  readonly upper: Float64Array;
  readonly lower: Float64Array;
  readonly rest: Float64Array;
  readonly second: Int32Array;
  readonly drift: Float64Array;
  maxDrift: number;
  /** half[a·k + j]: half the distance between centres a and j; half[a·k + a]: the smallest of a's. */
  readonly half: Float64Array;
}

function empty(n: number, k: number): Bounds {
  return {
    upper: new Float64Array(n),
    lower: new Float64Array(n),
    rest: new Float64Array(n).fill(Number.POSITIVE_INFINITY),
    second: new Int32Array(n).fill(-1),
    drift: new Float64Array(k),
    maxDrift: 0,
    half: new Float64Array(k * k),
  };
}

/** Bounds from a k-means++ seeding: exact distance to the centre, a bound for all the others. */
export function boundsFromSeeding(seeding: Seeding, k: number): Bounds {
  const n = seeding.nearest.length;
  const b = empty(n, k);
  for (let i = 0; i < n; i++) {
    b.upper[i] = Math.sqrt(seeding.closest[i] as number) * (1 + EPS);
    b.lower[i] = Math.sqrt(seeding.second[i] as number) * (1 - EPS);
  }
  return b;
}

/** Bounds (and labels) from a full scan of every point. */
export function boundsFromScan(x: Matrix, centers: Float64Array, labels: Int32Array): Bounds {
  const k = centers.length / x.d;
  const b = empty(x.n, k);
  for (let i = 0; i < x.n; i++) {
    labels[i] = 0;
    scan(x.data, i, centers, x.d, k, labels, b, Number.POSITIVE_INFINITY, -1);
  }
  return b;
}

/** A point whose bounds can no longer be trusted (it was moved to an empty cluster): scanned next time. */
export function forget(b: Bounds, i: number): void {
  b.upper[i] = Number.POSITIVE_INFINITY;
  b.lower[i] = Number.NEGATIVE_INFINITY;
  b.rest[i] = Number.NEGATIVE_INFINITY;
  b.second[i] = -1;
}

/** After the centres moved by `moves`: O(k), the points' bounds follow through the drifts. */
export function moveBounds(b: Bounds, moves: Float64Array): void {
  let max = 0;
  for (let j = 0; j < moves.length; j++) {
    const m = (moves[j] as number) * (1 + EPS);
    b.drift[j] = (b.drift[j] as number) + m;
    if (m > max) max = m;
  }
  b.maxDrift += max;
}

/**
 * Scans point i from its own centre (squared distance `da`, or −1 when unknown) with upper bound `u`: nearest,
 * second-nearest and third distances, skipping every centre at least twice as far from the point's centre as
 * the point is (it cannot be nearer, and 2h − u bounds its distance from below). Ties go to the lowest index,
 * as in Lloyd's assignment. Stores the bounds and the label; returns the label.
 */
function scan(
  data: Float64Array,
  i: number,
  centers: Float64Array,
  d: number,
  k: number,
  labels: Int32Array,
  b: Bounds,
  u: number,
  da: number,
): number {
  const a = labels[i] as number;
  let best = a;
  let b1 = da < 0 ? sqDist(data, i, centers, a, d) : da;
  let s = -1;
  let b2 = Number.POSITIVE_INFINITY;
  let b3 = Number.POSITIVE_INFINITY;
  const half = b.half;
  for (let j = 0; j < k; j++) {
    if (j === a) continue;
    const h = half[a * k + j] as number;
    let v: number;
    if (h > u) {
      const lb = 2 * h - u;
      v = lb * lb;
    } else {
      v = sqDist(data, i, centers, j, d);
      if (v < b1 || (v === b1 && j < best)) {
        b3 = b2;
        b2 = b1;
        s = best;
        b1 = v;
        best = j;
        continue;
      }
    }
    if (v < b2) {
      b3 = b2;
      b2 = v;
      s = j;
    } else if (v < b3) b3 = v;
  }
  b.upper[i] = Math.sqrt(b1) * (1 + EPS) - (b.drift[best] as number);
  b.lower[i] = Math.sqrt(b2) * (1 - EPS) + (s < 0 ? b.maxDrift : (b.drift[s] as number));
  b.rest[i] = Math.sqrt(b3) * (1 - EPS) + b.maxDrift;
  b.second[i] = s;
  labels[i] = best;
  return best;
}

/**
 * Hamerly's assignment step: a point whose upper bound is below its lower bounds, or below half the distance
 * from its centre to the nearest other centre, cannot change cluster; only the others are scanned. Points that
 * change cluster are passed to `moved` (for the cluster sums). Returns how many changed.
 */
export function assignHamerly(
  x: Matrix,
  centers: Float64Array,
  labels: Int32Array,
  b: Bounds,
  moved: (i: number, from: number, to: number) => void,
): number {
  const { n, d, data } = x;
  const k = centers.length / d;
  const { half, drift, upper, lower, rest, second } = b;
  fillHalfCentreDistances(centers, k, d, half);
  // Rounding of the drift sums, absolutely: bounds near 0 get no relative margin.
  const slack = 1e-12 * (b.maxDrift + 1);
  const maxDrift = b.maxDrift;
  let changed = 0;
  for (let i = 0; i < n; i++) {
    const a = labels[i] as number;
    const s = second[i] as number;
    // A point stays when its upper bound is below half the gap to its centre's nearest other centre (h), or
    // below both lower bounds (second-nearest: l1; the rest: l2; with no second-nearest, the rest's bound is
    // never below l1). The comparisons are combined without branches: which of them holds is unpredictable,
    // and mispredicted branches cost this loop more than all its arithmetic.
    const h = half[a * k + a] as number;
    const l1 = (lower[i] as number) - (s < 0 ? maxDrift : (drift[s] as number)) - slack;
    const l2 = (rest[i] as number) - maxDrift - slack;
    const ua = (upper[i] as number) + (drift[a] as number) + slack;
    if (+(ua < h) | (+(ua < l1) & +(ua < l2))) continue;
    const da = sqDist(data, i, centers, a, d);
    const u = Math.sqrt(da) * (1 + EPS);
    if (u < h || (u < l1 && u < l2)) {
      upper[i] = u - (drift[a] as number);
      continue;
    }
    const to = scan(data, i, centers, d, k, labels, b, u, da);
    if (to !== a) {
      moved(i, a, to);
      changed++;
    }
  }
  return changed;
}
