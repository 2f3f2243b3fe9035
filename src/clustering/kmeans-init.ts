import { UserError } from "../errors.js";
import { CHUNK_ROWS, chunkCount, type KMeansState, Param, Phase, trialCount } from "./kmeans-state.js";
import { sqDist } from "./matrix.js";
import type { Rng } from "./random.js";
import type { Team } from "./worker-pool.js";

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
 * Greedy k-means++ (Arthur & Vassilvitskii 2007, with scikit-learn's local trials) into a fit's state: the first
 * centre is a random point; each next one is the best of 2 + ⌊ln k⌋ candidates drawn with probability
 * proportional to the squared distance to the nearest centre so far. The triangle inequality skips the distances
 * that cannot matter. Leaves the centres, each point's nearest centre (`labels`), the squared distance to it
 * (`closest`) and a bound for the second nearest (`farther`): the first assignment, with no scan of its own.
 *
 * The passes over the points run as chunk tasks on `team`; every draw and choice is made here, from sums
 * combined in chunk order, so the centres do not depend on the number of threads.
 *
 * Throws a UserError when the data hold fewer than k distinct points (no k-th centre can be found).
 */
export function seedCentres(s: KMeansState, team: Team, rng: Rng): void {
  const { n, d, k, data, centers } = s;
  const chunks = chunkCount(n);
  const first = rng.int(n);
  centers.set(data.subarray(first * d, (first + 1) * d), 0);
  // offsets[c]: the potential of the chunks before c (each chunk's own sum starts from 0).
  const offsets = new Float64Array(chunks + 1);
  team.start(Phase.seedFirst, chunks);
  // The trial sample is drawn while the other threads compute the first distances, then copied (with its
  // distances to the first centre) by all threads: copying 100k scattered rows took the main thread 10–40 ms.
  const sampled = s.sample.length > 0;
  if (sampled) s.sampleRows.set(rng.sample(n, s.sampleRows.length).sort());
  team.finish();
  let potential = combine(s.partial, chunks, offsets);
  const sampleChunks = chunkCount(sampled ? s.sampleRows.length : n);
  if (sampled) team.pass(Phase.seedSample, sampleChunks);
  const trials = trialCount(k);
  const { quarter, candidates, toNew, apart } = s;
  for (let c = 1; c < k; c++) {
    if (!(potential > 0)) throw tooFewDistinct(k, c);
    // Quarter squared distances from a candidate to the centres so far: a point whose own centre is at least
    // twice its distance away from the candidate cannot get closer to the candidate.
    for (let t = 0; t < trials; t++) {
      const candidate = pick(s, offsets, rng.float() * potential);
      candidates[t] = candidate;
      for (let j = 0; j < c; j++) quarter[t * k + j] = 0.25 * sqDist(data, candidate, centers, j, d);
    }
    team.pass(Phase.seedTrials, trials * sampleChunks);
    let bestIndex = -1;
    let bestPotential = Number.POSITIVE_INFINITY;
    for (let t = 0; t < trials; t++) {
      let pot = 0;
      for (let q = 0; q < sampleChunks; q++) pot += s.partial[t * sampleChunks + q] as number;
      if (pot < bestPotential) {
        bestPotential = pot;
        bestIndex = candidates[t] as number;
      }
    }
    centers.set(data.subarray(bestIndex * d, (bestIndex + 1) * d), c * d);
    for (let j = 0; j < c; j++) {
      toNew[j] = 0.25 * sqDist(centers, c, centers, j, d);
      apart[j] = 2 * Math.sqrt(toNew[j] as number);
    }
    s.params[Param.centre] = c;
    team.pass(Phase.seedAdd, chunks + (sampled ? sampleChunks : 0));
    potential = combine(s.partial, chunks, offsets);
  }
}

/** The sum of the chunks' potentials in chunk order, and the offset of each chunk's running sums. */
function combine(partial: Float64Array, chunks: number, offsets: Float64Array): number {
  let potential = 0;
  for (let c = 0; c < chunks; c++) {
    offsets[c] = potential;
    potential += partial[c] as number;
  }
  offsets[chunks] = potential;
  return potential;
}

/**
 * Chunk q of the trial sample: its rows copied into contiguous memory (scattered reads in every trial would
 * cost more than the distances), their distances to the first centre (the very values of `closest`: same rows,
 * same centre), nearest centre 0.
 */
export function gatherSampleChunk(s: KMeansState, q: number): void {
  const { d, data, centers, sample, sampleRows, sampleClosest, sampleNearest } = s;
  const hi = Math.min(sampleRows.length, (q + 1) * CHUNK_ROWS);
  for (let r = q * CHUNK_ROWS; r < hi; r++) {
    const p = (sampleRows[r] as number) * d;
    // A plain loop: a subarray per row would allocate.
    for (let t = 0; t < d; t++) sample[r * d + t] = data[p + t] as number;
    sampleClosest[r] = sqDist(sample, r, centers, 0, d);
    sampleNearest[r] = 0;
  }
}

/** Rows lo…hi: distances to the first centre; returns the chunk's sum of them. */
export function seedFirstChunk(s: KMeansState, lo: number, hi: number): number {
  const { d, data, centers, closest, farther, labels } = s;
  let potential = 0;
  for (let i = lo; i < hi; i++) {
    const v = sqDist(data, i, centers, 0, d);
    closest[i] = v;
    farther[i] = Number.POSITIVE_INFINITY;
    labels[i] = 0;
    potential += v;
  }
  return potential;
}

/**
 * Task t·chunks + q of the trials: Σ min(closest, d²(point, candidate t)) over chunk q of the points the trials
 * are compared on (the sample, or all points).
 */
export function trialChunk(s: KMeansState, task: number): number {
  const sampled = s.sample.length > 0;
  const rows = sampled ? s.sampleClosest.length : s.n;
  const chunks = chunkCount(rows);
  const t = Math.floor(task / chunks);
  const q = task - t * chunks;
  const { d, k } = s;
  const x = sampled ? s.sample : s.data;
  const closest = sampled ? s.sampleClosest : s.closest;
  const nearest = sampled ? s.sampleNearest : s.labels;
  const row = s.candidates[t] as number;
  const quarter = s.quarter;
  const base = t * k;
  const hi = Math.min(rows, (q + 1) * CHUNK_ROWS);
  let pot = 0;
  for (let i = q * CHUNK_ROWS; i < hi; i++) {
    const own = closest[i] as number;
    if ((quarter[base + (nearest[i] as number)] as number) >= own) {
      pot += own;
      continue;
    }
    const v = sqDist(x, i, s.data, row, d);
    pot += Math.min(v, own);
  }
  return pot;
}

/** Rows lo…hi take the centre just chosen into their nearest/second-nearest bookkeeping; returns their potential. */
export function seedAddChunk(s: KMeansState, lo: number, hi: number): number {
  const { d, data, centers, closest, farther, labels, toNew, apart } = s;
  const c = s.params[Param.centre] as number;
  let potential = 0;
  for (let i = lo; i < hi; i++) {
    const own = closest[i] as number;
    const a = labels[i] as number;
    if ((toNew[a] as number) >= own) {
      // Not computed: d(x, new) ≥ d(own centre, new) − d(x, own centre), a bound for the second nearest.
      const lb = (apart[a] as number) - Math.sqrt(own);
      const lb2 = lb * lb;
      if (lb2 < (farther[i] as number)) farther[i] = lb2;
    } else {
      const v = sqDist(data, i, centers, c, d);
      if (v < own) {
        farther[i] = own;
        closest[i] = v;
        labels[i] = c;
      } else if (v < (farther[i] as number)) farther[i] = v;
    }
    potential += closest[i] as number;
  }
  return potential;
}

/** Chunk q of the trial sample takes the centre just chosen as nearest where it is. */
export function seedSampleChunk(s: KMeansState, q: number): void {
  const { d, centers, sample, sampleClosest, sampleNearest } = s;
  const c = s.params[Param.centre] as number;
  const hi = Math.min(sampleClosest.length, (q + 1) * CHUNK_ROWS);
  for (let i = q * CHUNK_ROWS; i < hi; i++) {
    const v = sqDist(sample, i, centers, c, d);
    if (v < (sampleClosest[i] as number)) {
      sampleClosest[i] = v;
      sampleNearest[i] = c;
    }
  }
}

/**
 * The first point whose running potential exceeds r: the chunk by bisection on the chunk offsets, then the
 * point by summing the chunk's weights again in row order. That gives the very running sums a pass would have
 * stored, for ~10 µs per draw; storing them cost a write of n numbers in every k-means++ pass.
 */
function pick(s: KMeansState, offsets: Float64Array, r: number): number {
  const { n, closest } = s;
  let lo = 0;
  let hi = offsets.length - 2;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((offsets[mid + 1] as number) > r) hi = mid;
    else lo = mid + 1;
  }
  const within = r - (offsets[lo] as number);
  const last = Math.min(n, (lo + 1) * CHUNK_ROWS) - 1;
  let at = lo * CHUNK_ROWS;
  let running = 0;
  for (; at < last; at++) {
    running += closest[at] as number;
    if (running > within) break;
  }
  // Rounding can land on a point of weight 0 (a centre already): take the nearest point that has weight.
  for (let j = at; j < n; j++) if ((closest[j] as number) > 0) return j;
  for (let j = at - 1; j >= 0; j--) if ((closest[j] as number) > 0) return j;
  return at;
}

/** The error for data with fewer distinct points than clusters. */
export function tooFewDistinct(k: number, found: number): UserError {
  return new UserError(
    "too-few-distinct",
    `cannot make ${k} clusters: the customers have only ${found} distinct feature vector${found === 1 ? "" : "s"} (choose a smaller k or more features)`,
    "--k",
  );
}
