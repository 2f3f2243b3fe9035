import { UserError } from "../errors.js";
import { type Matrix, rows, sqDist } from "./matrix.js";
import type { Rng } from "./random.js";

/** Centres chosen by k-means++, with every point's nearest centre (the first assignment) and its bounds. */
export interface Seeding {
  /** k×d, row-major. */
  readonly centers: Float64Array;
  /** Each point's nearest centre (lowest index on ties, as Lloyd's assignment). */
  readonly nearest: Int32Array;
  /** Squared distance to the nearest centre (exact). */
  readonly closest: Float64Array;
  /** A lower bound on the squared distance to the second-nearest centre. */
  readonly second: Float64Array;
}

/**
 * Above this many points, the local trials of k-means++ are compared on a seeded sample of this size (the
 * candidates are still drawn from all points): a candidate's potential is a sum over points, which a sample
 * this large estimates to well under 1%.
 */
export const TRIAL_SAMPLE = 100_000;

/**
 * Greedy k-means++ (Arthur & Vassilvitskii 2007, with scikit-learn's local trials): the first centre is a random
 * point; each next one is the best of 2 + ⌊ln k⌋ candidates drawn with probability proportional to the squared
 * distance to the nearest centre so far. The triangle inequality skips the distances that cannot matter.
 *
 * Throws a UserError when the data hold fewer than k distinct points (no k-th centre can be found).
 */
export function kmeansPlusPlus(x: Matrix, k: number, rng: Rng): Seeding {
  const { n, d, data } = x;
  const centers = new Float64Array(k * d);
  const first = rng.int(n);
  centers.set(data.subarray(first * d, (first + 1) * d), 0);
  const closest = new Float64Array(n);
  const second = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  const nearest = new Int32Array(n);
  // Running sums of `closest`, kept by every pass that changes it: candidates are drawn by bisection on them.
  const cumulative = new Float64Array(n);
  let potential = 0;
  for (let i = 0; i < n; i++) {
    const v = sqDist(data, i, centers, 0, d);
    closest[i] = v;
    potential += v;
    cumulative[i] = potential;
  }
  const trials = 2 + Math.floor(Math.log(k));
  // Quarter squared distances from a candidate to the centres so far: a point whose own centre is at least
  // twice its distance away from the candidate cannot get closer to the candidate.
  const toCandidate = new Float64Array(k);
  // The points the trials are compared on: all of them, or a seeded sample copied into contiguous rows
  // (scattered reads would cost more than the distances), with its own nearest-centre bookkeeping.
  const sampled = n > TRIAL_SAMPLE ? rng.sample(n, TRIAL_SAMPLE).sort() : null;
  const sample = sampled ? rows(x, sampled) : x;
  let sampleClosest = closest;
  if (sampled) {
    sampleClosest = new Float64Array(sampled.length);
    for (let r = 0; r < sampled.length; r++) sampleClosest[r] = closest[sampled[r] as number] as number;
  }
  const sampleNearest = sampled ? new Int32Array(sampled.length) : nearest;
  for (let c = 1; c < k; c++) {
    if (!(potential > 0)) throw tooFewDistinct(k, c);
    const acc = potential;
    let bestIndex = -1;
    let bestPotential = Number.POSITIVE_INFINITY;
    for (let t = 0; t < trials; t++) {
      const candidate = pick(cumulative, rng.float() * acc, closest);
      for (let j = 0; j < c; j++) toCandidate[j] = 0.25 * sqDist(data, candidate, centers, j, d);
      const pot = trialPotential(sample, sampleClosest, sampleNearest, toCandidate, data, candidate);
      if (pot < bestPotential) {
        bestPotential = pot;
        bestIndex = candidate;
      }
    }
    centers.set(data.subarray(bestIndex * d, (bestIndex + 1) * d), c * d);
    for (let j = 0; j < c; j++) toCandidate[j] = 0.25 * sqDist(centers, c, centers, j, d);
    const apart = toCandidate.map((q) => 2 * Math.sqrt(q));
    potential = 0;
    for (let i = 0; i < n; i++) {
      const own = closest[i] as number;
      const a = nearest[i] as number;
      if ((toCandidate[a] as number) >= own) {
        // Not computed: d(x, new) ≥ d(own centre, new) − d(x, own centre), a bound for the second nearest.
        const lb = (apart[a] as number) - Math.sqrt(own);
        const lb2 = lb * lb;
        if (lb2 < (second[i] as number)) second[i] = lb2;
      } else {
        const v = sqDist(data, i, centers, c, d);
        if (v < own) {
          second[i] = own;
          closest[i] = v;
          nearest[i] = c;
        } else if (v < (second[i] as number)) second[i] = v;
      }
      potential += closest[i] as number;
      cumulative[i] = potential;
    }
    if (sampled) {
      for (let i = 0; i < sample.n; i++) {
        const v = sqDist(sample.data, i, centers, c, d);
        if (v < (sampleClosest[i] as number)) {
          sampleClosest[i] = v;
          sampleNearest[i] = c;
        }
      }
    }
  }
  return { centers, nearest, closest, second };
}

/** Σ min(closest, d²(point, candidate)) over the points of `x`; `candidate` is row `row` of `data`. */
function trialPotential(
  x: Matrix,
  closest: Float64Array,
  nearest: Int32Array,
  toCandidate: Float64Array,
  data: Float64Array,
  row: number,
): number {
  const { n, d } = x;
  let pot = 0;
  for (let i = 0; i < n; i++) {
    const own = closest[i] as number;
    if ((toCandidate[nearest[i] as number] as number) >= own) {
      pot += own;
      continue;
    }
    const v = sqDist(x.data, i, data, row, d);
    pot += Math.min(v, own);
  }
  return pot;
}

/** The first index whose cumulative weight exceeds r. */
function pick(cumulative: Float64Array, r: number, weight: Float64Array): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((cumulative[mid] as number) > r) hi = mid;
    else lo = mid + 1;
  }
  // Rounding can land on a point of weight 0 (a centre already): take the nearest point that has weight.
  for (let j = lo; j < weight.length; j++) if ((weight[j] as number) > 0) return j;
  for (let j = lo - 1; j >= 0; j--) if ((weight[j] as number) > 0) return j;
  return lo;
}

/** The error for data with fewer distinct points than clusters. */
export function tooFewDistinct(k: number, found: number): UserError {
  return new UserError(
    "too-few-distinct",
    `cannot make ${k} clusters: the customers have only ${found} distinct feature vector${found === 1 ? "" : "s"} (choose a smaller k or more features)`,
    "--k",
  );
}
