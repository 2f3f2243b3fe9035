import { afterEach, describe, expect, it } from "vitest";
import { type KMeansAlgorithm, type KMeansResult, kmeans } from "./kmeans.js";
import { CHUNK_ROWS } from "./kmeans-state.js";
import { matrix } from "./matrix.js";
import { kmeansParallel } from "./parallel.js";
import { Rng } from "./random.js";
import { kernelBytes } from "./wasm-kernels.js";
import { arenaFor, setWasmKernels } from "./wasm-memory.js";

/** The bytes of a result's numbers: equal bytes are equal bits. */
function bits(r: KMeansResult) {
  return {
    centers: new Uint8Array(r.centers.buffer, r.centers.byteOffset, r.centers.byteLength),
    inertia: new Uint8Array(Float64Array.of(r.inertia).buffer),
    labels: r.labels,
    sizes: r.sizes,
    iterations: r.iterations,
  };
}

/** Overlapping blobs over several chunks (the last one partial), above the k-means++ trial sample. */
function blobs(n: number, d: number, seed: number) {
  const rng = new Rng(seed);
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = rng.int(5);
    for (let t = 0; t < d; t++) data[i * d + t] = c * ((t % 3) + 1) + 2 * (rng.float() + rng.float() - 1);
  }
  return matrix(n, d, data);
}

describe("WebAssembly SIMD kernels", () => {
  afterEach(() => setWasmKernels(true));

  it("are available on this Node, and used from one chunk of points up", () => {
    expect(kernelBytes()).not.toBeNull();
    expect(arenaFor(blobs(CHUNK_ROWS, 2, 1))).not.toBeNull();
    expect(arenaFor(blobs(CHUNK_ROWS - 1, 2, 1))).toBeNull();
  });

  // Odd and even column counts (the last column of an odd row goes to lane 0 alone).
  it.each<[KMeansAlgorithm, number]>([
    ["hamerly", 3],
    ["hamerly", 10],
    ["elkan", 3],
    ["lloyd", 4],
  ])(
    "give the JS kernels' result to the bit with %s, d = %i",
    (algorithm, d) => {
      const x = blobs(7 * CHUNK_ROWS + 1_234, d, 5 + d);
      const opts = { k: 6, seed: 11, nInit: 2, algorithm, maxIter: 60 };
      setWasmKernels(false);
      const js = kmeans(x, opts);
      setWasmKernels(true);
      const wasm = kmeans(x, opts);
      expect(Math.abs(wasm.inertia / js.inertia - 1)).toBeLessThanOrEqual(1e-9);
      expect(bits(wasm)).toEqual(bits(js));
      // A second fit on the same matrix reuses its memory.
      expect(bits(kmeans(x, opts))).toEqual(bits(js));
    },
    60_000,
  );

  it("give the same bits on worker threads", async () => {
    const x = blobs(7 * CHUNK_ROWS + 1_234, 5, 3);
    const opts = { k: 5, seed: 3, nInit: 2, maxIter: 60 };
    setWasmKernels(false);
    const js = kmeans(x, opts);
    setWasmKernels(true);
    expect(bits(await kmeansParallel(x, opts, 2))).toEqual(bits(js));
  }, 60_000);
});
