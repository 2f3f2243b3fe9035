import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_ENGINES } from "../../test/engines.js";
import { openSession } from "../store/open-store.js";
import { sql } from "../store/sql.js";
import type { Session } from "../store/store.js";
import { RFM_SEGMENT_NAMES, RFM_SEGMENTS, rfmSegment, rfmSegmentSql } from "./rfm-segments.js";

describe("named RFM segments from R and FM = (F + M) / 2", () => {
  it("names every (R, F, M) score triple, using all eleven names", () => {
    const used = new Set<string>();
    for (let r = 1; r <= 5; r++)
      for (let f = 1; f <= 5; f++) for (let m = 1; m <= 5; m++) used.add(rfmSegment(r, f, m));
    expect([...used].sort()).toEqual([...RFM_SEGMENT_NAMES].sort());
    expect(RFM_SEGMENT_NAMES).toHaveLength(11);
    expect(new Set(RFM_SEGMENTS.map((s) => s.name))).toEqual(new Set(RFM_SEGMENT_NAMES));
  });

  it("follows the README's grid, cell by cell", () => {
    // Rows R = 5…1; columns FM = 1, 2, 3, 4 (FM 1.5 behaves as 1, 2.5 as 2, 3.5 as 3, 4.5 and 5 as 4).
    const grid = [
      ["New Customers", "Potential Loyalist", "Loyal", "Champions"],
      ["Promising", "Potential Loyalist", "Loyal", "Champions"],
      ["About to Sleep", "Need Attention", "Loyal", "Loyal"],
      ["Hibernating", "Hibernating", "At Risk", "Cannot Lose Them"],
      ["Lost", "Hibernating", "At Risk", "Cannot Lose Them"],
    ];
    grid.forEach((row, i) => {
      const r = 5 - i;
      row.forEach((name, j) => {
        const fm = j + 1;
        // (F, M) pairs with F + M = 2·FM and 2·FM + 1.
        expect(rfmSegment(r, fm, fm), `R ${r} FM ${fm}`).toBe(name);
        if (fm < 5) expect(rfmSegment(r, fm, fm + 1), `R ${r} FM ${fm + 0.5}`).toBe(name);
      });
    });
    expect(rfmSegment(5, 5, 5)).toBe("Champions");
    expect(rfmSegment(1, 5, 5)).toBe("Cannot Lose Them");
  });

  describe.each(TEST_ENGINES)("the SQL CASE on $name", ({ location }) => {
    let engine: Session;
    beforeAll(async () => {
      engine = await openSession(location());
    });
    afterAll(() => engine.close());

    it("agrees with the TypeScript rule on all 125 score triples", async () => {
      const name = rfmSegmentSql(sql`a.s`, sql`b.s`, sql`c.s`, engine.dialect.literal);
      await engine.appendTemp("_scores", [{ name: "s", type: "integer", values: [1, 2, 3, 4, 5] }]);
      const scores = sql.temp("_scores");
      const r = await engine.query(
        sql`SELECT a.s AS r, b.s AS f, c.s AS m, ${name} AS name
              FROM ${scores} a CROSS JOIN ${scores} b CROSS JOIN ${scores} c ORDER BY r, f, m`,
      );
      const rows = r.rows<{ r: number; f: number; m: number; name: string }>();
      expect(rows).toHaveLength(125);
      for (const row of rows) expect(row.name).toBe(rfmSegment(row.r, row.f, row.m));
    });
  });
});
