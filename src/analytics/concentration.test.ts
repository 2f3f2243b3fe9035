import { afterEach, describe, expect, it } from "vitest";
import { TEST_ENGINES } from "../../test/engines.js";
import { sql } from "../store/sql.js";
import type { Session } from "../store/store.js";
import { concentration } from "./concentration.js";
import { type OrderRow, storeWithOrders } from "./test-fixtures.js";

let engine: Session | undefined;
afterEach(() => engine?.close());

const AS_OF = new Date("2024-03-01T00:00:00Z");

describe.each(TEST_ENGINES)("revenue concentration on $name", ({ location }) => {
  it("gives the Gini, top share and Lorenz points of revenues 1, 2, 3, 4 by hand", async () => {
    // Gini = 2 Σ i·xᵢ / (n S) − (n+1)/n = 2 · 30 / 40 − 5/4 = 0.25; the top 25% (1 customer) has 4 of 10.
    engine = await storeWithOrders(location(), [
      ["a", "2024-02-01", 1],
      ["b", "2024-02-01", 2],
      ["c", "2024-02-01", 1],
      ["c", "2024-02-02", 2], // c: 3 over two orders
      ["d", "2024-02-01", 4],
    ]);
    const r = await concentration(engine, { asOf: AS_OF, top: 0.25, lorenzSteps: 4, minGroup: 1 });
    expect(r.customers).toBe(4);
    expect(r.revenue).toBe(10);
    expect(r.gini).toBeCloseTo(0.25, 12);
    expect(r.topCustomers).toBe(1);
    expect(r.topShare).toBeCloseTo(0.4, 12);
    expect(r.lorenz?.map((p) => p.revenueShare)).toEqual([0, 0.1, 0.3, 0.6, 1]);
  });

  it("gives Gini (n−1)/n when one customer has everything and 0 when all spend the same", async () => {
    engine = await storeWithOrders(location(), [
      ["a", "2024-02-01", 0],
      ["b", "2024-02-01", 0],
      ["c", "2024-02-01", 0],
      ["d", "2024-02-01", 0],
      ["e", "2024-02-01", 100],
    ]);
    const r = await concentration(engine, { asOf: AS_OF, minGroup: 1 });
    expect(r.gini).toBeCloseTo(0.8, 12);
    expect(r.topShare).toBe(1);
    engine.close();
    engine = await storeWithOrders(
      location(),
      ["a", "b", "c"].map((c): OrderRow => [c, "2024-02-01", 7]),
    );
    const same = await concentration(engine, { asOf: AS_OF, minGroup: 1 });
    expect(same.gini).toBeCloseTo(0, 12);
    // ⌈0.2 · 3⌉ = 1 customer of 3 with a third of the revenue.
    expect(same.topShare).toBeCloseTo(1 / 3, 12);
  });

  it("reports null, never NaN, when all revenue is zero; and per group with suppression", async () => {
    engine = await storeWithOrders(location(), [
      ["a", "2024-02-01", 0],
      ["b", "2024-02-01", 0],
    ]);
    const zero = await concentration(engine, { asOf: AS_OF, minGroup: 1 });
    expect(zero).toMatchObject({ customers: 2, revenue: 0, topShare: null, gini: null, lorenz: null });
    engine.close();
    const rows: OrderRow[] = [];
    // gold: 50 customers spending 1…50; silver: 10 spending 2 each; basic: 1 (under k = 10).
    for (let i = 0; i < 50; i++) rows.push([`x${i}`, "2024-02-01", i + 1]);
    for (let i = 0; i < 10; i++) rows.push([`z${i}`, "2024-02-01", 2]);
    rows.push(["y0", "2024-02-01", 5]);
    engine = await storeWithOrders(location(), rows);
    const d = engine.dialect;
    await engine.run(d.addColumn("customers", { name: "tier", type: "string" }));
    await engine.run(
      d.updateWhere(
        "customers",
        sql`tier = CASE WHEN customer_id LIKE 'x%' THEN 'gold' WHEN customer_id LIKE 'z%' THEN 'silver' ELSE 'basic' END`,
        sql`customer_id IS NOT NULL`,
      ),
    );
    await engine.run(
      sql`INSERT INTO trait_registry (name, type, category, pii, source_column, created_at)
          VALUES ('tier', 'string', 'value', false, 'tier', ${d.now()})`,
    );
    const r = await concentration(engine, { asOf: AS_OF, by: { kind: "trait", name: "tier" } });
    const gold = r.groups.find((g) => g.group === "gold");
    const basic = r.groups.find((g) => g.group === "basic");
    const silver = r.groups.find((g) => g.group === "silver");
    // The top 20% of gold: its 10 biggest spenders, 41…50.
    expect(gold).toMatchObject({ customers: 50, revenue: 1275, topCustomers: 10, suppressed: false });
    expect(gold?.topShare).toBeCloseTo(455 / 1275, 12);
    expect(basic).toMatchObject({ customers: null, gini: null, suppressed: true });
    // The tiers divide the 61 buyers: the overall figures minus gold would give basic back, so silver (the
    // smallest other group) is suppressed with it.
    expect(r.customers).toBe(61);
    expect(silver).toMatchObject({ customers: null, revenue: null, suppressed: true });
    // Lorenz points of gold, 5 customers apart, are shown only 10 or more apart.
    const shown = (gold?.lorenz ?? []).filter((p) => p.revenueShare !== null).map((p) => p.customerShare);
    expect(shown).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(gold?.lorenz?.find((p) => p.customerShare === 0.2)?.revenueShare).toBeCloseTo(55 / 1275, 12);
  });

  it("names --top and --by when they are wrong", async () => {
    engine = await storeWithOrders(location(), [["a", "2024-02-01", 1]]);
    await expect(concentration(engine, { top: 0 })).rejects.toThrow(/--top/);
    await expect(concentration(engine, { by: { kind: "trait", name: "nope" } })).rejects.toThrow(
      /--by: no trait "nope"/,
    );
    await expect(concentration(engine, { asOf: new Date("2020-01-01T00:00:00Z") })).rejects.toThrow(
      /--as-of/,
    );
  });
});
