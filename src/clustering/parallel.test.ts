import { describe, expect, it } from "vitest";
import { type KMeansAlgorithm, type KMeansResult, kmeans } from "./kmeans.js";
import { CHUNK_ROWS } from "./kmeans-state.js";
import { matrix } from "./matrix.js";
import { kmeansParallel } from "./parallel.js";
import { Rng } from "./random.js";

/** The bytes of a result's numbers: equal bytes are equal bits (−0 and NaN included). */
function bits(r: KMeansResult) {
  return {
    centers: new Uint8Array(r.centers.buffer, r.centers.byteOffset, r.centers.byteLength),
    inertia: new Uint8Array(Float64Array.of(r.inertia).buffer),
    labels: r.labels,
    sizes: r.sizes,
    iterations: r.iterations,
    converged: r.converged,
  };
}

describe("k-means on worker threads", () => {
  // Above the k-means++ trial sample (100k) and over several chunks (the last one partial), with overlapping
  // clusters so that many points move, and points do move between chunks' sums.
  const n = 7 * CHUNK_ROWS + 1_234;
  const d = 3;
  const rng = new Rng(21);
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = rng.int(4);
    for (let t = 0; t < d; t++) data[i * d + t] = c * (t + 1) + 2 * (rng.float() + rng.float() - 1);
  }
  const x = matrix(n, d, data);

  it.each<[KMeansAlgorithm, number]>([
    ["hamerly", 2],
    ["hamerly", 3],
    ["elkan", 2],
    ["lloyd", 2],
  ])(
    "gives bit-identical results with %s on 1 and %i threads",
    async (algorithm, threads) => {
      const opts = { k: 5, seed: 3, nInit: 2, algorithm, maxIter: 60 };
      const alone = kmeans(x, opts);
      const shared = await kmeansParallel(x, opts, threads);
      expect(bits(shared)).toEqual(bits(alone));
      // And through kmeansParallel's own single-thread path.
      expect(bits(await kmeansParallel(x, opts, 1))).toEqual(bits(alone));
    },
    60_000,
  );

  it("reports bad input from the worker path like the single-thread one", async () => {
    await expect(kmeansParallel(x, { k: 0, seed: 1 }, 2)).rejects.toThrow(/k must be a whole number/);
    const twoPoints = matrix(
      n,
      1,
      new Float64Array(n).map((_, i) => i % 2),
    );
    await expect(kmeansParallel(twoPoints, { k: 3, seed: 1 }, 2)).rejects.toThrow(/only 2 distinct/);
  }, 60_000);
});
