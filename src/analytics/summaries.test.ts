import { afterEach, describe, expect, it } from "vitest";
import { TEST_ENGINES } from "../../test/engines.js";
import { sql } from "../store/sql.js";
import type { Session } from "../store/store.js";
import { buildSummary, dayOf, parseUnit, purchaseTuples, SUMMARY, spendTuples } from "./summaries.js";
import { storeWithOrders } from "./test-fixtures.js";

let engine: Session | undefined;
afterEach(() => engine?.close());

describe.each(TEST_ENGINES)("calibration summary (x, t_x, T, z̄, holdout) in SQL on $name", ({ location }) => {
  it("counts distinct repeat days, sums same-day orders, skips the first day and return-only orders", async () => {
    engine = await storeWithOrders(location(), [
      ["a", "2024-01-01 09:00", 10], // first purchase
      ["a", "2024-01-01 18:00", 5], // same day as the first: not a repeat, not in z̄
      ["a", "2024-01-08 10:00", 20], // repeat day 1
      ["a", "2024-01-08 11:00", 4], // same day: one repeat of 24
      ["a", "2024-01-15 10:00", 30], // repeat day 2 (t_x = 14 days)
      ["a", "2024-01-20 10:00", 0, 12], // only a return: not a purchase
      ["a", "2024-02-05 10:00", 7], // after the calibration end: holdout
      ["b", "2024-01-29 23:59", 50], // first purchase on the calibration end
      ["c", "2024-02-02 10:00", 9], // first purchase after the end: not in the cohort
      [null, "2024-01-03 10:00", 99], // a guest
    ]);
    const end = dayOf(new Date("2024-01-29T00:00:00Z"));
    const n = await buildSummary(engine, end, dayOf(new Date("2024-02-29T00:00:00Z")));
    expect(n).toBe(2);
    const rows = (
      await engine.query(
        sql`SELECT customer_id, x, tx_days, t_days, zbar, holdout FROM ${SUMMARY} ORDER BY customer_id`,
      )
    ).rows();
    expect(rows).toEqual([
      { customer_id: "a", x: 2, tx_days: 14, t_days: 28, zbar: 27, holdout: 1 },
      { customer_id: "b", x: 0, tx_days: 0, t_days: 0, zbar: null, holdout: 0 },
    ]);
    const t = await purchaseTuples(engine, "week");
    expect(Array.from(t.x)).toEqual([0, 2]);
    expect(Array.from(t.tx)).toEqual([0, 2]);
    expect(Array.from(t.T)).toEqual([0, 4]);
    expect(Array.from(t.count)).toEqual([1, 1]);
    const s = await spendTuples(engine);
    expect(Array.from(s.mean)).toEqual([27]);
  });

  it("accepts day and week units, plural or not, and names --unit otherwise", () => {
    expect(parseUnit("weeks")).toBe("week");
    expect(parseUnit("DAY")).toBe("day");
    expect(parseUnit(undefined)).toBe("week");
    expect(() => parseUnit("month")).toThrow(/--unit: unknown time unit "month"/);
  });
});
