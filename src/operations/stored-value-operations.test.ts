/**
 * The reads of stored values (rfm.show, clv.distribution, clv.cohorts) on each engine: the RFM report of the
 * stored scores is the one `rfm` gave when it stored them, and the CLV histogram and cohorts are worked out by hand
 * from predictions written here, small groups suppressed with their complements.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_ENGINES } from "../../test/engines.js";
import { periodOf } from "../analytics/clv-cohorts.js";
import { roundWidth } from "../analytics/clv-distribution.js";
import { CLV_TABLE } from "../analytics/clv-predict.js";
import { registerComputed } from "../store/computed.js";
import type { Engine } from "../store/engine.js";
import { openStore } from "../store/open-store.js";
import { sql } from "../store/sql.js";
import type { Store } from "../store/store.js";
import { type AnyOperation, runOperation } from "./operation.js";
import {
  clvCohortsOperation,
  clvDistributionOperation,
  rfmShowOperation,
} from "./stored-value-operations.js";
import { rfmOperation } from "./value-operations.js";

/**
 * Customers `<group>-<i>` with one order on their first purchase day and a stored prediction (P(alive), CLV):
 * group, how many, first purchase, P(alive), CLV.
 */
const PEOPLE: [string, number, string, number, number][] = [
  ["a", 12, "2024-01-15", 0.8, 5], // 2024-Q1
  ["b", 10, "2024-02-20", 0.6, 15], // 2024-Q1
  ["c", 10, "2024-05-02", 0.5, 25], // 2024-Q2
  ["d", 30, "2024-08-30", 0.3, 25], // 2024-Q3
  ["e", 3, "2024-11-11", 0.1, 1000], // 2024-Q4: three people
];

async function addPeople(s: Engine): Promise<void> {
  const d = s.dialect;
  await s.run(
    d.createTable(
      CLV_TABLE,
      [
        { name: "customer_id", type: "string" },
        { name: "expected_purchases", type: "number" },
        { name: "p_alive", type: "number" },
        { name: "expected_spend", type: "number" },
        { name: "clv", type: "number" },
      ],
      ["customer_id"],
    ),
  );
  let order = 0;
  for (const [group, n, day, pAlive, clv] of PEOPLE)
    for (let i = 0; i < n; i++) {
      const id = `${group}-${i}`;
      await s.run(sql`INSERT INTO customers (customer_id) VALUES (${id})`);
      // A later order (the first purchase is the earliest), and a returns-only one before it (not a purchase).
      for (const [ts, total, returned] of [
        [`${day} 10:00`, 20, 0],
        ["2024-12-01 10:00", 30, 0],
        ["2023-06-01 10:00", 0, 1],
      ] as const)
        await s.run(
          sql`INSERT INTO orders (order_id, customer_id, ts, total, returned, currency)
              VALUES (${`o${++order}`}, ${id}, ${sql.param(ts, "timestamp")}, ${total}, ${returned}, 'EUR')`,
        );
      await s.run(
        sql`INSERT INTO ${sql.ident(CLV_TABLE)} (customer_id, expected_purchases, p_alive, expected_spend, clv)
            VALUES (${id}, ${pAlive * 2}, ${pAlive}, 10, ${clv})`,
      );
    }
  const common = { table: CLV_TABLE, producer: "clv", description: "by hand" } as const;
  await registerComputed(s, [
    { ...common, name: "clv", type: "number", column: "clv" },
    { ...common, name: "p_alive", type: "number", column: "p_alive" },
  ]);
}

describe("the round widths of a CLV histogram", () => {
  it("are 1, 2, 2.5 or 5 times a power of ten, at least the width asked for", () => {
    expect([0.07, 0.1, 0.11, 3, 21, 24.9, 26, 499, 501].map(roundWidth)).toEqual([
      0.1, 0.1, 0.2, 5, 25, 25, 50, 500, 1000,
    ]);
    expect([0, -1, Number.NaN].map(roundWidth)).toEqual([1, 1, 1]);
  });

  it("put first purchases in their calendar periods", () => {
    const day = Date.parse("2024-08-30T10:00:00Z") / 86_400_000;
    expect(periodOf(Math.floor(day), "quarter")).toEqual({ cohort: "2024-Q3", start: "2024-07-01" });
    expect(periodOf(Math.floor(day), "month")).toEqual({ cohort: "2024-08", start: "2024-08-01" });
    expect(periodOf(Math.floor(day), "year")).toEqual({ cohort: "2024", start: "2024-01-01" });
  });
});

describe.each(TEST_ENGINES)("reads of stored values on $name", ({ location }) => {
  let store: Store;
  beforeAll(async () => {
    store = await openStore(location());
  });
  afterAll(() => store?.close());

  it("say that nothing is stored yet, rather than fail, before values are stored", async () => {
    // Asked with a k of their own: the answers are kept until an operation writes, and the set-up writes directly.
    const reads: AnyOperation[] = [rfmShowOperation, clvDistributionOperation, clvCohortsOperation];
    for (const op of reads)
      expect(await runOperation(store, op, { minGroup: 10 })).toEqual({ stored: false, minGroup: 10 });
  });

  it("clv.distribution counts the stored CLV per bin of a round width, the last open, small bins hidden", async () => {
    await store.write(addPeople);
    // 65 values: the 95th percentile (type 7) is 25; about 5 bins below it are 5 wide.
    const r = await runOperation(store, clvDistributionOperation, { bins: 5 });
    if (!r.stored) throw new Error("nothing stored");
    expect(r.width).toBe(5);
    expect(r.bins.map((b) => [b.from, b.to])).toEqual([
      [0, 5],
      [5, 10],
      [10, 15],
      [15, 20],
      [20, 25],
      [25, null],
    ]);
    // 12 at 5, 10 at 15, 43 at 25 or more (40 at 25, 3 at 1,000): nothing small.
    expect(r.bins.map((b) => b.customers)).toEqual([0, 12, 0, 10, 0, 43]);
    expect(r).toMatchObject({
      customers: 65,
      totalClv: 12 * 5 + 10 * 15 + 40 * 25 + 3000,
      suppressed: false,
    });
    expect(r.meanClv).toBeCloseTo((60 + 150 + 1000 + 3000) / 65, 9);
    expect(r.horizon).toEqual({ months: 12, discount: 0.01, margin: 1 });
    // With k 11 the 10 at 15 are a small bin; one more must go with it (the smallest other: the 12 at 5).
    const k11 = await runOperation(store, clvDistributionOperation, { bins: 5, minGroup: 11 });
    if (!k11.stored) throw new Error("nothing stored");
    expect(k11.bins.map((b) => b.customers)).toEqual([0, null, 0, null, 0, 43]);
    expect(k11.bins.map((b) => b.suppressed)).toEqual([false, true, false, true, false, false]);
    expect(k11.customers).toBe(65);
  });

  it("clv.cohorts gives mean P(alive) by first-purchase quarter, the small cohort hidden with a complement", async () => {
    const r = await runOperation(store, clvCohortsOperation, {});
    if (!r.stored) throw new Error("nothing stored");
    expect(r.period).toBe("quarter");
    // Q4's three people are too few; the smallest other cohort (Q2's 10) goes with them.
    expect(r.cohorts.map((c) => [c.cohort, c.start, c.customers, c.suppressed])).toEqual([
      ["2024-Q1", "2024-01-01", 22, false],
      ["2024-Q2", "2024-04-01", null, true],
      ["2024-Q3", "2024-07-01", 30, false],
      ["2024-Q4", "2024-10-01", null, true],
    ]);
    const q1 = r.cohorts[0];
    expect(q1?.meanPAlive).toBeCloseTo((12 * 0.8 + 10 * 0.6) / 22, 9);
    expect(q1?.meanClv).toBeCloseTo((12 * 5 + 10 * 15) / 22, 9);
    expect(q1?.meanExpectedPurchases).toBeCloseTo((12 * 1.6 + 10 * 1.2) / 22, 9);
    expect(r.cohorts[1]).toMatchObject({ meanPAlive: null, meanClv: null, meanExpectedPurchases: null });
    expect(r.customers).toBe(65);
    expect(r.meanPAlive).toBeCloseTo((12 * 0.8 + 10 * 0.6 + 10 * 0.5 + 30 * 0.3 + 3 * 0.1) / 65, 9);
    const years = await runOperation(store, clvCohortsOperation, { period: "year" });
    if (!years.stored) throw new Error("nothing stored");
    expect(years.cohorts.map((c) => [c.cohort, c.customers])).toEqual([["2024", 65]]);
    const months = await runOperation(store, clvCohortsOperation, { period: "month" });
    if (!months.stored) throw new Error("nothing stored");
    expect(months.cohorts.map((c) => c.cohort)).toEqual([
      "2024-01",
      "2024-02",
      "2024-05",
      "2024-08",
      "2024-11",
    ]);
  });

  it("rfm.show reports the stored scores as rfm reported them when it stored them, without scoring again", async () => {
    const scored = await runOperation(store, rfmOperation, { asOf: "2025-01-01" });
    const { asOf: _asOf, asOfChoice: _choice, notes: _notes, ...report } = scored;
    const shown = await runOperation(store, rfmShowOperation, {});
    if (!shown.stored) throw new Error("nothing stored");
    const { scoredAt, stored, ...rest } = shown;
    expect(rest).toEqual(report);
    expect(Number.isNaN(Date.parse(scoredAt))).toBe(false);
    // A raised k above the 65 scored: the same scores' report, all of it suppressed.
    const strict = await runOperation(store, rfmShowOperation, { minGroup: 70 });
    expect(strict).toMatchObject({ stored: true, minGroup: 70, customers: null, suppressed: true });
    // Nothing was written: the stored scores' time is unchanged.
    const again = await runOperation(store, rfmShowOperation, {});
    expect(again.stored && again.scoredAt).toBe(scoredAt);
  });
});
