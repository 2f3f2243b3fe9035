import { EPS } from "./bounds.js";
import { type KMeansState, Param, transfer } from "./kmeans-state.js";
import { sqDist } from "./matrix.js";

/**
 * Hamerly's bounds (2010), with the second-nearest centre kept apart and updated lazily. Per point: an upper
 * bound on the distance to its centre (`upper`), a lower bound on the distance to its second-nearest centre
 * `second` (`lower`; second −1: to every other centre), and a lower bound on the distance to all the rest
 * (`rest`). When one far centre moves a lot, plain Hamerly lowers every point's single bound by that move; here
 * only the `rest` bounds drop.
 *
 * Bounds are stored relative to the centres' cumulative drift (Σ of each centre's moves, and Σ of each
 * iteration's largest move, `Param.maxDrift`), so that moving the centres costs O(k) instead of a pass over
 * every point: current upper = upper + drift[own], lower = lower − drift[second], rest = rest − maxDrift.
 *
 * The functions below work on rows lo…hi of a fit's state (one chunk); the main thread moves the drifts and
 * fills the table of half centre distances between passes.
 */

/** Bounds from a k-means++ seeding, in place: exact distance to the centre, a bound for all the others. */
export function hamerlyFromSeeding(s: KMeansState, lo: number, hi: number): void {
  const { upper, lower, rest, second } = s;
  for (let i = lo; i < hi; i++) {
    // `upper` and `lower` still hold the seeding's squared distances (the same arrays).
    upper[i] = Math.sqrt(upper[i] as number) * (1 + EPS);
    lower[i] = Math.sqrt(lower[i] as number) * (1 - EPS);
    rest[i] = Number.POSITIVE_INFINITY;
    second[i] = -1;
  }
}

/** Bounds and labels from a full scan (no drift yet, and a table of zeros: every distance is computed). */
export function hamerlyScan(s: KMeansState, lo: number, hi: number): void {
  for (let i = lo; i < hi; i++) {
    s.labels[i] = 0;
    scan(s.data, i, s.centers, s.d, s.k, s, 0, Number.POSITIVE_INFINITY, -1);
  }
}

/** A point whose bounds can no longer be trusted (it was moved to an empty cluster): scanned next time. */
export function forget(s: KMeansState, i: number): void {
  s.upper[i] = Number.POSITIVE_INFINITY;
  s.lower[i] = Number.NEGATIVE_INFINITY;
  s.rest[i] = Number.NEGATIVE_INFINITY;
  s.second[i] = -1;
}

/** After the centres moved by `moves`: O(k), the points' bounds follow through the drifts. */
export function moveBounds(s: KMeansState, moves: Float64Array): void {
  let max = 0;
  for (let j = 0; j < moves.length; j++) {
    const m = (moves[j] as number) * (1 + EPS);
    s.drift[j] = (s.drift[j] as number) + m;
    if (m > max) max = m;
  }
  const maxDrift = (s.params[Param.maxDrift] as number) + max;
  s.params[Param.maxDrift] = maxDrift;
  // Rounding of the drift sums, absolutely: bounds near 0 get no relative margin.
  s.params[Param.slack] = 1e-12 * (maxDrift + 1);
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
  s: KMeansState,
  maxDrift: number,
  u: number,
  da: number,
): number {
  // Data and centres come as arguments: with the state as its only source, V8 stopped inlining the scan into
  // the assignment loop, and the pass took ~8% longer.
  const { labels, half, drift } = s;
  const a = labels[i] as number;
  let best = a;
  let b1 = da < 0 ? sqDist(data, i, centers, a, d) : da;
  let c = -1;
  let b2 = Number.POSITIVE_INFINITY;
  let b3 = Number.POSITIVE_INFINITY;
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
        c = best;
        b1 = v;
        best = j;
        continue;
      }
    }
    if (v < b2) {
      b3 = b2;
      b2 = v;
      c = j;
    } else if (v < b3) b3 = v;
  }
  s.upper[i] = Math.sqrt(b1) * (1 + EPS) - (drift[best] as number);
  s.lower[i] = Math.sqrt(b2) * (1 - EPS) + (c < 0 ? maxDrift : (drift[c] as number));
  s.rest[i] = Math.sqrt(b3) * (1 - EPS) + maxDrift;
  s.second[i] = c;
  labels[i] = best;
  return best;
}

/**
 * Hamerly's assignment step on rows lo…hi: a point whose upper bound is below its lower bounds, or below half
 * the distance from its centre to the nearest other centre, cannot change cluster; only the others are scanned.
 * Points that change cluster move between the chunk's cluster sums. Returns how many changed.
 */
export function hamerlyAssign(
  s: KMeansState,
  lo: number,
  hi: number,
  sums: Float64Array,
  sizes: Int32Array,
): number {
  const { d, k, data, centers, labels, half, drift, upper, lower, rest, second } = s;
  const maxDrift = s.params[Param.maxDrift] as number;
  const slack = s.params[Param.slack] as number;
  let changed = 0;
  for (let i = lo; i < hi; i++) {
    const a = labels[i] as number;
    const c = second[i] as number;
    // A point stays when its upper bound is below half the gap to its centre's nearest other centre (h), or
    // below both lower bounds (second-nearest: l1; the rest: l2; with no second-nearest, the rest's bound is
    // never below l1). The comparisons are combined without branches: which of them holds is unpredictable,
    // and mispredicted branches cost this loop more than all its arithmetic.
    const h = half[a * k + a] as number;
    const l1 = (lower[i] as number) - (c < 0 ? maxDrift : (drift[c] as number)) - slack;
    const l2 = (rest[i] as number) - maxDrift - slack;
    const ua = (upper[i] as number) + (drift[a] as number) + slack;
    if (+(ua < h) | (+(ua < l1) & +(ua < l2))) continue;
    const da = sqDist(data, i, centers, a, d);
    const u = Math.sqrt(da) * (1 + EPS);
    if (u < h || (u < l1 && u < l2)) {
      upper[i] = u - (drift[a] as number);
      continue;
    }
    const to = scan(data, i, centers, d, k, s, maxDrift, u, da);
    if (to !== a) {
      transfer(data, i, d, a, to, sums, sizes);
      changed++;
    }
  }
  return changed;
}
