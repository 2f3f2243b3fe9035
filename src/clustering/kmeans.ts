import { UserError } from "../errors.js";
import { fillHalfCentreDistances } from "./bounds.js";
import { ELKAN_MAX_BOUNDS, forgetElkan, moveElkan } from "./elkan.js";
import { forget, moveBounds } from "./hamerly.js";
import { type Seeding, seedCentres, TRIAL_SAMPLE } from "./kmeans-init.js";
import {
  CHUNK_ROWS,
  chunkCount,
  chunkSizesOf,
  chunkSumsOf,
  createState,
  type KMeansAlgorithm,
  type KMeansState,
  Param,
  Phase,
  transfer,
} from "./kmeans-state.js";
import { lloydAssign, runTask } from "./kmeans-tasks.js";
import { type Matrix, meanVariance, sqDist } from "./matrix.js";
import { Rng } from "./random.js";
import { arenaFor } from "./wasm-memory.js";
import { Team } from "./worker-pool.js";

export type { KMeansAlgorithm };

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
 * Worker threads for a fit (`parallel.ts`): the fit's state is allocated in shared memory, and `open` hands it
 * to the workers and returns the team that runs its passes with them.
 */
export interface Threads {
  /** The matrix's values in shared memory (asked for only when the fit is not in a WebAssembly memory). */
  sharedData(): Float64Array;
  open(state: KMeansState): Team;
}

/**
 * k-means: k-means++ initialisations, then Lloyd's iterations until no point changes cluster, the centres
 * move less than the tolerance, or maxIter. Hamerly's or Elkan's bounds (`defaultAlgorithm`) skip most
 * distance computations and give exactly the assignments of plain Lloyd (same tie-breaking: the lowest cluster
 * index). Deterministic for a seed. An empty cluster takes the point farthest
 * from its centre.
 */
export function kmeans(x: Matrix, opts: KMeansOptions): KMeansResult {
  return kmeansWith(x, opts, null);
}

/**
 * `kmeans` with its passes over the points on the main thread and, given `threads`, worker threads: the same
 * result either way (see `kmeans-state.ts`).
 */
export function kmeansWith(x: Matrix, opts: KMeansOptions, threads: Threads | null): KMeansResult {
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
  const sampleRows = !opts.init && x.n > TRIAL_SAMPLE ? TRIAL_SAMPLE : 0;
  // In a WebAssembly memory (shared, whatever the thread count) when the WebAssembly kernels can run.
  const arena = arenaFor(x);
  const s = arena
    ? createState(arena.data, x.n, x.d, k, algorithm, sampleRows, arena)
    : threads
      ? createState(threads.sharedData(), x.n, x.d, k, algorithm, sampleRows, "shared")
      : createState(x.data, x.n, x.d, k, algorithm, sampleRows, "local");
  const team = threads ? threads.open(s) : new Team((phase, task) => runTask(s, phase, task));
  try {
    let best: KMeansResult | undefined;
    for (let r = 0; r < nInit; r++) {
      if (opts.init) s.centers.set(opts.init);
      else seedCentres(s, team, new Rng(opts.seed, r + (opts.initOffset ?? 0)));
      const run = lloyd(s, team, maxIter, tolAbs, !opts.init);
      // The state is reused by the next initialisation: the best run so far keeps copies.
      if (!best || run.inertia < best.inertia)
        best = { ...run, centers: run.centers.slice(), labels: run.labels.slice() };
    }
    return best as KMeansResult;
  } finally {
    team.close();
  }
}

/** Centres chosen by k-means++ on one thread, with the first assignment and its bounds. */
export function kmeansPlusPlus(x: Matrix, k: number, rng: Rng): Seeding {
  const s = createState(x.data, x.n, x.d, k, "lloyd", x.n > TRIAL_SAMPLE ? TRIAL_SAMPLE : 0, "local");
  seedCentres(s, new Team((phase, task) => runTask(s, phase, task)), rng);
  return { centers: s.centers, nearest: s.labels, closest: s.closest, second: s.farther };
}

/** Every this many iterations the cluster sums are recomputed from scratch, so that rounding cannot drift. */
const RESUM_EVERY = 16;

/**
 * One run from the centres in the state: seeded (the seeding already holds the first assignment and its
 * bounds: no first full scan) or given. Cluster sums are kept per chunk and up to date as points move rather
 * than recomputed each iteration; the centres are the chunk sums combined in chunk order. All three algorithms
 * share that bookkeeping, so their centres stay bit-identical. The result's arrays are the state's own.
 */
function lloyd(s: KMeansState, team: Team, maxIter: number, tolAbs: number, seeded: boolean): KMeansResult {
  const { n, d, k, algorithm, centers } = s;
  const chunks = chunkCount(n);
  s.drift.fill(0);
  s.half.fill(0);
  s.params[Param.maxDrift] = 0;
  s.params[Param.slack] = 1e-12;
  team.pass(seeded ? Phase.startSeeded : Phase.startScan, chunks);
  const next = new Float64Array(k * d);
  const sums = new Float64Array(k * d);
  const sizes = new Int32Array(k);
  const moves = new Float64Array(k);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIter) {
    if (iterations > 0 && iterations % RESUM_EVERY === 0) team.pass(Phase.resum, chunks);
    combineSums(s, sums, sizes);
    const relocated = relocateEmpty(s, sums, sizes);
    for (let j = 0; j < k; j++) {
      const m = sizes[j] as number;
      for (let t = 0; t < d; t++)
        next[j * d + t] = m > 0 ? (sums[j * d + t] as number) / m : (centers[j * d + t] as number);
    }
    let shift = 0;
    for (let j = 0; j < k; j++) {
      const m = Math.sqrt(sqDist(centers, j, next, j, d));
      moves[j] = m;
      shift += m * m;
    }
    centers.set(next);
    iterations++;
    if (algorithm === "hamerly") {
      moveBounds(s, moves);
      for (const i of relocated) forget(s, i);
    } else if (algorithm === "elkan") {
      moveElkan(s, moves);
      for (const i of relocated) forgetElkan(s, i);
    }
    if (algorithm !== "lloyd") fillHalfCentreDistances(centers, k, d, s.half);
    team.pass(Phase.assign, chunks);
    let changed = 0;
    for (let c = 0; c < chunks; c++) changed += s.partial[c] as number;
    if (changed === 0 || shift <= tolAbs) {
      converged = true;
      break;
    }
  }
  team.pass(Phase.final, chunks);
  sizes.fill(0);
  let inertia = 0;
  for (let c = 0; c < chunks; c++) {
    const part = chunkSizesOf(s, c);
    for (let j = 0; j < k; j++) sizes[j] = (sizes[j] as number) + (part[j] as number);
    inertia += s.partial[c] as number;
  }
  return { k, d, centers, labels: s.labels, sizes, inertia, iterations, converged };
}

/** The cluster sums and sizes: the chunks' own, added in chunk order. */
function combineSums(s: KMeansState, sums: Float64Array, sizes: Int32Array): void {
  const { k, d } = s;
  sums.fill(0);
  sizes.fill(0);
  const chunks = chunkCount(s.n);
  for (let c = 0; c < chunks; c++) {
    const part = chunkSumsOf(s, c);
    for (let j = 0; j < k * d; j++) sums[j] = (sums[j] as number) + (part[j] as number);
    const count = chunkSizesOf(s, c);
    for (let j = 0; j < k; j++) sizes[j] = (sizes[j] as number) + (count[j] as number);
  }
}

/**
 * An empty cluster takes the point farthest from its centre (from a cluster with more than one point); the
 * sums of its chunk follow, and the combined sums and sizes are recomputed. Returns the relocated points.
 */
function relocateEmpty(s: KMeansState, sums: Float64Array, sizes: Int32Array): number[] {
  const { n, d, k, data, labels, centers } = s;
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
    const from = labels[arg] as number;
    const c = Math.floor(arg / CHUNK_ROWS);
    transfer(data, arg, d, from, j, chunkSumsOf(s, c), chunkSizesOf(s, c));
    sizes[from] = (sizes[from] as number) - 1;
    sizes[j] = (sizes[j] as number) + 1;
    labels[arg] = j;
    far[arg] = -1;
    relocated.push(arg);
  }
  if (relocated.length > 0) combineSums(s, sums, sizes);
  return relocated;
}

/** Nearest centre of every point and the squared distance to it (lowest index on ties). */
export function assignNearest(
  x: Matrix,
  centers: Float64Array,
): { labels: Int32Array; distances: Float64Array } {
  const labels = new Int32Array(x.n).fill(-1);
  lloydAssign({ d: x.d, k: centers.length / x.d, data: x.data, centers, labels }, 0, x.n, null, null);
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
