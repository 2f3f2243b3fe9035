import { UserError } from "../errors.js";
import { kmeansPlusPlus, type Seeding } from "./kmeans-init.js";
import { type Matrix, meanVariance, sqDist } from "./matrix.js";
import { Rng } from "./random.js";

/** How Lloyd's iterations are run: plainly, or skipping distance computations with Hamerly's bounds. */
export type KMeansAlgorithm = "hamerly" | "lloyd";

export interface KMeansOptions {
  readonly k: number;
  readonly seed: number;
  /** Initialisations (k-means++ each, from streams 0…nInit−1 of the seed); the lowest inertia wins. */
  readonly nInit?: number;
  readonly maxIter?: number;
  /** Convergence when the centres move less than tol × the data's mean variance (scikit-learn's rule). */
  readonly tol?: number;
  readonly algorithm?: KMeansAlgorithm;
  /** Start from these centres (k×d) instead of k-means++ (then there is one initialisation). */
  readonly init?: Float64Array;
}

export interface KMeansResult {
  readonly k: number;
  readonly d: number;
  /** k×d, row-major, in the space of the input matrix. */
  readonly centers: Float64Array;
  readonly labels: Int32Array;
  readonly sizes: Int32Array;
  /** Sum of squared distances of the points to their centres. */
  readonly inertia: number;
  readonly iterations: number;
  readonly converged: boolean;
}

/** Initialisations by default: more for small bases, where they are cheap and local optima common. */
export function defaultInitialisations(n: number): number {
  return n <= 50_000 ? 10 : 3;
}

/**
 * k-means: k-means++ initialisations, then Lloyd's iterations until no point changes cluster, the centres
 * move less than the tolerance, or maxIter. Hamerly's bounds (the default) skip most distance computations
 * and give exactly the assignments of plain Lloyd (same tie-breaking: the lowest cluster index). Deterministic
 * for a seed. An empty cluster takes the point farthest from its centre.
 */
export function kmeans(x: Matrix, opts: KMeansOptions): KMeansResult {
  const { k } = opts;
  if (!Number.isInteger(k) || k < 1)
    throw new UserError("bad-k", `k must be a whole number ≥ 1, got ${k}`, "--k");
  if (x.n < k)
    throw new UserError(
      "too-few-customers",
      `cannot make ${k} clusters from ${x.n} customer${x.n === 1 ? "" : "s"}`,
      "--k",
    );
  const maxIter = opts.maxIter ?? 300;
  const tolAbs = (opts.tol ?? 1e-4) * meanVariance(x);
  const hamerly = (opts.algorithm ?? "hamerly") === "hamerly";
  const nInit = opts.init ? 1 : (opts.nInit ?? defaultInitialisations(x.n));
  let best: KMeansResult | undefined;
  for (let r = 0; r < nInit; r++) {
    const init = opts.init ? opts.init.slice() : kmeansPlusPlus(x, k, new Rng(opts.seed, r));
    const run = lloyd(x, init, maxIter, tolAbs, hamerly);
    if (!best || run.inertia < best.inertia) best = run;
  }
  return best as KMeansResult;
}

/** Margin on Hamerly's bounds, so that rounding never lets a bound skip a point Lloyd would move. */
const EPS = 1e-10;

/**
 * One run from given centres, or from a k-means++ seeding (which already holds the first assignment and, for
 * Hamerly, its bounds: no first full scan).
 */
function lloyd(
  x: Matrix,
  init: Float64Array | Seeding,
  maxIter: number,
  tolAbs: number,
  hamerly: boolean,
): KMeansResult {
  const { n, d } = x;
  const seeding = init instanceof Float64Array ? null : init;
  let centers: Float64Array = seeding ? seeding.centers : (init as Float64Array);
  const k = centers.length / d;
  let next: Float64Array = new Float64Array(k * d);
  const labels = seeding ? seeding.nearest.slice() : new Int32Array(n).fill(-1);
  const sizes = new Int32Array(k);
  const moves = new Float64Array(k);
  const bounds = hamerly
    ? { upper: new Float64Array(n), lower: new Float64Array(n), half: new Float64Array(k) }
    : null;
  if (seeding && bounds) {
    for (let i = 0; i < n; i++) {
      bounds.upper[i] = Math.sqrt(seeding.closest[i] as number) * (1 + EPS);
      bounds.lower[i] = Math.sqrt(seeding.second[i] as number) * (1 - EPS);
    }
  } else if (bounds) scanAll(x, centers, labels, bounds.upper, bounds.lower);
  else if (!seeding) assignLloyd(x, centers, labels);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIter) {
    const relocated = updateCenters(x, labels, centers, next, sizes);
    let shift = 0;
    for (let j = 0; j < k; j++) {
      const m = Math.sqrt(sqDist(centers, j, next, j, d));
      moves[j] = m;
      shift += m * m;
    }
    [centers, next] = [next, centers];
    iterations++;
    let changed: number;
    if (bounds) {
      moveBounds(labels, moves, bounds.upper, bounds.lower);
      for (const i of relocated) {
        bounds.upper[i] = Number.POSITIVE_INFINITY;
        bounds.lower[i] = 0;
      }
      changed = assignHamerly(x, centers, labels, bounds.upper, bounds.lower, bounds.half);
    } else {
      changed = assignLloyd(x, centers, labels);
    }
    if (changed === 0 || shift <= tolAbs) {
      converged = true;
      break;
    }
  }
  sizes.fill(0);
  let inertia = 0;
  for (let i = 0; i < n; i++) {
    const a = labels[i] as number;
    sizes[a] = (sizes[a] as number) + 1;
    inertia += sqDist(x.data, i, centers, a, d);
  }
  return { k, d, centers, labels, sizes, inertia, iterations, converged };
}

/** Nearest centre of every point (lowest index on ties); returns how many labels changed. */
function assignLloyd(x: Matrix, centers: Float64Array, labels: Int32Array): number {
  const { n, d, data } = x;
  const k = centers.length / d;
  let changed = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestD = Number.POSITIVE_INFINITY;
    for (let j = 0; j < k; j++) {
      const v = sqDist(data, i, centers, j, d);
      if (v < bestD) {
        bestD = v;
        best = j;
      }
    }
    if (labels[i] !== best) {
      labels[i] = best;
      changed++;
    }
  }
  return changed;
}

/** Full scan of point i: nearest and second-nearest centre; sets the label and both bounds. */
function scanPoint(
  data: Float64Array,
  i: number,
  centers: Float64Array,
  d: number,
  k: number,
  labels: Int32Array,
  upper: Float64Array,
  lower: Float64Array,
): boolean {
  let best = 0;
  let b1 = Number.POSITIVE_INFINITY;
  let b2 = Number.POSITIVE_INFINITY;
  for (let j = 0; j < k; j++) {
    const v = sqDist(data, i, centers, j, d);
    if (v < b1) {
      b2 = b1;
      b1 = v;
      best = j;
    } else if (v < b2) b2 = v;
  }
  upper[i] = Math.sqrt(b1) * (1 + EPS);
  lower[i] = Math.sqrt(b2) * (1 - EPS);
  if (labels[i] === best) return false;
  labels[i] = best;
  return true;
}

function scanAll(
  x: Matrix,
  centers: Float64Array,
  labels: Int32Array,
  upper: Float64Array,
  lower: Float64Array,
): void {
  const k = centers.length / x.d;
  for (let i = 0; i < x.n; i++) scanPoint(x.data, i, centers, x.d, k, labels, upper, lower);
}

/** After the centres moved: the upper bound grows by the own centre's move, the lower shrinks by the largest other. */
function moveBounds(labels: Int32Array, moves: Float64Array, upper: Float64Array, lower: Float64Array): void {
  let m1 = 0;
  let m2 = 0;
  let arg = -1;
  for (let j = 0; j < moves.length; j++) {
    const m = moves[j] as number;
    if (m > m1) {
      m2 = m1;
      m1 = m;
      arg = j;
    } else if (m > m2) m2 = m;
  }
  for (let i = 0; i < labels.length; i++) {
    const a = labels[i] as number;
    upper[i] = (upper[i] as number) + (moves[a] as number) * (1 + EPS);
    lower[i] = (lower[i] as number) - (a === arg ? m2 : m1) * (1 + EPS);
  }
}

/**
 * Hamerly's assignment step: a point whose upper bound is below both its lower bound and half the distance
 * from its centre to the nearest other centre cannot change cluster; only the others are scanned.
 */
function assignHamerly(
  x: Matrix,
  centers: Float64Array,
  labels: Int32Array,
  upper: Float64Array,
  lower: Float64Array,
  half: Float64Array,
): number {
  const { n, d, data } = x;
  const k = centers.length / d;
  for (let j = 0; j < k; j++) {
    let m = Number.POSITIVE_INFINITY;
    for (let j2 = 0; j2 < k; j2++) if (j2 !== j) m = Math.min(m, sqDist(centers, j, centers, j2, d));
    half[j] = 0.5 * Math.sqrt(m) * (1 - EPS);
  }
  let changed = 0;
  for (let i = 0; i < n; i++) {
    const a = labels[i] as number;
    const lo = lower[i] as number;
    const h = half[a] as number;
    const m = Math.max(lo, h);
    if ((upper[i] as number) < m) continue;
    const u = Math.sqrt(sqDist(data, i, centers, a, d)) * (1 + EPS);
    upper[i] = u;
    if (u < m) continue;
    if (scanPoint(data, i, centers, d, k, labels, upper, lower)) changed++;
  }
  return changed;
}

/**
 * New centres: the means of their points. An empty cluster first takes the point farthest from its current
 * centre (from a cluster with more than one point). Returns the relocated points.
 */
function updateCenters(
  x: Matrix,
  labels: Int32Array,
  centers: Float64Array,
  next: Float64Array,
  sizes: Int32Array,
): number[] {
  const { n, d, data } = x;
  const k = sizes.length;
  sizes.fill(0);
  for (let i = 0; i < n; i++) {
    const a = labels[i] as number;
    sizes[a] = (sizes[a] as number) + 1;
  }
  const relocated: number[] = [];
  if (sizes.includes(0)) {
    const far = new Float64Array(n);
    for (let i = 0; i < n; i++) far[i] = sqDist(data, i, centers, labels[i] as number, d);
    for (let j = 0; j < k; j++) {
      if (sizes[j] !== 0) continue;
      let arg = -1;
      let max = -1;
      for (let i = 0; i < n; i++) {
        if ((far[i] as number) > max && (sizes[labels[i] as number] as number) > 1) {
          max = far[i] as number;
          arg = i;
        }
      }
      if (arg < 0) break;
      const from = labels[arg] as number;
      sizes[from] = (sizes[from] as number) - 1;
      labels[arg] = j;
      sizes[j] = 1;
      far[arg] = -1;
      relocated.push(arg);
    }
  }
  next.fill(0);
  for (let i = 0; i < n; i++) {
    const o = (labels[i] as number) * d;
    const p = i * d;
    for (let t = 0; t < d; t++) next[o + t] = (next[o + t] as number) + (data[p + t] as number);
  }
  for (let j = 0; j < k; j++) {
    const s = sizes[j] as number;
    if (s === 0) {
      // Nothing to relocate (all points coincide with their centres): keep the centre where it was.
      next.set(centers.subarray(j * d, (j + 1) * d), j * d);
      continue;
    }
    for (let t = 0; t < d; t++) next[j * d + t] = (next[j * d + t] as number) / s;
  }
  return relocated;
}

/** Nearest centre of every point and the squared distance to it (lowest index on ties). */
export function assignNearest(
  x: Matrix,
  centers: Float64Array,
): { labels: Int32Array; distances: Float64Array } {
  const labels = new Int32Array(x.n).fill(-1);
  assignLloyd(x, centers, labels);
  const distances = new Float64Array(x.n);
  for (let i = 0; i < x.n; i++) distances[i] = sqDist(x.data, i, centers, labels[i] as number, x.d);
  return { labels, distances };
}

/** Inertia, sizes and centres (the means) of a given labelling. */
export function summarise(
  x: Matrix,
  labels: Int32Array,
  k: number,
): { centers: Float64Array; sizes: Int32Array; inertia: number } {
  const { n, d, data } = x;
  const centers = new Float64Array(k * d);
  const sizes = new Int32Array(k);
  for (let i = 0; i < n; i++) {
    const a = labels[i] as number;
    sizes[a] = (sizes[a] as number) + 1;
    for (let t = 0; t < d; t++)
      centers[a * d + t] = (centers[a * d + t] as number) + (data[i * d + t] as number);
  }
  for (let j = 0; j < k; j++)
    for (let t = 0; t < d; t++)
      centers[j * d + t] = (centers[j * d + t] as number) / Math.max(1, sizes[j] as number);
  let inertia = 0;
  for (let i = 0; i < n; i++) inertia += sqDist(data, i, centers, labels[i] as number, d);
  return { centers, sizes, inertia };
}
