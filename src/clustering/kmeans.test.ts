import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { UserError } from "../errors.js";
import { chooseK } from "./choose-k.js";
import { kmeans, kmeansPlusPlus } from "./kmeans.js";
import { kprototypes } from "./kprototypes.js";
import { type Matrix, matrix } from "./matrix.js";
import { adjustedRand } from "./metrics.js";
import { miniBatchKMeans } from "./minibatch.js";
import { Rng } from "./random.js";

/** Seeded blobs around the given centres (unit spread × sd). */
function blobs(
  centres: number[][],
  perBlob: number,
  sd: number,
  seed: number,
): { x: Matrix; truth: Int32Array } {
  const rng = new Rng(seed);
  const d = (centres[0] as number[]).length;
  const n = centres.length * perBlob;
  const data = new Float64Array(n * d);
  const truth = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % centres.length;
    truth[i] = c;
    for (let t = 0; t < d; t++)
      data[i * d + t] =
        ((centres[c] as number[])[t] as number) + sd * (rng.float() + rng.float() + rng.float() - 1.5);
  }
  return { x: matrix(n, d, data), truth };
}

describe("k-means++ initialisation", () => {
  it("is deterministic for a seed and differs between seeds", () => {
    const { x } = blobs(
      [
        [0, 0],
        [5, 5],
        [0, 9],
        [9, 0],
      ],
      50,
      1,
      1,
    );
    const a = kmeansPlusPlus(x, 4, new Rng(7));
    expect(kmeansPlusPlus(x, 4, new Rng(7))).toEqual(a);
    expect(kmeansPlusPlus(x, 4, new Rng(8)).centers).not.toEqual(a.centers);
    // Every centre is a data point, and the first assignment is each point's nearest centre.
    for (let j = 0; j < 4; j++) {
      const c = Array.from(a.centers.subarray(j * 2, j * 2 + 2));
      expect([...Array(x.n).keys()].some((i) => x.data[2 * i] === c[0] && x.data[2 * i + 1] === c[1])).toBe(
        true,
      );
    }
  });

  it("refuses k above the number of distinct points, naming --k", () => {
    const x = matrix(5, 1, Float64Array.from([1, 1, 2, 2, 2]));
    expect(() => kmeansPlusPlus(x, 3, new Rng(1))).toThrow(/only 2 distinct/);
  });
});

describe("k-means", () => {
  it("finds the obvious clusters of a hand-checked example", () => {
    const x = matrix(6, 1, Float64Array.from([0, 1, 2, 10, 11, 12]));
    const r = kmeans(x, { k: 2, seed: 1 });
    expect([...r.centers].sort((a, b) => a - b)).toEqual([1, 11]);
    expect(r.inertia).toBe(4);
    expect(r.labels[0]).toBe(r.labels[2]);
    expect(r.labels[0]).not.toBe(r.labels[3]);
    expect(r.converged).toBe(true);
  });

  it("gives identical results for identical seeds", () => {
    const { x } = blobs(
      [
        [0, 0, 0],
        [3, 3, 3],
        [6, 0, 3],
      ],
      200,
      2,
      4,
    );
    const a = kmeans(x, { k: 3, seed: 11, nInit: 3 });
    const b = kmeans(x, { k: 3, seed: 11, nInit: 3 });
    expect(b.labels).toEqual(a.labels);
    expect(b.inertia).toBe(a.inertia);
  });

  it("Hamerly's and Elkan's bounds give exactly the assignments of plain Lloyd (property)", () => {
    const data = fc.record({
      d: fc.integer({ min: 1, max: 4 }),
      k: fc.integer({ min: 1, max: 6 }),
      ints: fc.boolean(),
      seed: fc.integer({ min: 0, max: 1_000 }),
      n: fc.integer({ min: 6, max: 80 }),
    });
    fc.assert(
      fc.property(data, ({ d, k, ints, seed, n }) => {
        // Small integers make ties and duplicates common: the tie-breaking must agree too.
        const rng = new Rng(seed, 5);
        const values = Float64Array.from({ length: n * d }, () =>
          ints ? rng.int(7) : (rng.float() - 0.5) * 20,
        );
        const x = matrix(n, d, values);
        const run = (algorithm: "lloyd" | "hamerly" | "elkan") => {
          try {
            return kmeans(x, { k, seed, nInit: 2, algorithm, maxIter: 50 });
          } catch (e) {
            if (e instanceof UserError) return e.code;
            throw e;
          }
        };
        const lloyd = run("lloyd");
        for (const fast of [run("hamerly"), run("elkan")]) {
          if (typeof lloyd === "string") {
            expect(fast).toBe(lloyd);
            continue;
          }
          if (typeof fast === "string") throw new Error(`accelerated run failed: ${fast}`);
          expect(fast.labels).toEqual(lloyd.labels);
          expect(fast.centers).toEqual(lloyd.centers);
          expect(fast.iterations).toBe(lloyd.iterations);
        }
        if (typeof lloyd === "string") return;
        // From explicit (random, possibly poor) starting centres as well.
        const init = Float64Array.from({ length: k * d }, () => (rng.float() - 0.5) * 20);
        const a = kmeans(x, { k, seed, init, algorithm: "lloyd", maxIter: 50 });
        for (const algorithm of ["hamerly", "elkan"] as const) {
          const b = kmeans(x, { k, seed, init, algorithm, maxIter: 50 });
          expect(b.labels).toEqual(a.labels);
          expect(b.sizes).toEqual(a.sizes);
        }
      }),
      { numRuns: 200, seed: 42 },
    );
  });

  it("agrees with Lloyd above the k-means++ trial sample too (bounds from a sampled seeding)", () => {
    const rng = new Rng(12);
    const n = 120_000;
    const x = matrix(
      n,
      2,
      Float64Array.from({ length: 2 * n }, () => rng.float() * 10),
    );
    const a = kmeans(x, { k: 5, seed: 2, nInit: 1, algorithm: "lloyd", maxIter: 30 });
    for (const algorithm of ["hamerly", "elkan"] as const) {
      const b = kmeans(x, { k: 5, seed: 2, nInit: 1, algorithm, maxIter: 30 });
      expect(b.labels).toEqual(a.labels);
      expect(b.inertia).toBe(a.inertia);
    }
  });

  it("never leaves a cluster empty", () => {
    const x = matrix(6, 1, Float64Array.from([0, 0.1, 0.2, 100, 100.1, 100.2]));
    // Three starting centres far from everything: two clusters come up empty and take the farthest points.
    const r = kmeans(x, { k: 3, seed: 1, init: Float64Array.from([1_000, 2_000, 3_000]) });
    expect([...r.sizes].every((s) => s > 0)).toBe(true);
  });

  it("refuses fewer customers than clusters with a clear error", () => {
    const x = matrix(2, 1, Float64Array.from([1, 2]));
    expect(() => kmeans(x, { k: 3, seed: 1 })).toThrow("cannot make 3 clusters from 2 customers");
  });
});

describe("mini-batch k-means", () => {
  it("recovers separated blobs with an inertia within 1% of full k-means, deterministically", () => {
    const { x, truth } = blobs(
      [
        [0, 0],
        [10, 0],
        [0, 10],
        [10, 10],
      ],
      2_000,
      2,
      2,
    );
    const full = kmeans(x, { k: 4, seed: 3 });
    const mini = miniBatchKMeans(x, { k: 4, seed: 3, batchSize: 256 });
    expect(adjustedRand(mini.labels, truth)).toBeGreaterThan(0.99);
    expect(mini.inertia / full.inertia).toBeLessThan(1.01);
    expect(miniBatchKMeans(x, { k: 4, seed: 3, batchSize: 256 }).labels).toEqual(mini.labels);
  });
});

describe("k-prototypes", () => {
  it("clusters mixed numeric and categorical data, categories deciding where numbers cannot", () => {
    const n = 200;
    const num = new Float64Array(n);
    const codes = new Int32Array(n * 2);
    const truth = new Int32Array(n);
    const rng = new Rng(3);
    for (let i = 0; i < n; i++) {
      const g = i % 2;
      truth[i] = g;
      num[i] = rng.float(); // the same for both groups: only the categories tell them apart
      codes[2 * i] = g === 0 ? (rng.float() < 0.9 ? 0 : 1) : rng.float() < 0.9 ? 2 : 1;
      codes[2 * i + 1] = g;
    }
    const r = kprototypes(matrix(n, 1, num), { n, q: 2, codes, levels: [3, 2] }, { k: 2, seed: 1, gamma: 1 });
    expect(adjustedRand(r.labels, truth)).toBe(1);
    expect(
      kprototypes(matrix(n, 1, num), { n, q: 2, codes, levels: [3, 2] }, { k: 2, seed: 1, gamma: 1 }).labels,
    ).toEqual(r.labels);
  });
});

describe("choosing k", () => {
  it("picks the planted number of well separated clusters and reports every score", async () => {
    const { x } = blobs(
      [
        [0, 0],
        [20, 0],
        [0, 20],
      ],
      100,
      2,
      6,
    );
    const r = await chooseK(x, { seed: 1, kMin: 2, kMax: 6 });
    expect(r.best).toBe(3);
    expect(r.scores.map((s) => s.k)).toEqual([2, 3, 4, 5, 6]);
    const three = r.scores.find((s) => s.k === 3);
    expect(three?.stability).toBe(1);
    for (const s of r.scores)
      expect(Number.isFinite(s.silhouette + s.daviesBouldin + s.calinskiHarabasz + s.inertia)).toBe(true);
  });
});
