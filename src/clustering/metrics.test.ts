import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { matrix } from "./matrix.js";
import { adjustedRand, calinskiHarabasz, daviesBouldin, silhouette } from "./metrics.js";

// Plain reference implementations, written from the definitions on arrays of points.
const dist = (a: number[], b: number[]) =>
  Math.sqrt(a.reduce((s, x, t) => s + (x - (b[t] as number)) ** 2, 0));
const centre = (pts: number[][]) =>
  (pts[0] as number[]).map((_, t) => pts.reduce((s, p) => s + (p[t] as number), 0) / pts.length);
const groupsOf = (pts: number[][], lab: number[]) => {
  const g = new Map<number, number[][]>();
  pts.forEach((p, i) => {
    g.set(lab[i] as number, [...(g.get(lab[i] as number) ?? []), p]);
  });
  return g;
};

function refSilhouette(pts: number[][], lab: number[]): number {
  const g = groupsOf(pts, lab);
  let total = 0;
  pts.forEach((p, i) => {
    const own = g.get(lab[i] as number) as number[][];
    if (own.length === 1) return;
    const a = own.reduce((s, q) => s + dist(p, q), 0) / (own.length - 1);
    let b = Number.POSITIVE_INFINITY;
    for (const [l, other] of g)
      if (l !== lab[i]) b = Math.min(b, other.reduce((s, q) => s + dist(p, q), 0) / other.length);
    total += Math.max(a, b) > 0 ? (b - a) / Math.max(a, b) : 0;
  });
  return total / pts.length;
}

function refDaviesBouldin(pts: number[][], lab: number[]): number {
  const g = [...groupsOf(pts, lab).values()];
  const c = g.map(centre);
  const s = g.map((q, i) => q.reduce((acc, p) => acc + dist(p, c[i] as number[]), 0) / q.length);
  return (
    g.reduce(
      (acc, _, i) =>
        acc +
        Math.max(
          ...g.map((__, j) =>
            i === j ? 0 : ((s[i] as number) + (s[j] as number)) / dist(c[i] as number[], c[j] as number[]),
          ),
        ),
      0,
    ) / g.length
  );
}

function refCalinskiHarabasz(pts: number[][], lab: number[]): number {
  const g = [...groupsOf(pts, lab).values()];
  const all = centre(pts);
  const between = g.reduce((acc, q) => acc + q.length * dist(centre(q), all) ** 2, 0);
  const within = g.reduce((acc, q) => acc + q.reduce((s, p) => s + dist(p, centre(q)) ** 2, 0), 0);
  return between / (g.length - 1) / (within / (pts.length - g.length));
}

const toMatrix = (pts: number[][]) =>
  matrix(pts.length, (pts[0] as number[]).length, Float64Array.from(pts.flat()));

/** Random points with a labelling that uses every label of 0…k−1 (at least 2). */
const labelled = fc.integer({ min: 2, max: 4 }).chain((k) =>
  fc
    .array(
      fc.tuple(
        fc.double({ min: -10, max: 10, noNaN: true }),
        fc.double({ min: -10, max: 10, noNaN: true }),
        fc.nat(k - 1),
      ),
      { minLength: k + 2, maxLength: 30 },
    )
    .map((rows) => rows.map(([x, y, l], i) => ({ p: [x, y], l: i < k ? i : l })))
    .map((rows) => ({ k, pts: rows.map((r) => r.p), lab: rows.map((r) => r.l) })),
);

describe("internal validity indices", () => {
  it("match scikit-learn on a hand-made example", () => {
    const pts = [
      [0, 0],
      [0, 1],
      [1, 0],
      [5, 5],
      [5, 6],
      [6, 5],
      [10, 0],
    ];
    const lab = Int32Array.from([0, 0, 0, 1, 1, 1, 1]);
    // Values printed by scikit-learn 1.2 (silhouette_score, davies_bouldin_score, calinski_harabasz_score).
    expect(silhouette(toMatrix(pts), lab, 2)).toBeCloseTo(0.6438483120696906, 12);
    expect(daviesBouldin(toMatrix(pts), lab, 2)).toBeCloseTo(0.46526577287154125, 12);
    expect(calinskiHarabasz(toMatrix(pts), lab, 2)).toBeCloseTo(10.938606847697756, 10);
  });

  it("equal the plain reference implementations on random data", () => {
    fc.assert(
      fc.property(labelled, ({ k, pts, lab }) => {
        const x = toMatrix(pts);
        const l = Int32Array.from(lab);
        expect(silhouette(x, l, k)).toBeCloseTo(refSilhouette(pts, lab), 9);
        const db = refDaviesBouldin(pts, lab);
        if (Number.isFinite(db)) expect(daviesBouldin(x, l, k)).toBeCloseTo(db, 9);
        const ch = refCalinskiHarabasz(pts, lab);
        if (Number.isFinite(ch)) expect(calinskiHarabasz(x, l, k) / ch).toBeCloseTo(1, 9);
      }),
      { numRuns: 150, seed: 5 },
    );
  });

  it("computes the silhouette of a large base on a seeded sample, the same for the same seed", () => {
    const n = 3_000;
    const pts = Array.from({ length: n }, (_, i) => [
      i % 2 ? 10 + Math.sin(i) : Math.cos(i),
      Math.sin(3 * i),
    ]);
    const lab = Int32Array.from(pts, (_, i) => i % 2);
    const a = silhouette(toMatrix(pts), lab, 2, { sampleSize: 500, seed: 3 });
    expect(silhouette(toMatrix(pts), lab, 2, { sampleSize: 500, seed: 3 })).toBe(a);
    expect(a).toBeCloseTo(silhouette(toMatrix(pts), lab, 2, { sampleSize: n }), 1);
  });

  it("is NaN (not a number pretending to be a score) with a single cluster", () => {
    const x = toMatrix([
      [0, 0],
      [1, 1],
      [2, 2],
    ]);
    expect(silhouette(x, Int32Array.from([0, 0, 0]), 1)).toBeNaN();
    expect(daviesBouldin(x, Int32Array.from([0, 0, 0]), 1)).toBeNaN();
  });
});

describe("adjusted Rand index", () => {
  it("matches known values (scikit-learn's documentation)", () => {
    expect(adjustedRand([0, 0, 1, 1], [1, 1, 0, 0])).toBe(1);
    expect(adjustedRand([0, 0, 1, 1], [0, 0, 1, 2])).toBeCloseTo(0.5714285714285714, 12);
    expect(adjustedRand([0, 0, 1, 2], [0, 0, 1, 1])).toBeCloseTo(0.5714285714285714, 12);
    expect(adjustedRand([0, 0, 1, 1], [0, 1, 0, 1])).toBeCloseTo(-0.5, 12);
    expect(adjustedRand([0, 0, 0, 0], [0, 1, 2, 3])).toBe(0);
  });

  it("is 1 for the same partition under any renaming of the labels, and symmetric", () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(5), { minLength: 2, maxLength: 40 }),
        fc.array(fc.nat(5), { minLength: 40, maxLength: 40 }),
        (a, other) => {
          const perm = [3, 5, 0, 1, 4, 2];
          expect(
            adjustedRand(
              a,
              a.map((x) => perm[x] as number),
            ),
          ).toBe(1);
          const b = other.slice(0, a.length);
          expect(adjustedRand(a, b)).toBeCloseTo(adjustedRand(b, a), 12);
        },
      ),
      { numRuns: 100, seed: 9 },
    );
  });
});
