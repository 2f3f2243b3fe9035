import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { connectedComponents } from "./union-find.js";

/** Reference: components by breadth-first search over an adjacency list. */
function bfsComponents(n: number, edges: [number, number][]): number[] {
  const adj: number[][] = Array.from({ length: n }, () => []);
  for (const [a, b] of edges) {
    adj[a]?.push(b);
    adj[b]?.push(a);
  }
  const label = new Array<number>(n).fill(-1);
  for (let s = 0; s < n; s++) {
    if (label[s] !== -1) continue;
    const queue = [s];
    label[s] = s; // s is the smallest unlabelled node, hence the smallest of its component
    while (queue.length) {
      const v = queue.pop() as number;
      for (const w of adj[v] ?? []) {
        if (label[w] === -1) {
          label[w] = s;
          queue.push(w);
        }
      }
    }
  }
  return label;
}

describe("connectedComponents", () => {
  it("joins a chain and leaves singletons alone", () => {
    const r = connectedComponents(5, Int32Array.from([3, 2]), Int32Array.from([2, 1]));
    expect(Array.from(r)).toEqual([0, 1, 1, 1, 4]);
  });

  it("agrees with breadth-first search on random graphs", () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 60 })
          .chain((n) =>
            fc.tuple(fc.constant(n), fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: 80 })),
          ),
        ([n, edges]) => {
          const got = connectedComponents(
            n,
            Int32Array.from(edges.map((e) => e[0])),
            Int32Array.from(edges.map((e) => e[1])),
          );
          expect(Array.from(got)).toEqual(bfsComponents(n, edges));
        },
      ),
    );
  });
});
