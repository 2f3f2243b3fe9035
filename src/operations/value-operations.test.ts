/**
 * The customer-value operations called as every front door calls them (runOperation on a store), against
 * figures worked out by hand; the command-line shapes and messages are tested in test/value-cli.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_ENGINES } from "../../test/engines.js";
import { loadSettings } from "../analytics/settings.js";
import { addEvents, type OrderRow } from "../analytics/test-fixtures.js";
import { UserError } from "../errors.js";
import { listComputed } from "../store/computed.js";
import type { Engine } from "../store/engine.js";
import { openStore } from "../store/open-store.js";
import { sql } from "../store/sql.js";
import type { Store } from "../store/store.js";
import { runOperation } from "./operation.js";
import {
  clvFitOperation,
  clvPredictOperation,
  clvValidateOperation,
  kpisOperation,
  paretoOperation,
  rfmOperation,
} from "./value-operations.js";

/** Writes orders, and a customers row for everyone named in them or in `extraCustomers`. */
async function addOrders(engine: Engine, orders: readonly OrderRow[], extraCustomers: string[] = []) {
  const ids = new Set([...orders.flatMap(([c]) => (c === null ? [] : [c])), ...extraCustomers]);
  for (const id of ids) await engine.run(sql`INSERT INTO customers (customer_id) VALUES (${id})`);
  for (const [i, [customer, ts, total, returned]] of orders.entries())
    await engine.run(
      sql`INSERT INTO orders (order_id, customer_id, ts, total, returned, currency)
          VALUES (${`o${i}`}, ${sql.param(customer, "string")}, ${sql.param(ts, "timestamp")}, ${total}, ${returned ?? 0}, 'EUR')`,
    );
}

const AS_OF = "2024-04-01";

/** Orders worked through by hand below: as of 2024-04-01, a, b, c and d spent 40, 30, 20 and 10. */
const ORDERS: OrderRow[] = [
  ["a", "2024-03-31 10:00", 40], // recency 0 days
  ["a", "2024-03-31 12:00", 0, 1], // returns only: not a purchase
  ["a", "2024-05-01 10:00", 500], // after the as-of time: not seen
  ["b", "2024-03-01 00:00", 30], // recency 31
  ["c", "2024-01-01 00:00", 20], // recency 91
  ["d", "2023-09-01 00:00", 4],
  ["d", "2023-10-01 00:00", 6], // d: 2 orders, 10 in all, recency 183
  [null, "2024-02-01 00:00", 1000], // a guest's: nobody's
];

describe.each(TEST_ENGINES)("value operations on hand-made orders on $name", ({ location }) => {
  let store: Store;
  beforeAll(async () => {
    store = await openStore(location());
    await store.write(async (s) => {
      await addOrders(s, ORDERS, ["e"]); // e never bought
      await addEvents(s, [
        ["a", "page", "2024-03-31 09:00"], // a session on a purchase day: converts
        ["a", "page", "2024-03-20 09:00"], // no purchase that day
        ["b", "track", "2024-03-01 08:00"], // converts
        ["a", "page", "2024-05-01 09:00"], // after the as-of time
      ]);
    });
  });
  afterAll(() => store.close());

  it("rfm scores with thresholds, names the segments, and stores the scores as computed values", async () => {
    const report = await runOperation(store, rfmOperation, {
      asOf: AS_OF,
      thresholds: { r: [30, 60, 120, 365], f: [2, 3, 4, 5], m: [10, 20, 30, 40] },
      minGroup: 1,
    });
    expect(report).toMatchObject({
      asOf: "2024-04-01T00:00:00.000Z",
      customers: 4,
      revenue: 100,
      frequency: "orders",
      scoring: { r: "thresholds", f: "thresholds", m: "thresholds" },
    });
    // R = 1 + #(tᵢ ≥ recency), F and M = 1 + #(tᵢ ≤ value); the segment from R and (F + M) / 2.
    const expected = [
      ["a", 0, 5, 1, 5, "Loyal"], // FM 3
      ["b", 31, 4, 1, 4, "Potential Loyalist"], // FM 2.5
      ["c", 91, 3, 1, 3, "Need Attention"], // FM 2
      ["d", 183, 2, 2, 2, "Hibernating"], // FM 2
    ];
    const stored = await store.read(async (s) =>
      (
        await s.query(
          "SELECT customer_id, recency_days, r_score, f_score, m_score, rfm_segment FROM customer_rfm ORDER BY customer_id",
        )
      )
        .rows<Record<string, unknown>>()
        .map((r) => Object.values(r).map((v) => (typeof v === "bigint" ? Number(v) : v))),
    );
    expect(stored).toEqual(expected);
    const loyal = report.segments.find((s) => s.name === "Loyal");
    expect(loyal).toMatchObject({ customers: 1, revenue: 40, revenueShare: 0.4, customerShare: 0.25 });
    expect(report.grid.find((g) => g.r === 2 && g.f === 2)).toMatchObject({ customers: 1, revenue: 10 });
    const computed = await store.read((s) => listComputed(s));
    expect(computed.map((c) => c.name)).toContain("rfm_segment");
  });

  it("pareto: the top quarter (a) brings 40%; Gini 2·Σ i·xᵢ/(n·S) − (n+1)/n = 0.25; per RFM segment", async () => {
    const r = await runOperation(store, paretoOperation, {
      asOf: AS_OF,
      top: 0.25,
      by: { kind: "rfm_segment" },
      minGroup: 1,
    });
    expect(r).toMatchObject({
      customers: 4,
      revenue: 100,
      topCustomers: 1,
      topShare: 0.4,
      by: "rfm_segment",
    });
    expect(r.gini).toBeCloseTo(0.25, 12);
    // The bottom ⌊f·4⌋ customers: 0 up to f = 0.2, then 10, 10+20, 10+20+30 of 100.
    const lorenz = [0, 0, 0, 0.1, 0.1, 0.3, 0.3, 0.3, 0.6, 0.6, 1];
    expect(r.lorenz?.map((p) => p.revenueShare)).toEqual(lorenz.map((x) => expect.closeTo(x, 12)));
    // Quintile scores (the grouping's): R a 4, b 3, c 2, d 1; F 1 but d 4; M a 4, b 3, c 2, d 1. So a is a
    // Potential Loyalist (FM 2.5), b needs attention (FM 2), c (FM 1.5) and d (FM 2.5) hibernate.
    expect(r.groups.map((g) => [g.group, g.customers, g.revenue])).toEqual([
      ["Hibernating", 2, 30],
      ["Need Attention", 1, 30],
      ["Potential Loyalist", 1, 40],
    ]);
    const hibernating = r.groups[0];
    expect(hibernating?.topShare).toBeCloseTo(20 / 30, 12);
    expect(hibernating?.gini).toBeCloseTo((2 * (1 * 10 + 2 * 20)) / (2 * 30) - 3 / 2, 12);
  });

  it("kpis: base, buyers, orders, AOV, frequency and conversion, overall and per RFM segment", async () => {
    const all = await runOperation(store, kpisOperation, { asOf: AS_OF, minGroup: 1 });
    expect(all).toMatchObject({ base: 5, by: "all", clvAvailable: false });
    expect(all.groups).toEqual([
      {
        group: "all customers",
        customers: 5,
        shareOfBase: 1,
        buyers: 4,
        orders: 5,
        revenue: 100,
        averageOrderValue: 20,
        purchaseFrequency: 1.25,
        averageClv: null,
        sessions: 3,
        conversionRate: 2 / 3,
        suppressed: false,
      },
    ]);
    const bySegment = await runOperation(store, kpisOperation, { asOf: AS_OF, by: { kind: "rfm_segment" } });
    // Default k = 10: every segment here is smaller, so only its name is told.
    expect(bySegment.groups.map((g) => [g.group, g.customers, g.suppressed])).toEqual([
      ["Hibernating", null, true],
      ["Need Attention", null, true],
      ["Potential Loyalist", null, true],
    ]);
  });

  it("refuses a bad input naming the operation and the field", async () => {
    const error = await runOperation(store, paretoOperation, { top: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect(error).toMatchObject({ code: "bad-input", where: "pareto: top" });
    await expect(
      // An API body may carry any kind; the schema lists the ones there are.
      runOperation(store, kpisOperation, { by: { kind: "country" } as never }),
    ).rejects.toMatchObject({ where: "kpis: by.kind" });
    await expect(
      runOperation(store, clvValidateOperation, {} as { calibrationEnd: string }),
    ).rejects.toMatchObject({ where: "clv.validate: calibrationEnd" });
    await expect(runOperation(store, rfmOperation, { asOf: "yesterday" })).rejects.toMatchObject({
      message: 'rfm: asOf: not an ISO 8601 date: "yesterday"',
    });
  });
});

/** 30 customers over 2024 (as in test/value-cli.test.ts): c_i buys on (i mod 4) + 1 days, amounts varying. */
function yearOfOrders(): OrderRow[] {
  const rows: OrderRow[] = [];
  for (let i = 0; i < 30; i++)
    for (let k = 0; k <= i % 4; k++) {
      const month = String(1 + ((i + 3 * k) % 12)).padStart(2, "0");
      const day = String(1 + ((i * 7 + k) % 27)).padStart(2, "0");
      rows.push([`c${i}`, `2024-${month}-${day} 10:00`, 10 + ((i * 13 + k * 29) % 90)]);
    }
  return rows;
}

/** Each customer's distinct purchase days (ISO dates). */
function purchaseDays(rows: readonly OrderRow[]): Map<string, Set<string>> {
  const days = new Map<string, Set<string>>();
  for (const [c, ts] of rows) if (c !== null) days.set(c, (days.get(c) ?? new Set()).add(ts.slice(0, 10)));
  return days;
}

describe.each(TEST_ENGINES)("lifetime-value operations on $name", ({ location }) => {
  let store: Store;
  const rows = yearOfOrders();
  beforeAll(async () => {
    store = await openStore(location());
    await store.write((s) => addOrders(s, rows));
  });
  afterAll(() => store.close());

  it("fit counts customers and repeat customers as the summary defines them, and saves the model", async () => {
    const end = "2024-12-20";
    const fit = await runOperation(store, clvFitOperation, { calibrationEnd: end });
    // A customer is observed from a first purchase up to the end; a repeat customer bought on another day too.
    const observed = [...purchaseDays(rows).values()].map((d) => [...d].filter((day) => day <= end));
    expect(fit).toMatchObject({
      calibrationEnd: end,
      unit: "week",
      customers: observed.filter((d) => d.length > 0).length,
      repeatCustomers: observed.filter((d) => d.length > 1).length,
    });
  });

  it("validate compares with the holdout's repeat purchase days, and leaves the saved model alone", async () => {
    const end = "2024-06-30";
    const v = await runOperation(store, clvValidateOperation, { calibrationEnd: end, minGroup: 1 });
    const observed = [...purchaseDays(rows).values()].filter((d) => [...d].some((day) => day <= end));
    const holdoutDays = observed.reduce((n, d) => n + [...d].filter((day) => day > end).length, 0);
    expect(v).toMatchObject({ calibrationEnd: end, holdoutEnd: "2024-12-27", holdoutLength: 180 / 7 });
    expect(v.overall).toMatchObject({ customers: observed.length, actual: holdoutDays });
    // A read: the model clv predict uses is still the one fitted to 2024-12-20.
    const p = await runOperation(store, clvPredictOperation, {});
    expect(p.calibrationEnd).toBe("2024-12-20");
  });

  it("predict adds one customer's figures, and an unknown customer changes nothing", async () => {
    const p = await runOperation(store, clvPredictOperation, { months: 6, customer: "c3" });
    expect(p).toMatchObject({ customers: 30, months: 6, discount: 0.01, margin: 1 });
    expect(p.customer).toMatchObject({ customerId: "c3" });
    expect(p.customer?.probabilityOfPurchases).toHaveLength(6);
    const stored = await store.read(async (s) =>
      Number((await s.query("SELECT clv FROM customer_clv WHERE customer_id = 'c3'")).column("clv")[0]),
    );
    expect(p.customer?.clv).toBe(stored);
    await expect(
      runOperation(store, clvPredictOperation, { months: 24, customer: "nobody" }),
    ).rejects.toMatchObject({ code: "unknown-customer" });
    // The failed run's predictions and settings were rolled back: a segment refresh re-runs the 6 months.
    expect(await store.read((s) => loadSettings(s, "clv"))).toMatchObject({ months: 6 });
  });
});
