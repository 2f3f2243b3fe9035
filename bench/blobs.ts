import { Rng } from "../src/clustering/random.js";

/**
 * Seeded Gaussian blobs for the k-means benchmark: `k` centres uniform in [−spread, spread]^d, unit-variance
 * clusters of equal weight. Centres this close overlap, so Lloyd needs a realistic number of iterations.
 */
export function gaussianBlobs(n: number, d: number, k: number, seed: number, spread = 3): Float64Array {
  const rng = new Rng(seed, 99);
  const centres = new Float64Array(k * d);
  for (let i = 0; i < centres.length; i++) centres[i] = (rng.float() * 2 - 1) * spread;
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = rng.int(k);
    for (let t = 0; t < d; t += 2) {
      // Box–Muller: two normals per pair of uniforms.
      const r = Math.sqrt(-2 * Math.log(1 - rng.float()));
      const a = 2 * Math.PI * rng.float();
      out[i * d + t] = (centres[c * d + t] as number) + r * Math.cos(a);
      if (t + 1 < d) out[i * d + t + 1] = (centres[c * d + t + 1] as number) + r * Math.sin(a);
    }
  }
  return out;
}
