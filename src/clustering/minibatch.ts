import { UserError } from "../errors.js";
import { assignNearest, type KMeansResult, kmeansPlusPlus } from "./kmeans.js";
import { type Matrix, rows, sqDist } from "./matrix.js";
import { Rng } from "./random.js";

export interface MiniBatchOptions {
  readonly k: number;
  readonly seed: number;
  /** Points per batch (default 2,048). */
  readonly batchSize?: number;
  /** Passes over the data at most (default 20). */
  readonly maxEpochs?: number;
  /** Stop after this many batches without improvement of the smoothed batch inertia (default 20). */
  readonly patience?: number;
  /** Initialisations, each k-means++ on its own sample of 3 × batch points; the lowest sample inertia wins. */
  readonly nInit?: number;
}

/** Above this many customers, `algorithm: auto` uses mini-batches. */
export const MINIBATCH_THRESHOLD = 2_000_000;

/**
 * Mini-batch k-means (Sculley 2010): each step assigns a seeded batch of points to the nearest centre and moves
 * every centre towards its batch points with a per-centre learning rate of 1 / (points seen). Stops when the
 * smoothed batch inertia has not improved for `patience` batches, or after `maxEpochs` passes. A final full
 * pass assigns every point and gives the exact inertia. Deterministic for a seed.
 */
export function miniBatchKMeans(x: Matrix, opts: MiniBatchOptions): KMeansResult {
  const { k } = opts;
  const { n, d, data } = x;
  if (n < k)
    throw new UserError(
      "too-few-customers",
      `cannot make ${k} clusters from ${n} customer${n === 1 ? "" : "s"}`,
      "--k",
    );
  const batch = Math.min(n, opts.batchSize ?? 2_048);
  const patience = opts.patience ?? 20;
  const steps = Math.ceil(((opts.maxEpochs ?? 20) * n) / batch);
  const rng = new Rng(opts.seed, 1_000);

  // Initialisation on samples: the full k-means++ on millions of points would cost more than the batches.
  let centers: Float64Array | undefined;
  let bestInit = Number.POSITIVE_INFINITY;
  const initSize = Math.min(n, Math.max(3 * batch, 10 * k));
  for (let r = 0; r < (opts.nInit ?? 3); r++) {
    const sample = rows(x, new Rng(opts.seed, 2_000 + r).sample(n, initSize));
    const c = kmeansPlusPlus(sample, k, new Rng(opts.seed, r)).centers;
    const { distances } = assignNearest(sample, c);
    let inertia = 0;
    for (const v of distances) inertia += v;
    if (inertia < bestInit) {
      bestInit = inertia;
      centers = c;
    }
  }
  const c = centers as Float64Array;
  const seen = new Float64Array(k);
  const idx = new Int32Array(batch);
  const lab = new Int32Array(batch);
  let smoothed = Number.NaN;
  let best = Number.POSITIVE_INFINITY;
  let stale = 0;
  let iterations = 0;
  const alpha = Math.min(1, (2 * batch) / (n + 1));
  for (let s = 0; s < steps; s++) {
    iterations++;
    let inertia = 0;
    for (let b = 0; b < batch; b++) {
      const i = rng.int(n);
      idx[b] = i;
      let bestJ = 0;
      let bestD = Number.POSITIVE_INFINITY;
      for (let j = 0; j < k; j++) {
        const v = sqDist(data, i, c, j, d);
        if (v < bestD) {
          bestD = v;
          bestJ = j;
        }
      }
      lab[b] = bestJ;
      inertia += bestD;
    }
    for (let b = 0; b < batch; b++) {
      const j = lab[b] as number;
      const i = idx[b] as number;
      const count = (seen[j] as number) + 1;
      seen[j] = count;
      const eta = 1 / count;
      for (let t = 0; t < d; t++)
        c[j * d + t] =
          (c[j * d + t] as number) + eta * ((data[i * d + t] as number) - (c[j * d + t] as number));
    }
    // Early stopping on an exponentially weighted average of the batch inertia (scikit-learn's rule).
    const per = inertia / batch;
    smoothed = Number.isNaN(smoothed) ? per : smoothed * (1 - alpha) + per * alpha;
    if (smoothed < best) {
      best = smoothed;
      stale = 0;
    } else if (++stale >= patience) break;
  }
  const { labels, distances } = assignNearest(x, c);
  const sizes = new Int32Array(k);
  let inertia = 0;
  for (let i = 0; i < n; i++) {
    sizes[labels[i] as number] = (sizes[labels[i] as number] as number) + 1;
    inertia += distances[i] as number;
  }
  return { k, d, centers: c, labels, sizes, inertia, iterations, converged: stale >= patience };
}
