import { describe, expect, it } from "vitest";
import { closeCentroids, defaultMinSize, mergeSmallClusters } from "./cluster-size-guard.js";
import { kmeans } from "./kmeans.js";
import { matrix } from "./matrix.js";

describe("over-segmentation guard", () => {
  // Two tight groups of 20 around 0 and 10, two points at 30 and 31.
  const values = [
    ...Array.from({ length: 20 }, (_, i) => i / 20),
    ...Array.from({ length: 20 }, (_, i) => 10 + i / 20),
    30,
    31,
  ];
  const x = matrix(values.length, 1, Float64Array.from(values));

  it("merges clusters below the minimum size into their nearest neighbour and renumbers", () => {
    const r = kmeans(x, { k: 3, seed: 1 });
    const m = mergeSmallClusters(x, r.labels, r.centers, 3, 5);
    expect(m.k).toBe(2);
    expect(m.merged).toEqual([{ cluster: r.labels[40] as number, size: 2 }]);
    expect(new Set(m.labels)).toEqual(new Set([0, 1]));
    // The two stragglers joined the group around 10, their nearest.
    expect(m.labels[40]).toBe(m.labels[25]);
  });

  it("suggests merging clusters whose centres are close compared with their spread", () => {
    // One blob split in two by k = 3 next to a far blob.
    const blob = Array.from({ length: 40 }, (_, i) => i / 4);
    const y = matrix(
      60,
      1,
      Float64Array.from([...blob, ...Array.from({ length: 20 }, (_, i) => 100 + i / 20)]),
    );
    const r = kmeans(y, { k: 3, seed: 1 });
    const s = closeCentroids(y, r.labels, r.centers, 3, 3);
    expect(s).toHaveLength(1);
    expect(s[0]?.clusters).toEqual([r.labels[0], r.labels[39]].sort());
    expect(closeCentroids(y, r.labels, r.centers, 3, 0.1)).toEqual([]);
  });

  it("defaults to the privacy floor of 10 people, or 1% of a large base", () => {
    expect(defaultMinSize(200)).toBe(10);
    expect(defaultMinSize(50_000)).toBe(500);
  });
});
