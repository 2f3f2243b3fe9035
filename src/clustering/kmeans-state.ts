/**
 * The state of one k-means fit as flat typed arrays. Every pass over the points is cut into chunks of CHUNK_ROWS
 * rows, one task each (`kmeans-tasks.ts`), which the main thread and any worker threads share (`worker-pool.ts`). A task
 * writes only its own rows and its own slot of the per-chunk results (cluster sums, sizes, potentials), and the
 * main thread combines those slots in chunk order: the chunk boundaries do not depend on the number of threads,
 * so neither does any result, down to the last bit.
 */
import type { Arena } from "./wasm-memory.js";

/** How Lloyd's iterations are run: plainly, or skipping distance computations with Hamerly's or Elkan's bounds. */
export type KMeansAlgorithm = "hamerly" | "elkan" | "lloyd";

/**
 * Rows per task. Fixed (never derived from the thread count), because the per-chunk sums are part of the
 * result's rounding; large enough that a task costs far more than claiming it, small enough (62 tasks on 1M
 * rows) that the threads finish a pass together.
 */
export const CHUNK_ROWS = 16_384;

/** How many chunks `rows` rows make. */
export function chunkCount(rows: number): number {
  return Math.ceil(rows / CHUNK_ROWS);
}

/** The passes a team can run; each runs a number of tasks (chunks, or trials × chunks). */
export const Phase = {
  /** k-means++: distances to the first centre. */
  seedFirst: 1,
  /** k-means++: the trial sample's rows copied, and their distances to the first centre. */
  seedSample: 9,
  /** k-means++: the potential of every candidate centre, per sample chunk. */
  seedTrials: 2,
  /** k-means++: the chosen centre enters every point's nearest/second-nearest bookkeeping. */
  seedAdd: 3,
  /** Bounds from the seeding, and the chunk sums. */
  startSeeded: 4,
  /** Labels and bounds from every distance to given centres, and the chunk sums. */
  startScan: 5,
  /** The chunk sums from scratch. */
  resum: 6,
  /** One assignment step (Lloyd's, Hamerly's or Elkan's), the chunk sums following the points that move. */
  assign: 7,
  /** Each chunk's cluster sizes and inertia. */
  final: 8,
} as const;

/** Indices into `KMeansState.params`, the scalars the main thread sets before a pass. */
export const Param = {
  /** k-means++: the index of the centre just chosen. */
  centre: 0,
  /** Hamerly: Σ of each iteration's largest centre move. */
  maxDrift: 1,
  /** Hamerly and Elkan: the absolute margin for rounding in the drift sums. */
  slack: 2,
} as const;

/**
 * Everything a task reads or writes. Plain arrays in one thread; SharedArrayBuffers when worker threads share
 * the work (the object is posted to them once per fit); or views of one shared WebAssembly memory, when the
 * kernels run as WebAssembly (`wasm-kernels.ts`), for any number of threads. Arrays of length 0 are unused by
 * the algorithm.
 */
export interface KMeansState {
  /** The memory every array lives in (their byte offsets are the kernels' addresses), or null: JS kernels. */
  readonly memory: WebAssembly.Memory | null;
  readonly n: number;
  readonly d: number;
  readonly k: number;
  readonly algorithm: KMeansAlgorithm;
  /** n×d, row-major. */
  readonly data: Float64Array;
  /** Each point's centre (k-means++: its nearest centre so far). */
  readonly labels: Int32Array;
  /**
   * k-means++: squared distance to the nearest centre so far. Then, rewritten in place, the upper bound of
   * Hamerly or Elkan (the same array as `upper`).
   */
  readonly closest: Float64Array;
  readonly upper: Float64Array;
  /**
   * k-means++: a lower bound on the squared distance to the second-nearest centre. Hamerly rewrites it in place
   * into its lower bound (then `lower` is this array).
   */
  readonly farther: Float64Array;
  /** Hamerly: n lower bounds (= `farther`); Elkan: n×k. */
  readonly lower: Float64Array;
  /** Hamerly: lower bound on the distance to every centre but the two nearest. */
  readonly rest: Float64Array;
  /** Hamerly: the second-nearest centre (−1: bound for all the others). */
  readonly second: Int32Array;
  /** k-means++ above TRIAL_SAMPLE points: the rows of the sample the trials are compared on (sorted), else empty. */
  readonly sampleRows: Int32Array;
  /** Their values (sample rows × d). */
  readonly sample: Float64Array;
  readonly sampleClosest: Float64Array;
  readonly sampleNearest: Int32Array;
  /** k×d. */
  readonly centers: Float64Array;
  /** half[a·k + j]: half the distance between centres a and j; half[a·k + a]: the smallest of a's. */
  readonly half: Float64Array;
  /** Σ of each centre's moves (bounds are stored relative to it). */
  readonly drift: Float64Array;
  /** k-means++: trials × k quarter squared distances from each candidate to the centres so far. */
  readonly quarter: Float64Array;
  /** k-means++: quarter squared distances from the centre just chosen to the earlier ones, and 2·√ of them. */
  readonly toNew: Float64Array;
  readonly apart: Float64Array;
  /** k-means++: the rows of the candidates. */
  readonly candidates: Int32Array;
  /** chunks × k × d: each chunk's cluster sums. */
  readonly chunkSums: Float64Array;
  /** chunks × k: each chunk's cluster sizes. */
  readonly chunkSizes: Int32Array;
  /** One number per task (a potential, an inertia, a count of changed labels). */
  readonly partial: Float64Array;
  readonly params: Float64Array;
}

/** Local trials of k-means++ for k centres (scikit-learn's 2 + ⌊ln k⌋). */
export function trialCount(k: number): number {
  return 2 + Math.floor(Math.log(k));
}

/**
 * A fit's state for n×d data, k centres and an algorithm, its arrays in plain memory, in SharedArrayBuffers, or
 * in a WebAssembly memory (then `data` must be the arena's); `sampleRows` is the k-means++ trial sample's size
 * (0: the trials use every point).
 */
export function createState(
  data: Float64Array,
  n: number,
  d: number,
  k: number,
  algorithm: KMeansAlgorithm,
  sampleRows: number,
  place: "local" | "shared" | Arena,
): KMeansState {
  const f64 = (length: number) =>
    typeof place === "object"
      ? place.f64(length)
      : place === "shared"
        ? new Float64Array(new SharedArrayBuffer(length * 8))
        : new Float64Array(length);
  const i32 = (length: number) =>
    typeof place === "object"
      ? place.i32(length)
      : place === "shared"
        ? new Int32Array(new SharedArrayBuffer(length * 4))
        : new Int32Array(length);
  const chunks = chunkCount(n);
  const sampleChunks = chunkCount(sampleRows || n);
  const trials = trialCount(k);
  const closest = f64(n);
  const farther = f64(n);
  const hamerly = algorithm === "hamerly";
  return {
    memory: typeof place === "object" ? place.memory : null,
    n,
    d,
    k,
    algorithm,
    data,
    labels: i32(n),
    closest,
    upper: closest,
    farther,
    lower: hamerly ? farther : f64(algorithm === "elkan" ? n * k : 0),
    rest: f64(hamerly ? n : 0),
    second: i32(hamerly ? n : 0),
    sampleRows: i32(sampleRows),
    sample: f64(sampleRows * d),
    sampleClosest: f64(sampleRows),
    sampleNearest: i32(sampleRows),
    centers: f64(k * d),
    half: f64(k * k),
    drift: f64(k),
    quarter: f64(trials * k),
    toNew: f64(k),
    apart: f64(k),
    candidates: i32(trials),
    chunkSums: f64(chunks * k * d),
    chunkSizes: i32(chunks * k),
    partial: f64(Math.max(chunks + sampleChunks, trials * sampleChunks)),
    params: f64(3),
  };
}

/** Chunk c's cluster sums (k×d). */
export function chunkSumsOf(s: KMeansState, c: number): Float64Array {
  const size = s.k * s.d;
  return s.chunkSums.subarray(c * size, (c + 1) * size);
}

/** Chunk c's cluster sizes (k). */
export function chunkSizesOf(s: KMeansState, c: number): Int32Array {
  return s.chunkSizes.subarray(c * s.k, (c + 1) * s.k);
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
