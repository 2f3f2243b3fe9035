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

/**
 * Every report passes the k-gate (no group under 10 people, src/privacy/k-gate.ts): each customer worked through
 * by hand below stands for ten alike (a0…a9 behave as a), so every figure is ten times the single customer's and
 * every share, average and score the same.
 */
const COPIES = 10;
const copies = (id: string) => Array.from({ length: COPIES }, (_, i) => `${id}${i}`);

/** Reference Gini of revenues: 2 Σ i·xᵢ / (n S) − (n + 1) / n over the revenues sorted ascending. */
function gini(values: readonly number[]): number {
  const x = [...values].sort((a, b) => a - b);
  const n = x.length;
  const total = x.reduce((a, b) => a + b, 0);
  return (2 * x.reduce((acc, v, i) => acc + (i + 1) * v, 0)) / (n * total) - (n + 1) / n;
}

/** Orders worked through by hand below: as of 2024-04-01, a, b, c and d spent 40, 30, 20 and 10. */
const ONE_OF_EACH: OrderRow[] = [
  ["a", "2024-03-31 10:00", 40], // recency 0 days
  ["a", "2024-03-31 12:00", 0, 1], // returns only: not a purchase
  ["a", "2024-05-01 10:00", 500], // after the as-of time: not seen
  ["b", "2024-03-01 00:00", 30], // recency 31
  ["c", "2024-01-01 00:00", 20], // recency 91
  ["d", "2023-09-01 00:00", 4],
  ["d", "2023-10-01 00:00", 6], // d: 2 orders, 10 in all, recency 183
  [null, "2024-02-01 00:00", 1000], // a guest's: nobody's
];
const ORDERS: OrderRow[] = ONE_OF_EACH.flatMap(([c, ...rest]) =>
  c === null ? [[c, ...rest] as OrderRow] : copies(c).map((id) => [id, ...rest] as OrderRow),
);

describe.each(TEST_ENGINES)("value operations on hand-made orders on $name", ({ location }) => {
  let store: Store;
  beforeAll(async () => {
    store = await openStore(location());
    await store.write(async (s) => {
      await addOrders(s, ORDERS, copies("e")); // e never bought
      const events: [string, string, string][] = [
        ["a", "page", "2024-03-31 09:00"], // a session on a purchase day: converts
        ["a", "page", "2024-03-20 09:00"], // no purchase that day
        ["b", "track", "2024-03-01 08:00"], // converts
        ["a", "page", "2024-05-01 09:00"], // after the as-of time
      ];
      await addEvents(
        s,
        events.flatMap(([c, type, ts]) => copies(c).map((id): [string, string, string] => [id, type, ts])),
      );
    });
  });
  afterAll(() => store.close());

  it("rfm scores with thresholds, names the segments, and stores the scores as computed values", async () => {
    const report = await runOperation(store, rfmOperation, {
      asOf: AS_OF,
      thresholds: { r: [30, 60, 120, 365], f: [2, 3, 4, 5], m: [10, 20, 30, 40] },
    });
    expect(report).toMatchObject({
      asOf: "2024-04-01T00:00:00.000Z",
      customers: 40,
      revenue: 1000,
      minGroup: 10,
      suppressed: false,
      frequency: "orders",
      scoring: { r: "thresholds", f: "thresholds", m: "thresholds" },
    });
    // R = 1 + #(tᵢ ≥ recency), F and M = 1 + #(tᵢ ≤ value); the segment from R and (F + M) / 2.
    const expected = [
      ["a", 0, 5, 1, 5, "Loyal"], // FM 3
      ["b", 31, 4, 1, 4, "Potential Loyalist"], // FM 2.5
      ["c", 91, 3, 1, 3, "Need Attention"], // FM 2
      ["d", 183, 2, 2, 2, "Hibernating"], // FM 2
    ].flatMap(([id, ...rest]) => copies(id as string).map((c) => [c, ...rest]));
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
    expect(loyal).toMatchObject({ customers: 10, revenue: 400, revenueShare: 0.4, customerShare: 0.25 });
    expect(report.grid.find((g) => g.r === 2 && g.f === 2)).toMatchObject({ customers: 10, revenue: 100 });
    // Every segment and grid cell is 0 or 10 people: nothing is suppressed.
    expect(report.segments.filter((x) => x.suppressed)).toEqual([]);
    expect(report.grid.filter((x) => x.suppressed)).toEqual([]);
    const computed = await store.read((s) => listComputed(s));
    expect(computed.map((c) => c.name)).toContain("rfm_segment");
  });

  it("pareto: the top quarter (a) brings 40%; Gini 2·Σ i·xᵢ/(n·S) − (n+1)/n = 0.25; per RFM segment", async () => {
    const r = await runOperation(store, paretoOperation, {
      asOf: AS_OF,
      top: 0.25,
      by: { kind: "rfm_segment" },
    });
    // The top quarter of 40: the ten a's, 400 of 1000.
    expect(r).toMatchObject({
      customers: 40,
      revenue: 1000,
      topCustomers: 10,
      topShare: 0.4,
      by: "rfm_segment",
    });
    const revenues = [40, 30, 20, 10].flatMap((x) => Array(COPIES).fill(x) as number[]);
    expect(r.gini).toBeCloseTo(gini(revenues), 12);
    // Lorenz points are ⌊f·40⌋ = 0, 4, 8 … 40 customers: a point within 10 customers of another shown figure (0,
    // 40, the top quarter's cut at 30, each point kept) would describe fewer than 10, so only 0, 12 and 40 are
    // shown. The bottom 12: the ten d's (10 each) and two c's (20 each), 140 of 1000.
    const lorenz = [0, null, null, 0.14, null, null, null, null, null, null, 1];
    expect(r.lorenz?.map((p) => p.revenueShare)).toEqual(
      lorenz.map((x) => (x === null ? null : expect.closeTo(x, 12))),
    );
    // Quintile scores (the grouping's, 1 + ⌊5·(rank − 1)/40⌋ with ties ranked alike): R a 4, b 3, c 2, d 1; F 1
    // but d 4; M a 4, b 3, c 2, d 1. So a is a Potential Loyalist (FM 2.5), b needs attention (FM 2), c (FM 1.5)
    // and d (FM 2.5) hibernate.
    expect(r.groups.map((g) => [g.group, g.customers, g.revenue])).toEqual([
      ["Hibernating", 20, 300],
      ["Need Attention", 10, 300],
      ["Potential Loyalist", 10, 400],
    ]);
    const hibernating = r.groups[0];
    // Its top quarter is 5 of 20 customers: within 10 of all 20, so the 15 below it would be the rest: hidden.
    expect(hibernating?.topShare).toBeNull();
    expect(hibernating?.gini).toBeCloseTo(gini([...Array(COPIES).fill(10), ...Array(COPIES).fill(20)]), 12);
  });

  it("kpis: base, buyers, orders, AOV, frequency and conversion, overall and per RFM segment", async () => {
    const all = await runOperation(store, kpisOperation, { asOf: AS_OF });
    expect(all).toMatchObject({ base: 50, by: "all", clvAvailable: false, minGroup: 10 });
    expect(all.groups).toEqual([
      {
        group: "all customers",
        customers: 50,
        shareOfBase: 1,
        buyers: 40,
        orders: 50,
        revenue: 1000,
        averageOrderValue: 20,
        purchaseFrequency: 1.25,
        averageClv: null,
        sessions: 30,
        conversionRate: 2 / 3,
        predictions: null,
        plannedSpend: null,
        plannedRoi: null,
        suppressed: false,
      },
    ]);
    const bySegment = await runOperation(store, kpisOperation, { asOf: AS_OF, by: { kind: "rfm_segment" } });
    // Default k = 10: every segment has 10 or more (and the base 50 minus each too).
    expect(bySegment.groups.map((g) => [g.group, g.customers, g.buyers, g.suppressed])).toEqual([
      ["Hibernating", 20, 20, false],
      ["Need Attention", 10, 10, false],
      ["Potential Loyalist", 10, 10, false],
    ]);
    // k raised to 11 for this report: the two segments of 10 are smaller, so only their names are told.
    const raised = await runOperation(store, kpisOperation, {
      asOf: AS_OF,
      by: { kind: "rfm_segment" },
      minGroup: 11,
    });
    expect(raised.groups.map((g) => [g.group, g.customers, g.revenue, g.suppressed])).toEqual([
      ["Hibernating", 20, 300, false],
      ["Need Attention", null, null, true],
      ["Potential Loyalist", null, null, true],
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
    const v = await runOperation(store, clvValidateOperation, { calibrationEnd: end });
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
