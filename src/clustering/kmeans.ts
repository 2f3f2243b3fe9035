import { UserError } from "../errors.js";
import {
  assignElkan,
  ELKAN_MAX_BOUNDS,
  elkanFromScan,
  elkanFromSeeding,
  forgetElkan,
  moveElkan,
} from "./elkan.js";
import { assignHamerly, boundsFromScan, boundsFromSeeding, forget, moveBounds } from "./hamerly.js";
import { kmeansPlusPlus, type Seeding } from "./kmeans-init.js";
import { type Matrix, meanVariance, sqDist } from "./matrix.js";
import { Rng } from "./random.js";

/** How Lloyd's iterations are run: plainly, or skipping distance computations with Hamerly's or Elkan's bounds. */
export type KMeansAlgorithm = "hamerly" | "elkan" | "lloyd";

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
  /** The first initialisation's stream (default 0): a worker running initialisation r alone passes r. */
  readonly initOffset?: number;
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

/**
 * Hamerly's bounds for few features, Elkan's for many (when its n·k bounds fit): checking a bound costs about
 * what a 10-feature distance does, so Elkan's per-centre bounds pay only when distances are dearer.
 */
export function defaultAlgorithm(n: number, d: number, k: number): KMeansAlgorithm {
  return d >= 16 && n * k <= ELKAN_MAX_BOUNDS ? "elkan" : "hamerly";
}

/** Initialisations by default: more for small bases, where they are cheap and local optima common. */
export function defaultInitialisations(n: number): number {
  return n <= 50_000 ? 10 : 3;
}

/**
 * k-means: k-means++ initialisations, then Lloyd's iterations until no point changes cluster, the centres
 * move less than the tolerance, or maxIter. Hamerly's or Elkan's bounds (`defaultAlgorithm`) skip most
 * distance computations and give exactly the assignments of plain Lloyd (same tie-breaking: the lowest cluster
 * index). Deterministic for a seed. An empty cluster takes the point farthest
 * from its centre.
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
  const algorithm = opts.algorithm ?? defaultAlgorithm(x.n, x.d, k);
  const nInit = opts.init ? 1 : (opts.nInit ?? defaultInitialisations(x.n));
  let best: KMeansResult | undefined;
  for (let r = 0; r < nInit; r++) {
    const init = opts.init
      ? opts.init.slice()
      : kmeansPlusPlus(x, k, new Rng(opts.seed, r + (opts.initOffset ?? 0)));
    const run = lloyd(x, init, maxIter, tolAbs, algorithm);
    if (!best || run.inertia < best.inertia) best = run;
  }
  return best as KMeansResult;
}

/** What Hamerly's and Elkan's bounds offer the iterations. */
interface Accelerator {
  move(moves: Float64Array): void;
  forget(i: number): void;
  assign(centers: Float64Array, moved: (i: number, from: number, to: number) => void): number;
}

/** The bounds of an accelerated algorithm, from a seeding (no first scan) or from a full scan; null for Lloyd. */
function accelerator(
  algorithm: KMeansAlgorithm,
  x: Matrix,
  centers: Float64Array,
  labels: Int32Array,
  seeding: Seeding | null,
  k: number,
): Accelerator | null {
  if (algorithm === "hamerly") {
    const b = seeding ? boundsFromSeeding(seeding, k) : boundsFromScan(x, centers, labels);
    return {
      move: (m) => moveBounds(b, m),
      forget: (i) => forget(b, i),
      assign: (c, moved) => assignHamerly(x, c, labels, b, moved),
    };
  }
  if (algorithm === "elkan") {
    const b = seeding ? elkanFromSeeding(seeding, k) : elkanFromScan(x, centers, labels);
    return {
      move: (m) => moveElkan(b, m),
      forget: (i) => forgetElkan(b, i),
      assign: (c, moved) => assignElkan(x, c, labels, b, moved),
    };
  }
  return null;
}

/** Every this many iterations the cluster sums are recomputed from scratch, so that rounding cannot drift. */
const RESUM_EVERY = 16;

/**
 * One run from given centres, or from a k-means++ seeding (which already holds the first assignment and, for
 * Hamerly, its bounds: no first full scan). Cluster sums are kept up to date as points move rather than
 * recomputed each iteration; both algorithms share that bookkeeping, so their centres stay bit-identical.
 */
function lloyd(
  x: Matrix,
  init: Float64Array | Seeding,
  maxIter: number,
  tolAbs: number,
  algorithm: KMeansAlgorithm,
): KMeansResult {
  const { n, d } = x;
  const seeding = init instanceof Float64Array ? null : init;
  let centers: Float64Array = seeding ? seeding.centers : (init as Float64Array);
  const k = centers.length / d;
  let next: Float64Array = new Float64Array(k * d);
  const labels = seeding ? seeding.nearest.slice() : new Int32Array(n).fill(-1);
  const sums = new Float64Array(k * d);
  const sizes = new Int32Array(k);
  const moves = new Float64Array(k);
  const bounds = accelerator(algorithm, x, centers, labels, seeding, k);
  if (!seeding && !bounds) assignLloyd(x, centers, labels, null, null);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIter) {
    if (iterations % RESUM_EVERY === 0) resum(x, labels, sums, sizes);
    const relocated = relocateEmpty(x, labels, centers, sums, sizes);
    for (let j = 0; j < k; j++) {
      const s = sizes[j] as number;
      for (let t = 0; t < d; t++)
        next[j * d + t] = s > 0 ? (sums[j * d + t] as number) / s : (centers[j * d + t] as number);
    }
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
      bounds.move(moves);
      for (const i of relocated) bounds.forget(i);
      changed = bounds.assign(centers, (i, from, to) => transfer(x.data, i, d, from, to, sums, sizes));
    } else {
      changed = assignLloyd(x, centers, labels, sums, sizes);
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

/** Moves point i's vector from one cluster's sum to another's. */
export function transfer(
  data: Float64Array,
  i: number,
  d: number,
  from: number,
  to: number,
  sums: Float64Array,
  sizes: Int32Array,
): void {
  const p = i * d;
  const o = from * d;
  const q = to * d;
  for (let t = 0; t < d; t++) {
    const v = data[p + t] as number;
    sums[o + t] = (sums[o + t] as number) - v;
    sums[q + t] = (sums[q + t] as number) + v;
  }
  sizes[from] = (sizes[from] as number) - 1;
  sizes[to] = (sizes[to] as number) + 1;
}

/** The cluster sums and sizes of a labelling, from scratch. */
function resum(x: Matrix, labels: Int32Array, sums: Float64Array, sizes: Int32Array): void {
  const { n, d, data } = x;
  sums.fill(0);
  sizes.fill(0);
  for (let i = 0; i < n; i++) {
    const a = labels[i] as number;
    sizes[a] = (sizes[a] as number) + 1;
    const o = a * d;
    const p = i * d;
    for (let t = 0; t < d; t++) sums[o + t] = (sums[o + t] as number) + (data[p + t] as number);
  }
}

/** Nearest centre of every point (lowest index on ties); returns how many labels changed. */
function assignLloyd(
  x: Matrix,
  centers: Float64Array,
  labels: Int32Array,
  sums: Float64Array | null,
  sizes: Int32Array | null,
): number {
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
    const old = labels[i] as number;
    if (old !== best) {
      if (sums && sizes && old >= 0) transfer(data, i, d, old, best, sums, sizes);
      labels[i] = best;
      changed++;
    }
  }
  return changed;
}

/**
 * An empty cluster takes the point farthest from its centre (from a cluster with more than one point); its
 * sums and sizes follow. Returns the relocated points.
 */
function relocateEmpty(
  x: Matrix,
  labels: Int32Array,
  centers: Float64Array,
  sums: Float64Array,
  sizes: Int32Array,
): number[] {
  const { n, d, data } = x;
  const k = sizes.length;
  const relocated: number[] = [];
  if (!sizes.includes(0)) return relocated;
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
    transfer(data, arg, d, labels[arg] as number, j, sums, sizes);
    labels[arg] = j;
    far[arg] = -1;
    relocated.push(arg);
  }
  return relocated;
}

/** Nearest centre of every point and the squared distance to it (lowest index on ties). */
export function assignNearest(
  x: Matrix,
  centers: Float64Array,
): { labels: Int32Array; distances: Float64Array } {
  const labels = new Int32Array(x.n).fill(-1);
  assignLloyd(x, centers, labels, null, null);
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
