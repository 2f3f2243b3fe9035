import { UserError } from "../errors.js";
import { type KMeansAlgorithm, type KMeansResult, kmeans } from "./kmeans.js";
import { type Matrix, rows } from "./matrix.js";
import { adjustedRand, calinskiHarabasz, daviesBouldin, SILHOUETTE_SAMPLE, silhouette } from "./metrics.js";
import { MINIBATCH_THRESHOLD, miniBatchKMeans } from "./minibatch.js";
import { kmeansParallel } from "./parallel.js";
import { Rng } from "./random.js";

/** How the k-means of each candidate k is run. */
export interface FitOptions {
  readonly seed: number;
  readonly nInit?: number;
  readonly maxIter?: number;
  /** `auto`: full-batch k-means (Hamerly's bounds for few features, Elkan's for many) up to MINIBATCH_THRESHOLD points, mini-batch above. */
  readonly algorithm?: KMeansAlgorithm | "minibatch" | "auto";
}

/** The k-means options of a fit. */
function kmeansOptions(k: number, opts: FitOptions) {
  const algorithm = opts.algorithm ?? "auto";
  return {
    k,
    seed: opts.seed,
    ...(algorithm === "auto" || algorithm === "minibatch" ? {} : { algorithm }),
    ...(opts.nInit ? { nInit: opts.nInit } : {}),
    ...(opts.maxIter ? { maxIter: opts.maxIter } : {}),
  };
}

function miniBatch(x: Matrix, opts: FitOptions): boolean {
  const algorithm = opts.algorithm ?? "auto";
  return algorithm === "minibatch" || (algorithm === "auto" && x.n > MINIBATCH_THRESHOLD);
}

/** Runs k-means with the chosen algorithm, in this thread. */
export function fitKMeans(x: Matrix, k: number, opts: FitOptions): KMeansResult {
  if (miniBatch(x, opts))
    return miniBatchKMeans(x, { k, seed: opts.seed, ...(opts.nInit ? { nInit: opts.nInit } : {}) });
  return kmeans(x, kmeansOptions(k, opts));
}

/** Runs k-means with the chosen algorithm, the rows split across worker threads on large bases (the same result). */
export async function fitKMeansParallel(x: Matrix, k: number, opts: FitOptions): Promise<KMeansResult> {
  if (miniBatch(x, opts)) return fitKMeans(x, k, opts);
  return kmeansParallel(x, kmeansOptions(k, opts));
}

export interface ChooseKOptions extends FitOptions {
  readonly kMin?: number;
  readonly kMax?: number;
  readonly silhouetteSample?: number;
  /** Points on which stability is measured (default 20,000). */
  readonly stabilitySample?: number;
}

/** The scores of one k. */
export interface KScore {
  readonly k: number;
  readonly inertia: number;
  /** Higher is better (−1…1); on a seeded sample for large bases. */
  readonly silhouette: number;
  /** Lower is better. */
  readonly daviesBouldin: number;
  /** Higher is better. */
  readonly calinskiHarabasz: number;
  /** Adjusted Rand index between two single-initialisation runs with different seeds, on a sample (1 = stable). */
  readonly stability: number;
}

export interface ChooseKResult {
  /** The k with the highest silhouette (the smaller k on a tie). */
  readonly best: number;
  readonly scores: readonly KScore[];
  readonly results: ReadonlyMap<number, KMeansResult>;
}

/**
 * Clusters for every k of [kMin, kMax] and scores each: silhouette (which picks k), Davies–Bouldin,
 * Calinski–Harabasz, and stability across seeds as the adjusted Rand index.
 */
export async function chooseK(x: Matrix, opts: ChooseKOptions): Promise<ChooseKResult> {
  const kMin = opts.kMin ?? 2;
  const kMax = Math.min(opts.kMax ?? 10, x.n - 1);
  if (kMin < 2 || kMax < kMin) {
    throw new UserError(
      "bad-k-range",
      `cannot choose k in ${kMin}..${opts.kMax ?? 10} with ${x.n} customers (k auto needs at least 2 clusters and more customers than clusters)`,
      "--k",
    );
  }
  const sampleSize = Math.min(x.n, opts.stabilitySample ?? 20_000);
  const stabilityData = sampleSize < x.n ? rows(x, new Rng(opts.seed, 11).sample(x.n, sampleSize)) : x;
  const scores: KScore[] = [];
  const results = new Map<number, KMeansResult>();
  for (let k = kMin; k <= kMax; k++) {
    const r = await fitKMeansParallel(x, k, opts);
    results.set(k, r);
    const a = fitKMeans(stabilityData, k, { ...opts, nInit: 1, seed: opts.seed + 1_000 });
    const b = fitKMeans(stabilityData, k, { ...opts, nInit: 1, seed: opts.seed + 2_000 });
    scores.push({
      k,
      inertia: r.inertia,
      silhouette: silhouette(x, r.labels, k, {
        sampleSize: opts.silhouetteSample ?? SILHOUETTE_SAMPLE,
        seed: opts.seed,
      }),
      daviesBouldin: daviesBouldin(x, r.labels, k),
      calinskiHarabasz: calinskiHarabasz(x, r.labels, k),
      stability: adjustedRand(a.labels, b.labels),
    });
  }
  let best = scores[0] as KScore;
  for (const s of scores) if (s.silhouette > best.silhouette) best = s;
  return { best: best.k, scores, results };
}
