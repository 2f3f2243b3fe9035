import { afterEach, describe, expect, it } from "vitest";
import { TEST_ENGINES } from "../../test/engines.js";
import { listComputed } from "../store/computed.js";
import { sql } from "../store/sql.js";
import type { Session } from "../store/store.js";
import { expectedPurchases } from "./bgnbd-predict.js";
import { fitClv } from "./clv.js";
import { CLV_TABLE, DAYS_PER_MONTH, discountedPurchases, predictClv } from "./clv-predict.js";
import { expectedAverageSpend } from "./gamma-gamma.js";
import { SUMMARY } from "./summaries.js";
import { type OrderRow, storeWithOrders } from "./test-fixtures.js";

let engine: Session | undefined;
afterEach(() => engine?.close());

describe("CLV discounting", () => {
  it("discounts each month's expected purchases: 2/1.1 + 2/1.1² for two months at 10%", () => {
    expect(discountedPurchases((t) => 2 * t, 2, 1, 0.1)).toBeCloseTo(2 / 1.1 + 2 / 1.21, 12);
  });

  it("without discount sums to the expected purchases over the horizon", () => {
    const p = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
    const month = DAYS_PER_MONTH / 7;
    expect(discountedPurchases((t) => expectedPurchases(p, t), 12, month, 0)).toBeCloseTo(
      expectedPurchases(p, 12 * month),
      12,
    );
  });
});

/** 40 customers with varied repeat purchases over Jan–Jun 2024. */
function history(): OrderRow[] {
  const rows: OrderRow[] = [];
  for (let i = 0; i < 40; i++) {
    const start = 1 + (i % 28);
    const repeats = i % 5;
    rows.push([`c${i}`, `2024-01-${String(start).padStart(2, "0")} 10:00`, 20 + (i % 7)]);
    for (let k = 1; k <= repeats; k++) {
      const month = String(1 + k).padStart(2, "0");
      rows.push([
        `c${i}`,
        `2024-${month}-${String(1 + ((i * k) % 27)).padStart(2, "0")} 10:00`,
        10 + ((i * 3 + k * 7) % 40),
      ]);
    }
  }
  return rows;
}

describe.each(TEST_ENGINES)("clv fit and predict on a store on $name", ({ location }) => {
  it("stores per-customer predictions consistent with the models and registers them", async () => {
    engine = await storeWithOrders(location(), history());
    const fit = await fitClv(engine, { unit: "week" });
    expect(fit.customers).toBe(40);
    expect(fit.gammaGamma).not.toBeNull();
    const pred = await predictClv(engine, { months: 6, discount: 0.02, margin: 0.5 });
    expect(pred.customers).toBe(40);
    expect(Number.isFinite(pred.totalClv)).toBe(true);
    const dist = pred.purchaseDistribution.reduce((s, d) => s + d.customers, 0);
    expect(dist).toBeCloseTo(40, 6);
    const row = (
      await engine.query(
        sql`SELECT c.expected_spend, s.x, s.zbar FROM ${sql.ident(CLV_TABLE)} c
              JOIN ${SUMMARY} s ON s.customer_id = c.customer_id WHERE s.x > 0 LIMIT 1`,
      )
    ).rows<{ expected_spend: number; x: number; zbar: number }>()[0];
    const g = fit.gammaGamma as NonNullable<typeof fit.gammaGamma>;
    expect(row?.expected_spend).toBeCloseTo(expectedAverageSpend(g, Number(row?.x), Number(row?.zbar)), 9);
    const values = await engine.query(
      sql`SELECT clv, p_alive, expected_purchases FROM ${sql.ident(CLV_TABLE)}`,
    );
    const notNumbers = values
      .rows<Record<string, unknown>>()
      .filter(
        (v) =>
          v.clv === null || [v.clv, v.p_alive, v.expected_purchases].some((x) => Number.isNaN(Number(x))),
      );
    expect(notNumbers).toEqual([]);
    const names = (await listComputed(engine)).filter((c) => c.producer === "clv").map((c) => c.name);
    expect(names).toEqual(["clv", "expected_purchases", "expected_spend", "p_alive"]);
  });

  it("gives clear errors for degenerate data", async () => {
    // All purchases on one day: nobody repeats.
    engine = await storeWithOrders(
      location(),
      ["a", "b", "c"].map((c): OrderRow => [c, "2024-02-01 10:00", 5]),
    );
    await expect(fitClv(engine, { unit: "week" })).rejects.toMatchObject({ code: "no-repeat-purchases" });
    engine.close();
    // One customer.
    engine = await storeWithOrders(location(), [
      ["a", "2024-02-01", 5],
      ["a", "2024-02-09", 5],
    ]);
    await expect(fitClv(engine, { unit: "day" })).rejects.toMatchObject({ code: "too-few-customers" });
    await expect(predictClv(engine)).rejects.toMatchObject({ code: "no-model" });
    engine.close();
    // No purchases at all.
    engine = await storeWithOrders(location(), []);
    await expect(fitClv(engine, { unit: "week" })).rejects.toMatchObject({ code: "no-purchases" });
  });

  it("names --calibration-end when it lies outside the purchase history", async () => {
    engine = await storeWithOrders(location(), history());
    await expect(
      fitClv(engine, { unit: "week", calibrationEnd: new Date("2023-12-01T00:00:00Z") }),
    ).rejects.toThrow(/--calibration-end: 2023-12-01 is before the first purchase/);
    await expect(
      fitClv(engine, { unit: "week", calibrationEnd: new Date("2025-01-01T00:00:00Z") }),
    ).rejects.toThrow(/--calibration-end: 2025-01-01 is after the last purchase/);
  });
});
