import { describe, expect, it } from "vitest";
import { invertSpd } from "./cholesky.js";
import { fitEase, gramMatrix, topItems } from "./ease.js";
import type { Purchases } from "./recommend-data.js";

/** Purchases from lists of item numbers per customer (items numbered by buyers, most first). */
function purchases(lists: number[][], items: number): Purchases {
  const start = new Int32Array(lists.length + 1);
  lists.forEach((l, u) => {
    start[u + 1] = (start[u] as number) + l.length;
  });
  const buyers = new Int32Array(items);
  for (const l of lists) for (const i of l) buyers[i] = (buyers[i] as number) + 1;
  return {
    customers: lists.length,
    items,
    start,
    item: Int32Array.from(lists.flatMap((l) => [...l].sort((a, b) => a - b))),
    buyers,
  };
}

/** Plain Gauss–Jordan inverse, the reference. */
function gaussJordan(a: number[][]): number[][] {
  const n = a.length;
  const m = a.map((r, i) => [...r, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    const p = m[c] as number[];
    const d = p[c] as number;
    for (let j = 0; j < 2 * n; j++) p[j] = (p[j] as number) / d;
    for (let r = 0; r < n; r++)
      if (r !== c) {
        const row = m[r] as number[];
        const f = row[c] as number;
        for (let j = 0; j < 2 * n; j++) row[j] = (row[j] as number) - f * (p[j] as number);
      }
  }
  return m.map((r) => r.slice(n));
}

describe("the SPD inverse", () => {
  it("agrees with Gauss–Jordan on random SPD matrices of sizes that cross the blocks", () => {
    let s = 7;
    const rnd = () => {
      s = (s * 16807) % 2147483647;
      return s / 2147483647 - 0.5;
    };
    for (const n of [1, 3, 5, 33, 70]) {
      const x = Array.from({ length: n }, () => Array.from({ length: n }, rnd));
      const a = x.map((r, i) =>
        x.map((q, j) => r.reduce((t, v, k) => t + v * (q[k] as number), 0) + (i === j ? 0.5 : 0)),
      );
      const ref = gaussJordan(a);
      const p = invertSpd(Float64Array.from(a.flat()), n);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) expect(p[i * n + j]).toBeCloseTo(ref[i]?.[j] as number, 9);
    }
  });
  it("refuses a matrix that is not positive definite", () => {
    expect(() => invertSpd(Float64Array.from([1, 2, 2, 1]), 2)).toThrow(/not positive definite/);
  });
});

describe("EASE^R", () => {
  // Customers 0–3 buy items 0 and 1 together; 4 and 5 buy 0 and 2; 6 buys 1 and 3.
  const p = purchases(
    [
      [0, 1],
      [0, 1],
      [0, 1],
      [0, 1],
      [0, 2],
      [0, 2],
      [1, 3],
    ],
    4,
  );

  it("counts co-purchases per pair of items", () => {
    const g = gramMatrix(p, 4);
    expect(Array.from(g)).toEqual([6, 4, 2, 0, 4, 5, 0, 1, 2, 0, 2, 0, 0, 1, 0, 1]);
  });

  it("gives B = −P[i][j]/P[j][j] with P = (XᵀX + λI)⁻¹ (checked against Gauss–Jordan)", () => {
    const lambda = 1;
    const g = gramMatrix(p, 4);
    const a = Array.from({ length: 4 }, (_, i) =>
      Array.from({ length: 4 }, (_, j) => (g[i * 4 + j] as number) + (i === j ? lambda : 0)),
    );
    const pm = gaussJordan(a);
    const model = fitEase(p, { lambda, maxItems: 4, neighbours: 3 });
    for (let i = 0; i < 4; i++)
      for (let x = model.start[i] as number; x < (model.start[i + 1] as number); x++) {
        const j = model.item[x] as number;
        expect(model.weight[x]).toBeCloseTo(-(pm[i]?.[j] as number) / (pm[j]?.[j] as number), 5);
        expect(model.coBuyers[x]).toBe(g[i * 4 + j]);
      }
  });

  it("recommends the item bought with yours, never one you bought, and fills with the most bought", () => {
    const model = fitEase(p, { lambda: 1, maxItems: 4, neighbours: 3 });
    // A buyer of item 2 alone: item 0 goes with it; the buyer of 0 and 2 gets 1 next.
    const q = purchases([[2], [0, 2], [0, 1, 2, 3]], 4);
    const top = topItems(q, model, 2);
    expect(top.item[0]).toBe(0);
    expect(Array.from(top.item.subarray(2, 4))).toContain(1);
    expect(Array.from(top.item.subarray(2, 4)).every((i) => i !== 0 && i !== 2)).toBe(true);
    expect(Array.from(top.item.subarray(4, 6))).toEqual([-1, -1]);
    // The popularity baseline: the most bought items (0, then 1) the customer has not bought.
    const base = topItems(q, null, 2);
    expect(Array.from(base.item.subarray(0, 2))).toEqual([0, 1]);
    expect(Array.from(base.item.subarray(2, 4))).toEqual([1, 3]);
  });
});
