import { afterEach, describe, expect, it } from "vitest";
import { TEST_ENGINES } from "../../test/engines.js";
import type { BudgetPlan } from "../predict/budget-plan.js";
import { savePlan } from "../predict/budget-store.js";
import { registerComputed } from "../store/computed.js";
import { sql } from "../store/sql.js";
import type { Session } from "../store/store.js";
import { kpis } from "./kpis.js";
import { rfm } from "./rfm.js";
import { addEvents, type OrderRow, storeWithOrders } from "./test-fixtures.js";

let engine: Session | undefined;
afterEach(() => engine?.close());

describe.each(TEST_ENGINES)("KPIs on $name", ({ location }) => {
  it("computes customers, share of base, AOV, frequency and session conversion by hand", async () => {
    engine = await storeWithOrders(
      location(),
      [
        ["a", "2024-02-01 10:00", 30],
        ["a", "2024-02-05 10:00", 10],
        ["b", "2024-02-01 11:00", 20],
        ["b", "2024-02-10 11:00", 0, 5], // a return only: not an order
        [null, "2024-02-01 11:00", 99], // a guest: nobody's
      ],
      ["c"], // a customer who never bought
    );
    await addEvents(engine, [
      ["a", "page", "2024-02-01 09:55"], // session a/Feb 1: converts
      ["a", "track", "2024-02-01 10:05"], // same session
      ["a", "page", "2024-02-03 10:00"], // session a/Feb 3: no order
      ["b", "page", "2024-02-01 11:00"], // converts
      ["c", "screen", "2024-02-02 08:00"], // c: no order
      ["c", "identify", "2024-02-04 08:00"], // not a session
    ]);
    const r = await kpis(engine, { asOf: new Date("2024-03-01T00:00:00Z"), minGroup: 1 });
    expect(r.base).toBe(3);
    expect(r.clvAvailable).toBe(false);
    expect(r.groups).toHaveLength(1);
    const g = r.groups[0];
    expect(g).toMatchObject({
      customers: 3,
      shareOfBase: 1,
      buyers: 2,
      orders: 3,
      revenue: 60,
      sessions: 4,
      averageClv: null,
    });
    expect(g?.averageOrderValue).toBeCloseTo(20, 12);
    expect(g?.purchaseFrequency).toBeCloseTo(1.5, 12);
    expect(g?.conversionRate).toBeCloseTo(2 / 4, 12);
  });

  it("suppresses groups under the minimum size", async () => {
    engine = await storeWithOrders(location(), [["a", "2024-02-01 10:00", 30]]);
    const r = await kpis(engine, { asOf: new Date("2024-03-01T00:00:00Z") });
    expect(r.groups[0]).toMatchObject({
      group: "all customers",
      customers: null,
      revenue: null,
      suppressed: true,
    });
  });

  it("groups by saved segments (overlapping, current members only) and by computed values", async () => {
    const rows: OrderRow[] = [];
    for (let i = 0; i < 12; i++) rows.push([`c${i}`, "2024-02-01 10:00", 10 * (i + 1)]);
    engine = await storeWithOrders(location(), rows);
    // Saved, then refreshed; 'late' got a new version after the refresh: its stays are the old version's.
    const d = engine.dialect;
    const at = (iso: string) => sql.param(iso, "timestamp");
    await engine.run(
      sql`INSERT INTO segments (segment_id, name, updated_at) VALUES ('big', 'Big spenders', ${at("2024-03-01")}),
            ('all', 'Everyone', ${at("2024-03-01")}), ('late', 'Changed since', ${at("2024-03-03")})`,
    );
    await engine.run(
      sql`INSERT INTO segment_refreshes (as_of, refreshed_at, segments, seconds, mode)
          VALUES (${at("2024-03-01")}, ${at("2024-03-02")}, 3, 1, 'full')`,
    );
    for (let i = 0; i < 12; i++) {
      const id = `c${i}`;
      await engine.run(
        sql`INSERT INTO segment_membership (segment_id, customer_id, entered_at)
            VALUES ('all', ${id}, ${d.now()}), ('late', ${id}, ${d.now()})`,
      );
      if (i >= 2)
        await engine.run(
          sql`INSERT INTO segment_membership (segment_id, customer_id, entered_at, exited_at)
              VALUES ('big', ${id}, ${d.now()}, ${i < 4 ? d.now() : sql.param(null, "timestamp")})`,
        );
    }
    const asOf = new Date("2024-03-01T00:00:00Z");
    const bySegment = await kpis(engine, { asOf, by: { kind: "segment" }, minGroup: 1 });
    expect(bySegment.by).toBe("segment");
    expect(bySegment.groups.map((g) => [g.group, g.customers, g.revenue])).toEqual([
      ["Everyone", 12, 780],
      ["Big spenders", 8, 780 - 10 - 20 - 30 - 40],
    ]);
    await rfm(engine, { asOf });
    const byComputed = await kpis(engine, { asOf, by: { kind: "computed", name: "rfm_m" }, minGroup: 1 });
    expect(byComputed.groups.reduce((n, g) => n + (g.customers ?? 0), 0)).toBe(12);
    expect(byComputed.by).toBe("computed:rfm_m");
    // A number's group is its text as DuckDB writes it, on every engine: a whole double keeps its ".0".
    const byFrequency = await kpis(engine, {
      asOf,
      by: { kind: "computed", name: "rfm_frequency" },
      minGroup: 1,
    });
    expect(byFrequency.groups.map((g) => [g.group, g.customers])).toEqual([["1.0", 12]]);

    // Predictions carried into KPIs (issue 19, item 5): churn risk i/20 for everyone, a launch propensity for
    // c0–c5 only; each group's figure is the mean over its scored members.
    await engine.run(sql`CREATE TABLE churn_test (customer_id VARCHAR, churn_risk DOUBLE)`);
    await engine.run(sql`CREATE TABLE launch_test (customer_id VARCHAR, propensity DOUBLE)`);
    for (let i = 0; i < 12; i++) {
      await engine.run(sql`INSERT INTO churn_test VALUES (${`c${i}`}, ${i / 20})`);
      if (i < 6) await engine.run(sql`INSERT INTO launch_test VALUES (${`c${i}`}, ${i / 10})`);
    }
    const value = (name: string, table: string, column: string, producer: string) =>
      ({ name, type: "number", table, column, producer, description: name }) as const;
    await registerComputed(engine, [
      value("churn_risk", "churn_test", "churn_risk", "churn"),
      value("propensity.launch", "launch_test", "propensity", "propensity"),
    ]);
    // The last budget plan by segment gave Big spenders 100 at an expected ROI of 1.5.
    await savePlan(
      engine,
      {
        by: "segment",
        total: 100,
        segments: [
          {
            key: "big",
            name: "Big spenders",
            channel: "email",
            spend: 100,
            expectedConversions: 4,
            expectedRevenue: 250,
            roi: 1.5,
            marginalReturn: 1.2,
            status: "funded",
            suppressed: false,
            reason: "",
          },
        ],
      } as unknown as BudgetPlan,
      new Date("2024-03-02T00:00:00Z"),
    );
    const predicted = await kpis(engine, { asOf, by: { kind: "segment" }, minGroup: 1 });
    expect(predicted.predictions).toEqual(["churn_risk", "propensity.launch"]);
    expect(predicted.plannedAt).toBe("2024-03-02T00:00:00.000Z");
    const [everyone, big] = predicted.groups;
    expect(everyone?.predictions?.churn_risk).toBeCloseTo(5.5 / 20, 12);
    expect(everyone?.predictions?.["propensity.launch"]).toBeCloseTo(0.25, 12);
    expect(everyone).toMatchObject({ plannedSpend: null, plannedRoi: null });
    // Big spenders now: c4–c11 (c2 and c3 left).
    expect(big?.predictions?.churn_risk).toBeCloseTo(7.5 / 20, 12);
    expect(big?.predictions?.["propensity.launch"]).toBeCloseTo(0.45, 12);
    expect(big).toMatchObject({ plannedSpend: 100, plannedRoi: 1.5 });
    // Under the k-gate, a hidden group's predictions are hidden with it.
    const gated = await kpis(engine, { asOf, by: { kind: "segment" }, minGroup: 10 });
    expect(gated.groups.find((g) => g.group === "Big spenders")).toMatchObject({
      suppressed: true,
      predictions: null,
      plannedSpend: null,
    });
  });
});
