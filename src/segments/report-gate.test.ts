import { describe, expect, it } from "vitest";
import { feasibleValues, recovers, sumRelation } from "../../test/differencing-attack.js";
import {
  intersectionHidden,
  isSmall,
  sizeHidden,
  suppressPartition,
  suppressTable,
} from "../privacy/k-gate.js";
import { effectiveMinGroup, MIN_GROUP_FLOOR, parseSetting } from "../privacy/settings.js";
import type { Mece, Overlap } from "./membership-reports.js";
import { gateDiff, gateExplanation, gateHistory, gateMece, gateOverlap, gatePreview } from "./report-gate.js";
import { exclusiveSets, hiddenSizes } from "./size-gate.js";
import type { Diff, Explanation } from "./what-if.js";

/**
 * The k-gate's pure parts, each attacked: a report over a hand-built state where one cell is under k, and an
 * attacker (test/differencing-attack.ts) who knows how the cells add up and enumerates what the hidden cells can
 * be. The attack must leave the small cell undetermined; cells at or over k come out exact.
 */

const K = 10;

describe("the primary rule", () => {
  it("suppresses 1 to k−1, never 0 or k", () => {
    expect([0, 1, 9, 10, 11].map((n) => isSmall(n, K))).toEqual([false, true, true, false, false]);
    // A size is also hidden when the rest of the base is small: base − size gives the rest away.
    expect(sizeHidden(95, 100, K)).toBe(true);
    expect(sizeHidden(90, 100, K)).toBe(false);
    expect(sizeHidden(100, 100, K)).toBe(false);
    expect(sizeHidden(0, 100, K)).toBe(false);
  });

  it("hides an intersection when any cell of the pair's 2×2 table is small", () => {
    // both 20, only A 3 (small), only B 30, neither 47.
    expect(intersectionHidden(20, 23, 50, 100, K)).toBe(true);
    expect(intersectionHidden(20, 30, 50, 100, K)).toBe(false);
    // Neither = 100 − 60 − 45 + 10 = 5: small.
    expect(intersectionHidden(10, 60, 45, 100, K)).toBe(true);
  });
});

describe("complementary suppression in a partition", () => {
  it("hides a second cell so that the total minus the shown ones is not one small cell", () => {
    const cells = [50, 3, 20, 27];
    const p = suppressPartition(cells, K);
    // The smallest other non-empty cell (20) goes with the 3; together 23 ≥ k.
    expect(p.hidden).toEqual([false, true, true, false]);
    expect(p.totalHidden).toBe(false);
    const shown = [...cells.map((c, i) => (p.hidden[i] ? null : c)), 100];
    const total = sumRelation([0, 1, 2, 3], 4);
    expect(recovers(shown, [total], 1, 100)).toBe(false);
    // Cells at or over k are exact.
    expect(shown[0]).toBe(50);
    expect(shown[3]).toBe(27);
  });

  it("keeps hiding until the hidden cells add up to k or more", () => {
    const p = suppressPartition([2, 3, 4, 40], K);
    // 2, 3 and 4 are small; their sum 9 < k, so 40 goes too.
    expect(p.hidden).toEqual([true, true, true, true]);
    expect(p.totalHidden).toBe(false);
  });

  it("hides the total when no cell is left to hide", () => {
    const p = suppressPartition([0, 4, 0], K);
    expect(p.totalHidden).toBe(true);
  });

  it("leaves a partition with nothing small as it is (empty cells stay 0)", () => {
    expect(suppressPartition([0, 12, 30], K)).toEqual({ hidden: [false, false, false], totalHidden: false });
  });

  it("in a two-way table, rows, columns and the total each hide a second cell", () => {
    const grid = [
      [30, 4, 20],
      [25, 15, 12],
      [18, 11, 40],
    ];
    const t = suppressTable(grid, K);
    const cells = grid.flat();
    const shown = [...cells.map((c, i) => (t.hidden[Math.floor(i / 3)]?.[i % 3] ? null : c)), 175];
    // The attacker knows every row sum, every column sum and the total.
    const rows = [0, 1, 2].map((r) =>
      sumRelation([3 * r, 3 * r + 1, 3 * r + 2], { known: grid[r]?.reduce((a, b) => a + b, 0) ?? 0 }),
    );
    const cols = [0, 1, 2].map((c) =>
      sumRelation([c, 3 + c, 6 + c], { known: grid.reduce((a, r) => a + (r[c] ?? 0), 0) }),
    );
    const all = sumRelation([0, 1, 2, 3, 4, 5, 6, 7, 8], 9);
    expect(shown[1]).toBeNull();
    expect(recovers(shown, [...rows, ...cols, all], 1, 60)).toBe(false);
    // At least four cells hidden: one small cell in a table needs a rectangle.
    expect(shown.filter((v) => v === null).length).toBeGreaterThanOrEqual(4);
  });
});

describe("segment sizes", () => {
  it("hide a small segment, one whose complement is small, and complete an exclusive set", () => {
    const sizes = new Map<string, number | null>([
      ["de", 20],
      ["lu", 3],
      ["not-lu", 32],
      ["new", null],
      ["mece-de", 20],
      ["mece-fr", 12],
      ["mece-other", 3],
    ]);
    expect(exclusiveSets(sizes, 35)).toEqual([["mece-de", "mece-fr", "mece-other"]]);
    const hidden = hiddenSizes(sizes, 35, K);
    expect([...hidden].sort()).toEqual(["lu", "mece-fr", "mece-other", "not-lu"]);
    // The attacker: the base (tessera stats) minus the exclusive segments shown.
    const shown = ["mece-de", "mece-fr", "mece-other"].map((id) =>
      hidden.has(id) ? null : (sizes.get(id) as number),
    );
    expect(recovers(shown, [sumRelation([0, 1, 2], { known: 35 })], 2, 35)).toBe(false);
    // And base − not-lu:
    expect(hidden.has("not-lu")).toBe(true);
  });
});

describe("the overlap matrix", () => {
  // a 30, b 25, c 4 (small); a∩b 20, a∩c 3, b∩c 0; 60 customers.
  const o: Overlap = {
    ids: ["a", "b", "c"],
    notEvaluated: [],
    sizes: [30, 25, 4],
    counts: [
      [30, 20, 3],
      [20, 25, 0],
      [3, 0, 4],
    ],
    jaccard: [
      [1, 20 / 35, 3 / 31],
      [20 / 35, 1, 0],
      [3 / 31, 0, 1],
    ],
  };

  it("hides the small size, its intersections and their Jaccard indices; the rest is exact", () => {
    const hidden = hiddenSizes(new Map(o.ids.map((id, i) => [id, o.sizes[i] ?? null])), 60, K);
    const g = gateOverlap(o, 60, K, hidden);
    expect(g.sizes).toEqual([30, 25, null]);
    expect(g.counts[0]?.[2]).toBeNull();
    expect(g.counts[2]?.[0]).toBeNull();
    expect(g.jaccard[0]?.[2]).toBeNull();
    // a∩b: both 20, only a 10, only b 5 — small: hidden too.
    expect(g.counts[0]?.[1]).toBeNull();
    expect(g.jaccard[0]?.[1]).toBeNull();
    expect(g.suppressed[0]?.[1]).toBe(true);
    // Jaccard = inter / (sa + sb − inter) would give the intersection back from the sizes: it is hidden with it.
    expect(g.counts[1]?.[1]).toBe(25);
    expect(g.minGroup).toBe(K);
  });

  it("complements within rows over an exclusive set (a row adds up to its size)", () => {
    const x: Overlap = {
      ids: ["all", "mece-a", "mece-b", "mece-other"],
      notEvaluated: [],
      sizes: [40, 20, 17, 3],
      counts: [
        [40, 20, 17, 3],
        [20, 20, 0, 0],
        [17, 0, 17, 0],
        [3, 0, 0, 3],
      ],
      jaccard: [
        [1, 0.5, 17 / 40, 3 / 40],
        [0.5, 1, 0, 0],
        [17 / 40, 0, 1, 0],
        [3 / 40, 0, 0, 1],
      ],
    };
    const hidden = hiddenSizes(new Map(x.ids.map((id, i) => [id, x.sizes[i] ?? null])), 40, K);
    const g = gateOverlap(x, 40, K, hidden);
    // Row "all": 40 = 20 + 17 + 3; the attacker knows the row's size and the exclusive cells.
    const row = [
      g.counts[0]?.[1] ?? null,
      g.counts[0]?.[2] ?? null,
      g.counts[0]?.[3] ?? null,
      g.sizes[0] ?? null,
    ];
    expect(row[2]).toBeNull();
    const relations = [sumRelation([0, 1, 2], 3)];
    if (row[3] !== null) expect(recovers(row, relations, 2, 40)).toBe(false);
    // And the list's sizes, with the base: 40 = mece-a + mece-b + mece-other.
    const sizes = [g.sizes[1] ?? null, g.sizes[2] ?? null, g.sizes[3] ?? null];
    expect(recovers(sizes, [sumRelation([0, 1, 2], { known: 40 })], 2, 40)).toBe(false);
  });
});

describe("MECE coverage", () => {
  const m: Omit<Mece, "intersections"> = {
    ids: ["a", "b"],
    notEvaluated: [],
    customers: 100,
    covered: 96,
    coverage: 0.96,
    overlapping: 30,
  };

  it("hides covered when uncovered (the base minus covered) is small", () => {
    const g = gateMece(m, K, false);
    expect(g.covered).toBeNull();
    expect(g.coverage).toBeNull();
    expect(recovers([g.covered, m.customers - 96], [], 0, 100)).toBe(false);
  });

  it("hides covered when the segments' intersections are suppressed (sizes + coverage = the intersection)", () => {
    const g = gateMece({ ...m, covered: 50 }, K, true);
    expect(g.covered).toBeNull();
    // |a| 30 + |b| 24 − covered = |a ∩ b| (4, hidden in the overlap report).
    expect(
      recovers(
        [30, 24, g.covered, null],
        [
          {
            terms: [
              [0, 1],
              [1, 1],
              [2, -1],
              [3, -1],
            ],
            equals: 0,
          },
        ],
        3,
        60,
      ),
    ).toBe(false);
  });

  it("shows exact figures when nothing is small", () => {
    const g = gateMece({ ...m, covered: 70, coverage: 0.7 }, K, false);
    expect([g.covered, g.coverage, g.overlapping]).toEqual([70, 0.7, 30]);
  });

  it("hides exclusive sizes with a complement", () => {
    const g = gateMece(
      {
        ...m,
        covered: 70,
        exclusive: [
          { id: "mece-a", from: "a", size: 50 },
          { id: "mece-b", from: "b", size: 14 },
          { id: "mece-other", from: "(rest)", size: 6 },
        ],
      },
      K,
      false,
    );
    const shown = (g.exclusive ?? []).map((e) => e.size);
    expect(shown).toEqual([50, null, null]);
    expect(recovers(shown, [sumRelation([0, 1, 2], { known: 70 })], 2, 70)).toBe(false);
  });
});

describe("history, diff, preview, explain", () => {
  it("history: size(t) = size(t−1) + entered − exited leaves a hidden flow undetermined", () => {
    const points = [
      { asOf: "2024-01-01", size: 40, entered: 40, exited: 0 },
      { asOf: "2024-02-01", size: 43, entered: 3, exited: 0 },
      { asOf: "2024-03-01", size: 50, entered: 12, exited: 5 },
    ];
    const g = gateHistory(points, 1000, K, false);
    const cells = g.flatMap((p) => [p.size, p.entered, p.exited]);
    const relations = points.map((_, t) =>
      t === 0
        ? {
            terms: [
              [0, 1],
              [1, -1],
              [2, 1],
            ] as [number, number][],
            equals: 0,
          }
        : {
            terms: [
              [3 * t, 1],
              [3 * (t - 1), -1],
              [3 * t + 1, -1],
              [3 * t + 2, 1],
            ] as [number, number][],
            equals: 0,
          },
    );
    expect(cells[4]).toBeNull();
    expect(recovers(cells, relations, 4, 60)).toBe(false);
    expect(recovers(cells, relations, 8, 60)).toBe(false);
    // The sizes stay as segment list shows them (≥ k, and the base minus them too).
    expect([g[0]?.size, g[1]?.size, g[2]?.size]).toEqual([40, 43, 50]);
  });

  it("diff: new = current + entering − leaving; a small flow takes another count with it", () => {
    const d: Diff = {
      id: "x",
      currentSize: 40,
      newSize: 43,
      entering: 3,
      leaving: 0,
      enteringSample: [],
      leavingSample: [],
      warnings: [],
    };
    const g = gateDiff(d, 1000, K);
    const cells = [g.currentSize, g.newSize, g.entering, g.leaving];
    expect(cells[2]).toBeNull();
    expect(
      recovers(
        cells,
        [
          {
            terms: [
              [0, 1],
              [1, -1],
              [2, 1],
              [3, -1],
            ],
            equals: 0,
          },
        ],
        2,
        60,
      ),
    ).toBe(false);
    expect(g.currentSize).toBe(40);
    expect(gateDiff({ ...d, enteringSample: ["a", "b", "c"] }, 1000, K).enteringSample).toEqual([]);
  });

  it("preview: a small size, or all but a few, is hidden with its share", () => {
    const p = { id: "x", size: 3, customers: 1000, share: 0.003, sample: ["a", "b", "c"], warnings: [] };
    // The sample's three ids would count the group: it goes with the size.
    expect(gatePreview(p, K)).toMatchObject({ size: null, share: null, sample: [], suppressed: true });
    expect(gatePreview({ ...p, size: 996, share: 0.996 }, K)).toMatchObject({ size: null, suppressed: true });
    expect(gatePreview({ ...p, size: 500, share: 0.5 }, K)).toMatchObject({
      size: 500,
      share: 0.5,
      suppressed: false,
    });
  });

  it("explain: a funnel step within k of the step before is hidden, and the segment's size with it", () => {
    const e: Explanation = {
      id: "x",
      customers: 1000,
      size: 97,
      featureSql: "",
      predicateSql: "",
      warnings: [],
      steps: [
        { path: "where", depth: 0, condition: "all", passing: 97 },
        { path: "where.all[0]", depth: 1, condition: "a", passing: 100 },
        { path: "where.all[1]", depth: 1, condition: "b", passing: 600, cumulative: 97 },
      ],
    };
    const g = gateExplanation(e, K);
    // 100 pass a, 97 pass a and b: the 3 who pass a but not b would be given away.
    expect(g.steps[2]?.cumulative).toBeNull();
    expect(g.steps[0]?.passing).toBeNull();
    expect(g.size).toBeNull();
    expect(g.steps[1]?.passing).toBe(100);
    expect(
      recovers(
        [g.steps[1]?.passing ?? null, g.size, null],
        [
          {
            terms: [
              [0, 1],
              [1, -1],
              [2, -1],
            ],
            equals: 0,
          },
        ],
        2,
        100,
      ),
    ).toBe(false);
  });
});

describe("the attacker", () => {
  it("does recover a cell the gate did not protect (so its failures above mean something)", () => {
    // Only primary suppression: the total minus the shown cells.
    expect(recovers([50, null, 20, 27, 100], [sumRelation([0, 1, 2, 3], 4)], 1, 100)).toBe(true);
    expect([...feasibleValues([50, null, 20, 27, 100], [sumRelation([0, 1, 2, 3], 4)], 1, 100)]).toEqual([3]);
  });
});

describe("settings", () => {
  it("min_group has a floor of 5, with the reason; a report's k may only be raised", () => {
    expect(parseSetting("min_group", "5")).toBe(5);
    expect(() => parseSetting("min_group", "4")).toThrow(/below the floor of 5/);
    expect(() => parseSetting("min_group", "ten")).toThrow(/expected a whole number/);
    expect(() => parseSetting("min_group", "7.5")).toThrow(/expected a whole number/);
    expect(() => parseSetting("dp", "maybe")).toThrow(/expected on or off/);
    expect(parseSetting("dp", "on")).toBe(true);
    expect(() => parseSetting("dp_epsilon_per_query", "-1")).toThrow(/positive decimal/);
    expect(() => parseSetting("dp_epsilon_per_query", "0")).toThrow(/dp_epsilon_per_query/);
    expect(() => parseSetting("dp_budget", "0")).toThrow(/greater than 0/);
    expect(() => parseSetting("dp_period", "fortnight")).toThrow(/day, week, month, year, lifetime/);
    expect(() => parseSetting("k", "10")).toThrow(/unknown setting/);
    expect(MIN_GROUP_FLOOR).toBe(5);
    expect(effectiveMinGroup({ min_group: 10 })).toBe(10);
    expect(effectiveMinGroup({ min_group: 10 }, 25)).toBe(25);
    expect(() => effectiveMinGroup({ min_group: 10 }, 5)).toThrow(/may only raise it/);
  });
});

describe("segments defined to divide the base", () => {
  it("hide one more when shown sizes add up to the base minus a hidden one, or to a hidden one", () => {
    // de + fr + lu = 35 (their author knows it: one country each); notlu = de + fr.
    const sizes = new Map<string, number | null>([
      ["de", 20],
      ["fr", 12],
      ["lu", 3],
      ["notlu", 32],
      ["young", 17],
    ]);
    const hidden = hiddenSizes(sizes, 35, K);
    const shown = ["de", "fr", "lu", "notlu"].map((id) =>
      hidden.has(id) ? null : (sizes.get(id) as number),
    );
    const partition = sumRelation([0, 1, 2], { known: 35 });
    const union = sumRelation([0, 1], 3);
    expect(shown[2]).toBeNull();
    expect(recovers(shown, [partition, union], 2, 35)).toBe(false);
    // A size nothing adds up to stays exact.
    expect(hidden.has("young")).toBe(false);
  });
});

describe("segments defined to divide a large base", () => {
  it("are found among sets of up to three segments when every subset would cost too much", () => {
    const base = 10_000_000;
    const sizes = new Map<string, number | null>([
      ["de", 6_000_000],
      ["fr", 3_999_997],
      ["lu", 3],
      ["notlu", 9_999_997],
    ]);
    const hidden = hiddenSizes(sizes, base, K);
    const shown = ["de", "fr", "lu", "notlu"].map((id) =>
      hidden.has(id) ? null : (sizes.get(id) as number),
    );
    expect(shown[2]).toBeNull();
    expect(recovers(shown, [sumRelation([0, 1, 2], { known: base }), sumRelation([0, 1], 3)], 2, 10)).toBe(
      false,
    );
    expect(shown[0]).toBe(6_000_000);
  });
});
