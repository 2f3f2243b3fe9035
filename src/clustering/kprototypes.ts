import { UserError } from "../errors.js";
import { tooFewDistinct } from "./kmeans-init.js";
import { type Matrix, sqDist } from "./matrix.js";
import { Rng } from "./random.js";

/** Categorical columns as integer codes, row-major (n×q); −1 is a level never seen when the model was fitted. */
export interface CategoricalMatrix {
  readonly n: number;
  readonly q: number;
  readonly codes: Int32Array;
  /** Number of levels of each column. */
  readonly levels: readonly number[];
}

export interface KPrototypesOptions {
  readonly k: number;
  readonly seed: number;
  /** Weight of one categorical mismatch against squared numeric distance (default 0.5 × mean numeric variance). */
  readonly gamma?: number;
  readonly nInit?: number;
  readonly maxIter?: number;
}

export interface KPrototypesResult {
  readonly k: number;
  /** k×p numeric centres and k×q categorical modes. */
  readonly centers: Float64Array;
  readonly modes: Int32Array;
  readonly labels: Int32Array;
  readonly sizes: Int32Array;
  /** Σ squared numeric distance + γ × mismatches, over all points. */
  readonly cost: number;
  readonly gamma: number;
  readonly iterations: number;
}

/** Distance of point i to prototype j: squared Euclidean on the numbers plus γ per categorical mismatch. */
export function prototypeDistance(
  x: Matrix,
  c: CategoricalMatrix,
  i: number,
  centers: Float64Array,
  modes: Int32Array,
  j: number,
  gamma: number,
): number {
  let v = x.d > 0 ? sqDist(x.data, i, centers, j, x.d) : 0;
  const q = c.q;
  for (let t = 0; t < q; t++) if (c.codes[i * q + t] !== modes[j * q + t]) v += gamma;
  return v;
}

/** Nearest prototype of every point (lowest index on ties) and its distance. */
export function assignPrototypes(
  x: Matrix,
  c: CategoricalMatrix,
  centers: Float64Array,
  modes: Int32Array,
  k: number,
  gamma: number,
): { labels: Int32Array; distances: Float64Array } {
  const labels = new Int32Array(c.n);
  const distances = new Float64Array(c.n);
  for (let i = 0; i < c.n; i++) {
    let best = 0;
    let bestD = Number.POSITIVE_INFINITY;
    for (let j = 0; j < k; j++) {
      const v = prototypeDistance(x, c, i, centers, modes, j, gamma);
      if (v < bestD) {
        bestD = v;
        best = j;
      }
    }
    labels[i] = best;
    distances[i] = bestD;
  }
  return { labels, distances };
}

/**
 * k-prototypes (Huang 1998) for mixed data, in batch form: prototypes are numeric means plus categorical
 * modes; seeded k-means++-style initialisation on the mixed distance; iterations until no point moves or
 * maxIter; the lowest cost of nInit runs wins.
 */
export function kprototypes(x: Matrix, c: CategoricalMatrix, opts: KPrototypesOptions): KPrototypesResult {
  const { k } = opts;
  const n = c.n;
  if (n < k)
    throw new UserError(
      "too-few-customers",
      `cannot make ${k} clusters from ${n} customer${n === 1 ? "" : "s"}`,
      "--k",
    );
  const gamma = opts.gamma ?? defaultGamma(x);
  let best: KPrototypesResult | undefined;
  for (let r = 0; r < (opts.nInit ?? 5); r++) {
    const run = once(x, c, k, gamma, opts.maxIter ?? 100, new Rng(opts.seed, r));
    if (!best || run.cost < best.cost) best = run;
  }
  return best as KPrototypesResult;
}

/** Half the mean variance of the numeric columns (0.5 once standardised, as Huang suggests); 1 without numbers. */
function defaultGamma(x: Matrix): number {
  if (x.d === 0 || x.n === 0) return 1;
  let total = 0;
  for (let t = 0; t < x.d; t++) {
    let m = 0;
    for (let i = 0; i < x.n; i++) m += x.data[i * x.d + t] as number;
    m /= x.n;
    let v = 0;
    for (let i = 0; i < x.n; i++) v += ((x.data[i * x.d + t] as number) - m) ** 2;
    total += v / x.n;
  }
  return 0.5 * (total / x.d);
}

function once(
  x: Matrix,
  c: CategoricalMatrix,
  k: number,
  gamma: number,
  maxIter: number,
  rng: Rng,
): KPrototypesResult {
  const { n, q } = c;
  const p = x.d;
  const centers = new Float64Array(k * p);
  const modes = new Int32Array(k * q);
  const setPrototype = (j: number, i: number) => {
    centers.set(x.data.subarray(i * p, (i + 1) * p), j * p);
    modes.set(c.codes.subarray(i * q, (i + 1) * q), j * q);
  };
  // k-means++ seeding on the mixed distance.
  setPrototype(0, rng.int(n));
  const closest = new Float64Array(n);
  for (let i = 0; i < n; i++) closest[i] = prototypeDistance(x, c, i, centers, modes, 0, gamma);
  for (let j = 1; j < k; j++) {
    let total = 0;
    for (const v of closest) total += v;
    if (!(total > 0)) throw tooFewDistinct(k, j);
    let r = rng.float() * total;
    let pick = n - 1;
    for (let i = 0; i < n; i++) {
      r -= closest[i] as number;
      if (r < 0 && (closest[i] as number) > 0) {
        pick = i;
        break;
      }
    }
    setPrototype(j, pick);
    for (let i = 0; i < n; i++)
      closest[i] = Math.min(closest[i] as number, prototypeDistance(x, c, i, centers, modes, j, gamma));
  }
  let labels: Int32Array = new Int32Array(n).fill(-1);
  const sizes = new Int32Array(k);
  const counts = c.levels.map((m) => new Int32Array(k * m));
  let iterations = 0;
  for (; iterations < maxIter; iterations++) {
    const next = assignPrototypes(x, c, centers, modes, k, gamma).labels;
    let changed = 0;
    for (let i = 0; i < n; i++) if (next[i] !== labels[i]) changed++;
    labels = next;
    if (changed === 0) break;
    // Update: numeric means, categorical modes (the lowest code on ties); an empty cluster keeps its prototype.
    sizes.fill(0);
    const sums = new Float64Array(k * p);
    for (const t of counts) t.fill(0);
    for (let i = 0; i < n; i++) {
      const a = labels[i] as number;
      sizes[a] = (sizes[a] as number) + 1;
      for (let t = 0; t < p; t++)
        sums[a * p + t] = (sums[a * p + t] as number) + (x.data[i * p + t] as number);
      for (let t = 0; t < q; t++) {
        const code = c.codes[i * q + t] as number;
        const m = c.levels[t] as number;
        if (code >= 0)
          (counts[t] as Int32Array)[a * m + code] = ((counts[t] as Int32Array)[a * m + code] as number) + 1;
      }
    }
    for (let j = 0; j < k; j++) {
      const s = sizes[j] as number;
      if (s === 0) continue;
      for (let t = 0; t < p; t++) centers[j * p + t] = (sums[j * p + t] as number) / s;
      for (let t = 0; t < q; t++) {
        const m = c.levels[t] as number;
        const tc = counts[t] as Int32Array;
        let arg = 0;
        for (let l = 1; l < m; l++) if ((tc[j * m + l] as number) > (tc[j * m + arg] as number)) arg = l;
        modes[j * q + t] = arg;
      }
    }
  }
  const { labels: final, distances } = assignPrototypes(x, c, centers, modes, k, gamma);
  sizes.fill(0);
  let cost = 0;
  for (let i = 0; i < n; i++) {
    sizes[final[i] as number] = (sizes[final[i] as number] as number) + 1;
    cost += distances[i] as number;
  }
  return { k, centers, modes, labels: final, sizes, cost, gamma, iterations };
}
