import { describe, expect, it } from "vitest";
import { meceSegments, segmentOverlap } from "../src/segments/membership-reports.js";
import { openStore } from "../src/store/open-store.js";
import { FOR_READING } from "../src/store/store.js";
import { TEST_ENGINES } from "./engines.js";
import { runCli, tempDir, writeFile } from "./helpers.js";

/**
 * The MECE report's pairwise intersections (what the k-gate compares its coverage with) come from one scan of the
 * memberships grouped by the set of segments each customer is in: they must equal the overlap report's self-join.
 */
describe.each(TEST_ENGINES)("MECE intersections on $name", ({ location }) => {
  it("equal the overlap report's, with coverage and overlap counted by hand", async () => {
    const db = location();
    // 60 customers: a = age < 30 (i % 3 = 0), b = country DE (i % 4 = 0), c = score ≥ 5 (i % 5 = 0).
    const rows = Array.from({ length: 60 }, (_, i) =>
      [`c${i}`, i % 3 === 0 ? 20 : 40, i % 4 === 0 ? "DE" : "FR", i % 5 === 0 ? 9 : 1].join(","),
    );
    const file = writeFile(tempDir(), "c.csv", `customer_id,age,country,score\n${rows.join("\n")}\n`);
    expect((await runCli("import", "customers", file, "--db", db)).code).toBe(0);
    for (const [id, where] of [
      ["a", "age < 30"],
      ["b", 'country = "DE"'],
      ["c", "score >= 5"],
    ] as const)
      expect(
        (await runCli("segment", "add", "--id", id, "--name", id, "--where", where, "--db", db)).code,
      ).toBe(0);
    expect((await runCli("segment", "refresh", "--db", db)).code).toBe(0);
    const store = await openStore(db, FOR_READING);
    try {
      await store.read(async (s) => {
        const m = await meceSegments(s, []);
        const o = await segmentOverlap(s, m.ids);
        expect(m.ids).toEqual(["a", "b", "c"]);
        expect(m.intersections).toEqual({ sizes: o.sizes, counts: o.counts });
        // By hand: |a| = 20, |b| = 15, |c| = 12; a∩b = 5 (i % 12), a∩c = 4 (i % 15), b∩c = 3 (i % 20), all three 1.
        expect(m.intersections?.sizes).toEqual([20, 15, 12]);
        expect(m.intersections?.counts[0]).toEqual([20, 5, 4]);
        expect(m.intersections?.counts[1]?.[2]).toBe(3);
        // Covered: 20 + 15 + 12 − 5 − 4 − 3 + 1 = 36; in two or more: 5 + 4 + 3 − 2 × 1 = 10.
        expect([m.covered, m.overlapping]).toEqual([36, 10]);
      });
    } finally {
      await store.close();
    }
  });
});
