import { type Matrix, rows, sqDist } from "./matrix.js";
import { Rng } from "./random.js";

/** Options of the silhouette: above `sampleSize` points it is computed on a seeded sample (as scikit-learn does). */
export interface SilhouetteOptions {
  readonly sampleSize?: number;
  readonly seed?: number;
}

/** Default sample for the silhouette: its cost grows with the square of the points. */
export const SILHOUETTE_SAMPLE = 4_000;

/**
 * Mean silhouette coefficient (Rousseeuw 1987) in [−1, 1]: for each point, (b − a) / max(a, b) with a the mean
 * distance to its own cluster and b the smallest mean distance to another cluster; 0 for a point alone in its
 * cluster. Above `sampleSize` points, a seeded sample of points is scored against the sample only.
 * NaN when there are fewer than 2 clusters.
 */
export function silhouette(x: Matrix, labels: Int32Array, k: number, opts: SilhouetteOptions = {}): number {
  const sampleSize = opts.sampleSize ?? SILHOUETTE_SAMPLE;
  let data = x;
  let lab = labels;
  if (x.n > sampleSize) {
    const idx = new Rng(opts.seed ?? 0, 7).sample(x.n, sampleSize);
    idx.sort();
    data = rows(x, idx);
    lab = new Int32Array(idx.length);
    for (let r = 0; r < idx.length; r++) lab[r] = labels[idx[r] as number] as number;
  }
  const { n, d } = data;
  const counts = new Int32Array(k);
  for (let i = 0; i < n; i++) counts[lab[i] as number] = (counts[lab[i] as number] as number) + 1;
  if (counts.filter((c) => c > 0).length < 2) return Number.NaN;
  // sums[i*k + j]: total distance from point i to the points of cluster j; each pair computed once.
  const sums = new Float64Array(n * k);
  const v = data.data;
  for (let i = 0; i < n; i++) {
    const li = lab[i] as number;
    for (let j = i + 1; j < n; j++) {
      const dist = Math.sqrt(sqDist(v, i, v, j, d));
      const lj = lab[j] as number;
      sums[i * k + lj] = (sums[i * k + lj] as number) + dist;
      sums[j * k + li] = (sums[j * k + li] as number) + dist;
    }
  }
  let total = 0;
  for (let i = 0; i < n; i++) {
    const own = lab[i] as number;
    const size = counts[own] as number;
    if (size <= 1) continue;
    const a = (sums[i * k + own] as number) / (size - 1);
    let b = Number.POSITIVE_INFINITY;
    for (let j = 0; j < k; j++) {
      if (j === own || (counts[j] as number) === 0) continue;
      b = Math.min(b, (sums[i * k + j] as number) / (counts[j] as number));
    }
    const m = Math.max(a, b);
    total += m > 0 ? (b - a) / m : 0;
  }
  return total / n;
}

/** Centres (means) and sizes of a labelling. */
function centresOf(x: Matrix, labels: Int32Array, k: number): { centres: Float64Array; sizes: Int32Array } {
  const { n, d, data } = x;
  const centres = new Float64Array(k * d);
  const sizes = new Int32Array(k);
  for (let i = 0; i < n; i++) {
    const a = labels[i] as number;
    sizes[a] = (sizes[a] as number) + 1;
    for (let t = 0; t < d; t++)
      centres[a * d + t] = (centres[a * d + t] as number) + (data[i * d + t] as number);
  }
  for (let j = 0; j < k; j++) {
    const s = sizes[j] as number;
    if (s > 0) for (let t = 0; t < d; t++) centres[j * d + t] = (centres[j * d + t] as number) / s;
  }
  return { centres, sizes };
}

/**
 * Davies–Bouldin index (lower is better): the mean over clusters of the worst ratio (S_i + S_j) / M_ij, S the
 * mean distance of a cluster's points to its centre and M the distance between centres. Empty clusters are
 * ignored; NaN with fewer than 2 clusters.
 */
export function daviesBouldin(x: Matrix, labels: Int32Array, k: number): number {
  const { n, d, data } = x;
  const { centres, sizes } = centresOf(x, labels, k);
  const scatter = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const a = labels[i] as number;
    scatter[a] = (scatter[a] as number) + Math.sqrt(sqDist(data, i, centres, a, d));
  }
  const live: number[] = [];
  for (let j = 0; j < k; j++) {
    if ((sizes[j] as number) > 0) {
      scatter[j] = (scatter[j] as number) / (sizes[j] as number);
      live.push(j);
    }
  }
  if (live.length < 2) return Number.NaN;
  let total = 0;
  for (const i of live) {
    let worst = 0;
    for (const j of live) {
      if (i === j) continue;
      const m = Math.sqrt(sqDist(centres, i, centres, j, d));
      const r = m > 0 ? ((scatter[i] as number) + (scatter[j] as number)) / m : Number.POSITIVE_INFINITY;
      if (r > worst) worst = r;
    }
    total += worst;
  }
  return total / live.length;
}

/**
 * Calinski–Harabasz index (higher is better): between-cluster dispersion over within-cluster dispersion, each
 * divided by its degrees of freedom. NaN with fewer than 2 clusters; +∞ when every cluster is a single point.
 */
export function calinskiHarabasz(x: Matrix, labels: Int32Array, k: number): number {
  const { n, d, data } = x;
  const { centres, sizes } = centresOf(x, labels, k);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++)
    for (let t = 0; t < d; t++) mean[t] = (mean[t] as number) + (data[i * d + t] as number) / n;
  let between = 0;
  let live = 0;
  for (let j = 0; j < k; j++) {
    const s = sizes[j] as number;
    if (s === 0) continue;
    live++;
    between += s * sqDist(centres, j, mean, 0, d);
  }
  let within = 0;
  for (let i = 0; i < n; i++) within += sqDist(data, i, centres, labels[i] as number, d);
  if (live < 2 || n <= live) return Number.NaN;
  return within === 0 ? Number.POSITIVE_INFINITY : between / (live - 1) / (within / (n - live));
}

/** n choose 2. */
function pairs(m: number): number {
  return (m * (m - 1)) / 2;
}

/**
 * Adjusted Rand index of two labellings of the same points (Hubert & Arabie 1985): 1 for identical partitions
 * (whatever the label names), about 0 for independent ones. Labels are non-negative integers.
 */
export function adjustedRand(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (b.length !== n) throw new Error(`labellings differ in length: ${n} and ${b.length}`);
  if (n < 2) return 1;
  let ka = 0;
  let kb = 0;
  for (let i = 0; i < n; i++) {
    ka = Math.max(ka, (a[i] as number) + 1);
    kb = Math.max(kb, (b[i] as number) + 1);
  }
  const table = new Float64Array(ka * kb);
  const rowsA = new Float64Array(ka);
  const colsB = new Float64Array(kb);
  for (let i = 0; i < n; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    table[x * kb + y] = (table[x * kb + y] as number) + 1;
    rowsA[x] = (rowsA[x] as number) + 1;
    colsB[y] = (colsB[y] as number) + 1;
  }
  let index = 0;
  for (const c of table) index += pairs(c);
  let sumA = 0;
  for (const c of rowsA) sumA += pairs(c);
  let sumB = 0;
  for (const c of colsB) sumB += pairs(c);
  const expected = (sumA * sumB) / pairs(n);
  const max = (sumA + sumB) / 2;
  // Both partitions trivial (all in one cluster, or all singletons): they agree perfectly.
  if (max === expected) return 1;
  return (index - expected) / (max - expected);
}
