/** The tasks of a k-means fit: one chunk of one pass each, run alike by the main thread and the workers. */
import { elkanAssign, elkanFromSeeding, elkanScan } from "./elkan.js";
import { hamerlyAssign, hamerlyFromSeeding, hamerlyScan } from "./hamerly.js";
import {
  gatherSampleChunk,
  seedAddChunk,
  seedFirstChunk,
  seedSampleChunk,
  trialChunk,
} from "./kmeans-init.js";
import {
  CHUNK_ROWS,
  chunkCount,
  chunkSizesOf,
  chunkSumsOf,
  type KMeansState,
  Param,
  Phase,
  transfer,
} from "./kmeans-state.js";
import { sqDist } from "./matrix.js";
import { type Kernels, kernelsFor } from "./wasm-kernels.js";

/** The WebAssembly kernels of the last memory seen by this thread (a worker gets a new Memory object per fit). */
let lastMemory: WebAssembly.Memory | null = null;
let lastKernels: Kernels | null = null;

function kernelsOf(s: KMeansState): Kernels | null {
  const memory = s.memory;
  if (!memory) return null;
  if (memory !== lastMemory) {
    lastKernels = kernelsFor(memory);
    lastMemory = memory;
  }
  return lastKernels;
}

/**
 * Runs task `task` of a pass: the one entry point of the main thread and the workers alike. The hot kernels run
 * as WebAssembly when the state lives in a WebAssembly memory, as JS otherwise; both give the same bits.
 */
export function runTask(s: KMeansState, phase: number, task: number): void {
  const lo = task * CHUNK_ROWS;
  const hi = Math.min(s.n, lo + CHUNK_ROWS);
  const w = kernelsOf(s);
  switch (phase) {
    // The kernels return their number and it is stored here: a store after a kernel's loop would have no type
    // feedback when V8 optimises the loop during its first call, and that cached loop code deoptimised at the
    // end of every later chunk (~0.3 ms each, 400 times a fit).
    case Phase.seedFirst:
      s.partial[task] = w
        ? w.seedFirst(
            lo,
            hi,
            s.d,
            s.data.byteOffset,
            s.centers.byteOffset,
            s.closest.byteOffset,
            s.farther.byteOffset,
            s.labels.byteOffset,
          )
        : seedFirstChunk(s, lo, hi);
      return;
    case Phase.seedSample:
      gatherSampleChunk(s, task);
      return;
    case Phase.seedTrials:
      s.partial[task] = w ? wasmTrial(s, w, task) : trialChunk(s, task);
      return;
    case Phase.seedAdd: {
      const chunks = chunkCount(s.n);
      if (task >= chunks) seedSampleChunk(s, task - chunks);
      else
        s.partial[task] = w
          ? w.seedAdd(
              lo,
              hi,
              s.d,
              s.params[Param.centre] as number,
              s.data.byteOffset,
              s.centers.byteOffset,
              s.closest.byteOffset,
              s.farther.byteOffset,
              s.labels.byteOffset,
              s.toNew.byteOffset,
              s.apart.byteOffset,
            )
          : seedAddChunk(s, lo, hi);
      return;
    }
    case Phase.startSeeded:
      if (s.algorithm === "hamerly") hamerlyFromSeeding(s, lo, hi);
      else if (s.algorithm === "elkan") elkanFromSeeding(s, lo, hi);
      resumChunk(s, task, lo, hi);
      return;
    case Phase.startScan:
      if (s.algorithm === "hamerly") hamerlyScan(s, lo, hi);
      else if (s.algorithm === "elkan") elkanScan(s, lo, hi);
      else lloydAssign(s, lo, hi, null, null);
      resumChunk(s, task, lo, hi);
      return;
    case Phase.resum:
      resumChunk(s, task, lo, hi);
      return;
    case Phase.assign: {
      const sums = chunkSumsOf(s, task);
      const sizes = chunkSizesOf(s, task);
      s.partial[task] =
        s.algorithm === "hamerly"
          ? w
            ? w.hamerlyAssign(
                lo,
                hi,
                s.d,
                s.k,
                s.data.byteOffset,
                s.centers.byteOffset,
                s.labels.byteOffset,
                s.half.byteOffset,
                s.drift.byteOffset,
                s.upper.byteOffset,
                s.lower.byteOffset,
                s.rest.byteOffset,
                s.second.byteOffset,
                sums.byteOffset,
                sizes.byteOffset,
                s.params[Param.maxDrift] as number,
                s.params[Param.slack] as number,
              )
            : hamerlyAssign(s, lo, hi, sums, sizes)
          : s.algorithm === "elkan"
            ? elkanAssign(s, lo, hi, sums, sizes)
            : lloydAssign(s, lo, hi, sums, sizes);
      return;
    }
    case Phase.final:
      s.partial[task] = finalChunk(s, task, lo, hi);
      return;
    default:
      throw new Error(`unknown k-means pass ${phase}`);
  }
}

/** `trialChunk` (`kmeans-init.ts`) as WebAssembly: trial t on chunk q of the rows the trials are compared on. */
function wasmTrial(s: KMeansState, w: Kernels, task: number): number {
  const sampled = s.sample.length > 0;
  const rows = sampled ? s.sampleClosest.length : s.n;
  const chunks = chunkCount(rows);
  const t = Math.floor(task / chunks);
  const q = task - t * chunks;
  return w.trial(
    q * CHUNK_ROWS,
    Math.min(rows, (q + 1) * CHUNK_ROWS),
    s.d,
    (sampled ? s.sample : s.data).byteOffset,
    (sampled ? s.sampleClosest : s.closest).byteOffset,
    (sampled ? s.sampleNearest : s.labels).byteOffset,
    s.quarter.byteOffset + t * s.k * 8,
    s.data.byteOffset + (s.candidates[t] as number) * s.d * 8,
  );
}

/** Chunk c's cluster sums and sizes from scratch, in row order. */
function resumChunk(s: KMeansState, c: number, lo: number, hi: number): void {
  const { d, data, labels } = s;
  const sums = chunkSumsOf(s, c);
  const sizes = chunkSizesOf(s, c);
  sums.fill(0);
  sizes.fill(0);
  for (let i = lo; i < hi; i++) {
    const a = labels[i] as number;
    sizes[a] = (sizes[a] as number) + 1;
    const o = a * d;
    const p = i * d;
    for (let t = 0; t < d; t++) sums[o + t] = (sums[o + t] as number) + (data[p + t] as number);
  }
}

/**
 * Nearest centre of every point of rows lo…hi (lowest index on ties); returns how many labels changed. With
 * sums, a point that changes cluster moves between them (a label of −1 is a first assignment).
 */
export function lloydAssign(
  s: Pick<KMeansState, "d" | "k" | "data" | "centers" | "labels">,
  lo: number,
  hi: number,
  sums: Float64Array | null,
  sizes: Int32Array | null,
): number {
  const { d, k, data, centers, labels } = s;
  let changed = 0;
  for (let i = lo; i < hi; i++) {
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

/** Chunk c's cluster sizes; returns its share of the inertia (summed in row order). */
function finalChunk(s: KMeansState, c: number, lo: number, hi: number): number {
  const { d, data, centers, labels } = s;
  const sizes = chunkSizesOf(s, c);
  sizes.fill(0);
  let inertia = 0;
  for (let i = lo; i < hi; i++) {
    const a = labels[i] as number;
    sizes[a] = (sizes[a] as number) + 1;
    inertia += sqDist(data, i, centers, a, d);
  }
  return inertia;
}
