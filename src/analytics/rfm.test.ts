import { afterEach, describe, expect, it } from "vitest";
import { TEST_ENGINES } from "../../test/engines.js";
import { listComputed } from "../store/computed.js";
import type { Session } from "../store/store.js";
import { RFM_TABLE, rfm } from "./rfm.js";
import { type OrderRow, storeWithOrders } from "./test-fixtures.js";

let engine: Session | undefined;
afterEach(() => engine?.close());

const AS_OF = new Date("2024-03-01T00:00:00Z");

/** Ten customers c0…c9: c_i has frequencies [1,1,1,1,1,1,2,2,3,5][i] orders, the last one i days before the as-of. */
function tenCustomers(): OrderRow[] {
  const freq = [1, 1, 1, 1, 1, 1, 2, 2, 3, 5];
  const rows: OrderRow[] = [];
  freq.forEach((f, i) => {
    for (let k = 0; k < f; k++) {
      const day = 29 - i - 2 * k; // last order on Feb (29 − i), earlier ones two days apart
      rows.push([`c${i}`, `2024-02-${String(day).padStart(2, "0")} 12:00`, 10 * (i + 1)]);
    }
  });
  return rows;
}

async function scores(): Promise<Record<string, [number, number, number, string]>> {
  const r = await (engine as Session).query(
    `SELECT customer_id, r_score, f_score, m_score, rfm_segment FROM ${RFM_TABLE} ORDER BY customer_id`,
  );
  return Object.fromEntries(
    r
      .rows<{ customer_id: string; r_score: number; f_score: number; m_score: number; rfm_segment: string }>()
      .map((x) => [x.customer_id, [x.r_score, x.f_score, x.m_score, x.rfm_segment]]),
  );
}

describe.each(TEST_ENGINES)("RFM on $name", ({ location }) => {
  it("scores quintiles with ties sharing a score: 1 + ⌊5 · (strictly worse) / n⌋", async () => {
    engine = await storeWithOrders(location(), tenCustomers());
    const report = await rfm(engine, { asOf: AS_OF, minGroup: 1 });
    const s = await scores();
    // Frequency: six customers tie at 1 order (0 worse → 1); 2 orders: 6 worse → 1 + ⌊3⌋ = 4; 3: 8 worse → 5; 5: 9 worse → 5.
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => s[`c${i}`]?.[1])).toEqual([
      1, 1, 1, 1, 1, 1, 4, 4, 5, 5,
    ]);
    // Recency: c_i's last order is i + 1 days before… so c0 is the most recent: c9 has 0 worse → 1, c0 has 9 → 5.
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => s[`c${i}`]?.[0])).toEqual([
      5, 5, 4, 4, 3, 3, 2, 2, 1, 1,
    ]);
    // Monetary (total): 10, 20, …, 60, then 140, 160, 270, 500.
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => s[`c${i}`]?.[2])).toEqual([
      1, 1, 2, 2, 3, 3, 4, 4, 5, 5,
    ]);
    expect(s.c0?.[3]).toBe("New Customers"); // R 5, FM (1+1)/2 = 1
    expect(s.c9?.[3]).toBe("Cannot Lose Them"); // R 1, FM 5
    expect(report.customers).toBe(10);
    expect(report.revenue).toBe(10 * (1 + 2 + 3 + 4 + 5 + 6) + 70 * 2 + 80 * 2 + 90 * 3 + 100 * 5);
    // R 1–2 with FM ≥ 4: c6, c7 (R 2, F 4, M 4) and c8, c9 (R 1, F 5, M 5): 140 + 160 + 270 + 500.
    const cannotLose = report.segments.find((x) => x.name === "Cannot Lose Them");
    expect(cannotLose).toMatchObject({ customers: 4, revenue: 1070, suppressed: false });
    expect(cannotLose?.revenueShare).toBeCloseTo(1070 / (report.revenue as number), 12);
    expect(report.segments.map((x) => x.name)).toHaveLength(11);
    expect(report.grid).toHaveLength(25);
    expect(report.grid.reduce((n, c) => n + (c.customers ?? 0), 0)).toBe(10);
  });

  it("counts distinct purchase days with frequency: days, and averages with monetary: average", async () => {
    engine = await storeWithOrders(location(), [
      ["a", "2024-02-01 09:00", 10],
      ["a", "2024-02-01 17:00", 30],
      ["b", "2024-02-03 09:00", 5],
    ]);
    await rfm(engine, { asOf: AS_OF, frequency: "days", monetary: "average", minGroup: 1 });
    const r = await engine.query(
      `SELECT customer_id, recency_days, frequency, monetary, revenue FROM ${RFM_TABLE} ORDER BY customer_id`,
    );
    expect(r.rows()).toEqual([
      { customer_id: "a", recency_days: 28, frequency: 1, monetary: 20, revenue: 40 },
      { customer_id: "b", recency_days: 26, frequency: 1, monetary: 5, revenue: 5 },
    ]);
  });

  it("uses user thresholds: recency ≤ t1 days scores 5, frequency and monetary ≥ t4 score 5", async () => {
    engine = await storeWithOrders(location(), tenCustomers());
    const report = await rfm(engine, {
      asOf: AS_OF,
      thresholds: { r: [1, 3, 5, 7], f: [2, 3, 4, 5] },
      minGroup: 1,
    });
    const s = await scores();
    // c0's last order is 1 day before the as-of (Feb 29 12:00 → Mar 1 00:00 is 0.5 days: recency 0).
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => s[`c${i}`]?.[0])).toEqual([
      5, 5, 4, 4, 3, 3, 2, 2, 1, 1,
    ]);
    expect([0, 6, 8, 9].map((i) => s[`c${i}`]?.[1])).toEqual([1, 2, 3, 5]);
    expect(report.scoring).toEqual({ r: "thresholds", f: "thresholds", m: "quintiles" });
  });

  it("ignores orders after the as-of date and suppresses small segments", async () => {
    engine = await storeWithOrders(location(), tenCustomers());
    const asOf = new Date("2024-02-24T00:00:00Z");
    // Only c6…c9 have orders on or before Feb 24 00:00 (c5's is at noon that day): counted with no gate (k 1)…
    expect((await rfm(engine, { asOf, minGroup: 1 })).customers).toBe(4);
    // …and under the default k of 10, 4 customers are too few for any figure: the whole report is suppressed.
    const report = await rfm(engine, { asOf });
    expect(report).toMatchObject({ customers: null, revenue: null, suppressed: true, minGroup: 10 });
    expect(report.segments.every((x) => x.customers === null && x.suppressed)).toBe(true);
    expect(report.segments.every((x) => x.revenue === null)).toBe(true);
    expect(report.grid.every((c) => c.customers === null && c.suppressed)).toBe(true);
  });

  it("registers its values for segment definitions", async () => {
    engine = await storeWithOrders(location(), tenCustomers());
    await rfm(engine, { asOf: AS_OF });
    const names = (await listComputed(engine)).filter((c) => c.producer === "rfm").map((c) => c.name);
    expect(names).toEqual([
      "rfm_f",
      "rfm_frequency",
      "rfm_m",
      "rfm_monetary",
      "rfm_r",
      "rfm_recency_days",
      "rfm_segment",
    ]);
  });

  it("rejects bad thresholds naming the option", async () => {
    engine = await storeWithOrders(location(), tenCustomers());
    await expect(rfm(engine, { asOf: AS_OF, thresholds: { m: [5, 4, 3, 2] } })).rejects.toThrow(
      /--m-thresholds/,
    );
    await expect(rfm(engine, { asOf: AS_OF, thresholds: { r: [1, 2] } })).rejects.toThrow(/--r-thresholds/);
  });
});
