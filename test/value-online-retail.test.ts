/**
 * RFM and revenue concentration on the UCI Online Retail lines, imported with the CLI, checked against an
 * independent computation written here in plain SQL over the raw file (and the README's textbook example).
 * The reference is DuckDB's own SQL over the file, computed once; Tessera's side runs on every test engine.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rfmSegment } from "../src/analytics/rfm-segments.js";
import { openSession } from "../src/store/open-store.js";
import type { Session } from "../src/store/store.js";
import { TEST_ENGINES } from "./engines.js";
import { count, ONLINE_RETAIL, ONLINE_RETAIL_MAP, tesseraJson } from "./helpers.js";

const RETAIL = ONLINE_RETAIL;
// Description is left out on purpose: the value figures need none of it.
const MAP = ONLINE_RETAIL_MAP.filter((m) => !m.startsWith("description=")).flatMap((m) => ["--map", m]);
const tessera = tesseraJson;

/** Independent RFM inputs from the raw file: invoices with a positive quantity, snapshot 2011-12-10. */
const RAW_RFM = `
  CREATE OR REPLACE TEMP TABLE raw_rfm AS
  SELECT CAST(CAST(CustomerID AS DOUBLE) AS BIGINT)::VARCHAR AS customer_id,
         date_diff('second', max(InvoiceDate), TIMESTAMP '2011-12-10') // 86400 AS recency,
         count(DISTINCT InvoiceNo) AS frequency,
         sum(Quantity * UnitPrice) AS monetary
    FROM read_csv('${RETAIL}')
   WHERE Quantity > 0 AND CustomerID IS NOT NULL
   GROUP BY 1`;

interface RawRfm {
  readonly recency: number;
  readonly frequency: number;
  readonly monetary: number;
  /** Scores from an independent count of strictly worse customers. */
  readonly scores: readonly [number, number, number];
}

/** What plain DuckDB SQL over the raw file gives: per customer, and the top-20% share and Gini. */
const reference = {
  customers: new Map<string, RawRfm>(),
  topShare: Number.NaN,
  gini: Number.NaN,
};

// The reference implementation: DuckDB SQL over the raw file, in a database of its own (in memory), closed
// before any engine under test opens (chdb holds one database per process).
beforeAll(async () => {
  const duckdb = await openSession(":memory:");
  try {
    await duckdb.run(RAW_RFM);
    // score = 1 + ⌊5 · #(strictly worse) / n⌋, counted by a self-join rather than a window function.
    const r = await duckdb.query(
      `WITH n AS (SELECT count(*) AS n FROM raw_rfm)
       SELECT a.customer_id, any_value(a.recency) AS recency, any_value(a.frequency) AS frequency, a.monetary,
              1 + floor(5 * count(*) FILTER (WHERE b.recency > a.recency) / (SELECT n FROM n)) AS r,
              1 + floor(5 * count(*) FILTER (WHERE b.frequency < a.frequency) / (SELECT n FROM n)) AS f,
              1 + floor(5 * count(*) FILTER (WHERE b.monetary < a.monetary - 1e-9) / (SELECT n FROM n)) AS m
         FROM raw_rfm a CROSS JOIN raw_rfm b GROUP BY a.customer_id, a.monetary`,
    );
    for (const x of r.rows<Record<string, number | string>>())
      reference.customers.set(String(x.customer_id), {
        recency: Number(x.recency),
        frequency: Number(x.frequency),
        monetary: Number(x.monetary),
        scores: [Number(x.r), Number(x.f), Number(x.m)],
      });
    reference.topShare = await count(
      duckdb,
      `SELECT sum(monetary) / (SELECT sum(monetary) FROM raw_rfm) FROM (
         SELECT monetary FROM raw_rfm ORDER BY monetary DESC LIMIT (SELECT CAST(ceil(0.2 * count(*)) AS BIGINT) FROM raw_rfm))`,
    );
    // Gini as the mean absolute difference over all pairs: Σᵢ Σⱼ |xᵢ − xⱼ| / (2 n² μ).
    reference.gini = await count(
      duckdb,
      `SELECT sum(abs(a.monetary - b.monetary)) / (2 * count(*) * avg(a.monetary)) FROM raw_rfm a CROSS JOIN raw_rfm b`,
    );
  } finally {
    duckdb.close();
  }
}, 120_000);

interface TesseraRfm {
  readonly customer_id: string;
  readonly recency_days: number;
  readonly frequency: number;
  readonly monetary: number;
  readonly r_score: number;
  readonly f_score: number;
  readonly m_score: number;
}

describe.each(TEST_ENGINES)("Online Retail: RFM and Pareto against plain SQL on $name", ({ location }) => {
  let engine: Session;
  let report: Record<string, unknown>;
  let pareto: Record<string, unknown>;
  let mine: TesseraRfm[];
  beforeAll(async () => {
    const db = location();
    await tessera(db, "import", "order-lines", RETAIL, ...MAP);
    report = await tessera(db, "rfm", "--as-of", "2011-12-10");
    pareto = await tessera(db, "pareto", "--as-of", "2011-12-10");
    engine = await openSession(db);
    mine = (
      await engine.query(
        "SELECT customer_id, recency_days, frequency, monetary, r_score, f_score, m_score FROM customer_rfm",
      )
    ).rows<TesseraRfm>();
  }, 120_000);
  afterAll(() => engine?.close());

  it("gives the textbook figures for customers 12346 and 12347", async () => {
    const r = await engine.query(
      "SELECT customer_id, recency_days, frequency, monetary FROM customer_rfm WHERE customer_id IN ('12346', '12347') ORDER BY 1",
    );
    const rows = r.rows<{ customer_id: string; recency_days: number; frequency: number; monetary: number }>();
    expect(rows.map((x) => [x.customer_id, x.recency_days, x.frequency])).toEqual([
      ["12346", 325, 1],
      ["12347", 2, 7],
    ]);
    expect(rows[0]?.monetary).toBeCloseTo(77_183.6, 6);
    expect(rows[1]?.monetary).toBeCloseTo(4_310.0, 6);
  });

  it("agrees with the raw file on every customer's recency, frequency and monetary value", () => {
    expect(report.customers).toBe(4_339);
    expect(report.revenue as number).toBeCloseTo(8_911_407.904, 2);
    expect(reference.customers.size).toBe(4_339);
    const seen = new Set(mine.map((t) => t.customer_id));
    const mismatches =
      mine.filter((t) => {
        const r = reference.customers.get(t.customer_id);
        return (
          r === undefined ||
          Number(t.recency_days) !== r.recency ||
          Number(t.frequency) !== r.frequency ||
          !(Math.abs(Number(t.monetary) - r.monetary) <= 1e-6)
        );
      }).length + [...reference.customers.keys()].filter((id) => !seen.has(id)).length;
    expect(mismatches).toBe(0);
  });

  it("scores and names segments as an independent count of strictly worse customers does", () => {
    const expected = new Map<string, { customers: number; revenue: number }>();
    const scores = new Map(
      mine.map((x) => [x.customer_id, [Number(x.r_score), Number(x.f_score), Number(x.m_score)]]),
    );
    let differ = 0;
    for (const [id, x] of reference.customers) {
      if (JSON.stringify(scores.get(id)) !== JSON.stringify(x.scores)) differ++;
      const name = rfmSegment(...x.scores);
      const e = expected.get(name) ?? { customers: 0, revenue: 0 };
      expected.set(name, { customers: e.customers + 1, revenue: e.revenue + x.monetary });
    }
    expect(differ).toBe(0);
    const segments = report.segments as { name: string; customers: number; revenue: number }[];
    for (const s of segments) {
      const e = expected.get(s.name) ?? { customers: 0, revenue: 0 };
      expect(s.customers, s.name).toBe(e.customers);
      expect(s.revenue, s.name).toBeCloseTo(e.revenue, 4);
    }
  });

  it("gives the top-20% revenue share and the Gini of the plain-SQL computation", () => {
    expect(pareto.topShare as number).toBeCloseTo(reference.topShare, 10);
    expect(pareto.gini as number).toBeCloseTo(reference.gini, 10);
    expect(pareto).toMatchObject({ customers: 4_339, topCustomers: 868 });
  });
});
