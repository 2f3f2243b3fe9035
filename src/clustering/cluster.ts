import { threadsSetting } from "../common/worker-threads.js";
import { UserError } from "../errors.js";
import type { Engine } from "../store/engine.js";
import { type Centroid, centroidsInOriginalUnits } from "./centroids.js";
import { type ChooseKResult, chooseK, fitKMeans, fitKMeansParallel, type KScore } from "./choose-k.js";
import { closeCentroids, defaultMinSize, mergeSmallClusters } from "./cluster-size-guard.js";
import type { ClusteringResult } from "./clustering-result.js";
import { extractFeatures, featureSchema } from "./feature-matrix.js";
import { defaultFeatures, resolveFeatures } from "./feature-spec.js";
import type { KMeansAlgorithm } from "./kmeans.js";
import { kprototypes } from "./kprototypes.js";
import { type Matrix, rows } from "./matrix.js";
import { adjustedRand, silhouette } from "./metrics.js";
import { clusterNames } from "./personas.js";
import { applyPreprocessing, type Categorical, fitPreprocessing, type Scale } from "./preprocess.js";
import { Rng } from "./random.js";

export interface ClusterOptions {
  /** Feature names (the vocabulary of feature-spec.ts); the default set when absent. */
  readonly features?: readonly string[];
  readonly k: number | "auto";
  readonly kMin?: number;
  readonly kMax?: number;
  readonly scale?: Scale;
  readonly log?: "auto" | "none";
  readonly categorical?: Categorical;
  readonly seed?: number;
  readonly nInit?: number;
  readonly maxIter?: number;
  readonly algorithm?: KMeansAlgorithm | "minibatch" | "auto";
  /** Clusters smaller than this are flagged (default: 10 people or 1% of the base). */
  readonly minSize?: number;
  /** Merge too-small clusters into their nearest neighbours instead of only flagging them. */
  readonly mergeSmall?: boolean;
  readonly includeAnonymous?: boolean;
  readonly asOf?: Date;
}

export async function runClustering(engine: Engine, opts: ClusterOptions): Promise<ClusteringResult> {
  // A bad TESSERA_THREADS is refused before any work, on every base (it is read again when the fit starts).
  threadsSetting();
  const seed = opts.seed ?? 1;
  const asOf = opts.asOf ?? new Date();
  const schema = await featureSchema(engine);
  const specs = opts.features ? resolveFeatures(opts.features, schema) : defaultFeatures(schema);
  const includeAnonymous = opts.includeAnonymous ?? false;
  const table = await extractFeatures(engine, specs, { asOf, includeAnonymous });
  const k0 = opts.k === "auto" ? 2 : opts.k;
  if (table.n === 0)
    throw new UserError("no-customers", "there are no customers to cluster (import some first)");
  if (table.n < k0)
    throw new UserError(
      "too-few-customers",
      `cannot make ${k0} clusters from ${table.n} customer${table.n === 1 ? "" : "s"}`,
      "--k",
    );
  const categorical = opts.categorical ?? "onehot";
  const preprocessing = fitPreprocessing(table, {
    scale: opts.scale ?? "standard",
    log: opts.log ?? "auto",
    categorical,
    required: new Set(opts.features ? specs.map((s) => s.id) : []),
  });
  const { x, cat } = applyPreprocessing(table, preprocessing);
  const kproto = cat.q > 0;
  if (kproto && opts.k === "auto")
    throw new UserError(
      "k-auto-kprototypes",
      "--k auto needs one-hot categories: give a number with --categorical kprototypes",
      "--k",
    );

  let scores: KScore[] | undefined;
  let labels: Int32Array;
  let centers: Float64Array;
  let modes: Int32Array = new Int32Array(0);
  let gamma = 0;
  let inertia: number;
  let k: number;
  if (kproto) {
    const r = kprototypes(x, cat, {
      k: k0,
      seed,
      ...(opts.nInit ? { nInit: opts.nInit } : {}),
      ...(opts.maxIter ? { maxIter: opts.maxIter } : {}),
    });
    ({ labels, centers, modes, gamma } = r);
    inertia = r.cost;
    k = k0;
  } else {
    const fit = {
      seed,
      algorithm: opts.algorithm ?? "auto",
      ...(opts.nInit ? { nInit: opts.nInit } : {}),
      ...(opts.maxIter ? { maxIter: opts.maxIter } : {}),
    };
    let chosen: ChooseKResult | undefined;
    if (opts.k === "auto") {
      chosen = await chooseK(x, { ...fit, kMin: opts.kMin ?? 2, kMax: opts.kMax ?? 10 });
      scores = [...chosen.scores];
    }
    k = chosen ? chosen.best : k0;
    const r = chosen
      ? (chosen.results.get(k) as NonNullable<ReturnType<typeof chosen.results.get>>)
      : await fitKMeansParallel(x, k, fit);
    ({ labels, centers, inertia } = r);
  }

  // Guard: flag (or merge) clusters below the minimum size.
  const minSize = opts.minSize ?? defaultMinSize(table.n);
  let merged: { cluster: number; size: number }[] = [];
  if (opts.mergeSmall && !kproto) {
    const m = mergeSmallClusters(x, labels, centers, k, minSize);
    ({ labels, centers, k, merged } = m);
    inertia = 0;
    for (let i = 0; i < x.n; i++) {
      for (let t = 0; t < x.d; t++)
        inertia +=
          ((x.data[i * x.d + t] as number) - (centers[(labels[i] as number) * x.d + t] as number)) ** 2;
    }
  }
  ({ labels, centers, modes } = bySize(labels, centers, modes, k, x.d, cat.q));
  const embedded = kproto ? embed(x, cat, gamma) : x;
  const sizes = new Int32Array(k);
  for (const a of labels) sizes[a] = (sizes[a] as number) + 1;
  const sil = k >= 2 ? silhouette(embedded, labels, k, { seed }) : Number.NaN;
  const centroids = centroidsInOriginalUnits(table, labels, k);
  const names = clusterNames(table, labels, k);
  const clusters = Array.from({ length: k }, (_, j) => ({
    id: j,
    name: names[j] as string,
    size: sizes[j] as number,
    share: round((sizes[j] as number) / table.n),
    centroid: centroids[j] as Centroid,
    small: (sizes[j] as number) < minSize,
  }));
  return {
    k,
    inertia,
    silhouette: Number.isNaN(sil) ? null : round(sil),
    clusters,
    customers: table.n,
    features: specs.map((s) => s.id).filter((id) => !preprocessing.skipped.some((s) => s.feature === id)),
    columns: [...preprocessing.columns.map((c) => c.name), ...preprocessing.categoricals.map((c) => c.name)],
    skipped: preprocessing.skipped,
    model: kproto ? "kprototypes" : "kmeans",
    algorithm: kproto ? "kprototypes" : (opts.algorithm ?? "auto"),
    seed,
    asOf: asOf.toISOString(),
    stability: kproto ? null : stability(embedded, k, seed, opts),
    ...(scores ? { scores } : {}),
    guard: {
      minSize,
      small: clusters.filter((c) => c.small).map((c) => c.id),
      merged,
      mergeSuggestions: kproto ? [] : closeCentroids(x, labels, centers, k),
    },
    fitted: { specs, table, preprocessing, centers, modes, gamma, labels, includeAnonymous },
  };
}

const round = (v: number) => Number(v.toFixed(6));

/** Renumbers clusters by size, largest first (ties: the lower old number first). */
function bySize(
  labels: Int32Array,
  centers: Float64Array,
  modes: Int32Array,
  k: number,
  d: number,
  q: number,
): { labels: Int32Array; centers: Float64Array; modes: Int32Array } {
  const sizes = new Int32Array(k);
  for (const a of labels) sizes[a] = (sizes[a] as number) + 1;
  const order = Array.from({ length: k }, (_, j) => j).sort(
    (a, b) => (sizes[b] as number) - (sizes[a] as number) || a - b,
  );
  const rank = new Int32Array(k);
  order.forEach((old, r) => {
    rank[old] = r;
  });
  const c = new Float64Array(k * d);
  const m = new Int32Array(k * q);
  order.forEach((old, r) => {
    c.set(centers.subarray(old * d, (old + 1) * d), r * d);
    m.set(modes.subarray(old * q, (old + 1) * q), r * q);
  });
  return { labels: labels.map((a) => rank[a] as number), centers: c, modes: m };
}

/**
 * Numbers plus √(γ/2)-scaled one-hot categories: Euclidean distance there is the k-prototypes distance, so the
 * silhouette and stability measure what k-prototypes optimises.
 */
function embed(
  x: Matrix,
  cat: { n: number; q: number; codes: Int32Array; levels: readonly number[] },
  gamma: number,
): Matrix {
  const extra = cat.levels.reduce((a, b) => a + b, 0);
  const d = x.d + extra;
  const data = new Float64Array(x.n * d);
  const w = Math.sqrt(gamma / 2);
  for (let i = 0; i < x.n; i++) {
    data.set(x.data.subarray(i * x.d, (i + 1) * x.d), i * d);
    let offset = x.d;
    for (let t = 0; t < cat.q; t++) {
      const code = cat.codes[i * cat.q + t] as number;
      if (code >= 0) data[i * d + offset + code] = w;
      offset += cat.levels[t] as number;
    }
  }
  return { n: x.n, d, data };
}

/** Adjusted Rand index of two single-initialisation runs with other seeds, on a sample of at most 20,000. */
function stability(x: Matrix, k: number, seed: number, opts: ClusterOptions): number {
  if (k < 2) return 1;
  const sample = x.n > 20_000 ? rows(x, new Rng(seed, 11).sample(x.n, 20_000)) : x;
  const algorithm = opts.algorithm ?? "auto";
  const a = fitKMeans(sample, k, { seed: seed + 1_000, nInit: 1, algorithm });
  const b = fitKMeans(sample, k, { seed: seed + 2_000, nInit: 1, algorithm });
  return round(adjustedRand(a.labels, b.labels));
}
