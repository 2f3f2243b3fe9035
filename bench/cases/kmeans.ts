import { writeFileSync } from "node:fs";
import { kmeans as mlKmeans } from "ml-kmeans";
import { chooseK } from "../../src/clustering/choose-k.js";
import { matrix } from "../../src/clustering/matrix.js";
import { kmeansParallel } from "../../src/clustering/parallel.js";
import { gaussianBlobs } from "../blobs.js";
import { report } from "../measure.js";

/**
 * argv: variant (tessera | ml-kmeans | auto | write), n, d, k, nInit, maxIter, seed[, file].
 * `write` only writes the blobs (raw float64) for the scikit-learn script; `auto` runs `--k auto` over 2..10.
 */
const [variant, n, d, k, nInit, maxIter, seed, file] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string | undefined,
];
const N = Number(n);
const D = Number(d);
const K = Number(k);
const data = gaussianBlobs(N, D, K, Number(seed));

if (variant === "write") {
  writeFileSync(file as string, new Uint8Array(data.buffer));
  report({ seconds: 0 });
} else if (variant === "tessera") {
  const t0 = performance.now();
  const r = await kmeansParallel(matrix(N, D, data), {
    k: K,
    seed: Number(seed),
    nInit: Number(nInit),
    maxIter: Number(maxIter),
  });
  report({ seconds: (performance.now() - t0) / 1000, inertia: r.inertia, iterations: r.iterations });
} else if (variant === "auto") {
  const t0 = performance.now();
  const r = await chooseK(matrix(N, D, data), { seed: Number(seed), kMin: 2, kMax: 10 });
  report({ seconds: (performance.now() - t0) / 1000, best: r.best, scores: r.scores.length });
} else {
  // ml-kmeans wants an array of arrays and has no restarts: run it nInit times, keep the lowest inertia.
  const rows: number[][] = [];
  for (let i = 0; i < N; i++) rows.push(Array.from(data.subarray(i * D, (i + 1) * D)));
  const t0 = performance.now();
  let best = Number.POSITIVE_INFINITY;
  let iterations = 0;
  for (let r = 0; r < Number(nInit); r++) {
    const res = mlKmeans(rows, K, {
      initialization: "kmeans++",
      maxIterations: Number(maxIter),
      seed: Number(seed) + r,
    });
    let inertia = 0;
    for (const c of res.computeInformation(rows)) inertia += c.error * c.size;
    if (inertia < best) best = inertia;
    iterations += res.iterations;
  }
  report({ seconds: (performance.now() - t0) / 1000, inertia: best, iterations });
}
