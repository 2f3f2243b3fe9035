/**
 * RFM and revenue concentration on the UCI Online Retail lines, imported with the CLI, checked against an
 * independent computation written here in plain SQL over the raw file (and the README's textbook example).
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rfmSegment } from "../src/analytics/rfm-segments.js";
import { openSession } from "../src/store/open-store.js";
import type { Session } from "../src/store/store.js";
import { count, ONLINE_RETAIL, ONLINE_RETAIL_MAP, tempDir, tesseraJson } from "./helpers.js";

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

describe("Online Retail: RFM and Pareto against plain SQL", () => {
  let db: string;
  let engine: Session;
  let report: Record<string, unknown>;
  let pareto: Record<string, unknown>;
  beforeAll(async () => {
    db = join(tempDir(), "retail.duckdb");
    await tessera(db, "import", "order-lines", RETAIL, ...MAP);
    report = await tessera(db, "rfm", "--as-of", "2011-12-10");
    pareto = await tessera(db, "pareto", "--as-of", "2011-12-10");
    engine = await openSession(db);
    await engine.run(RAW_RFM);
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

  it("agrees with the raw file on every customer's recency, frequency and monetary value", async () => {
    expect(report.customers).toBe(4_339);
    expect(report.revenue as number).toBeCloseTo(8_911_407.904, 2);
    const mismatches = await count(
      engine,
      `SELECT count(*) FROM raw_rfm r FULL JOIN customer_rfm t ON t.customer_id = r.customer_id
        WHERE t.recency_days IS DISTINCT FROM r.recency OR t.frequency IS DISTINCT FROM r.frequency
           OR abs(t.monetary - r.monetary) > 1e-6 OR t.customer_id IS NULL OR r.customer_id IS NULL`,
    );
    expect(mismatches).toBe(0);
  });

  it("scores and names segments as an independent count of strictly worse customers does", async () => {
    // score = 1 + ⌊5 · #(strictly worse) / n⌋, counted by a self-join rather than a window function.
    const r = await engine.query(
      `WITH n AS (SELECT count(*) AS n FROM raw_rfm)
       SELECT a.customer_id, a.monetary,
              1 + floor(5 * count(*) FILTER (WHERE b.recency > a.recency) / (SELECT n FROM n)) AS r,
              1 + floor(5 * count(*) FILTER (WHERE b.frequency < a.frequency) / (SELECT n FROM n)) AS f,
              1 + floor(5 * count(*) FILTER (WHERE b.monetary < a.monetary - 1e-9) / (SELECT n FROM n)) AS m
         FROM raw_rfm a CROSS JOIN raw_rfm b GROUP BY a.customer_id, a.monetary`,
    );
    const expected = new Map<string, { customers: number; revenue: number }>();
    const mine = new Map(
      (await engine.query("SELECT customer_id, r_score, f_score, m_score FROM customer_rfm"))
        .rows<{ customer_id: string; r_score: number; f_score: number; m_score: number }>()
        .map((x) => [x.customer_id, [x.r_score, x.f_score, x.m_score]]),
    );
    let differ = 0;
    for (const x of r.rows<{ customer_id: string; monetary: number; r: number; f: number; m: number }>()) {
      const scores = [Number(x.r), Number(x.f), Number(x.m)];
      if (JSON.stringify(mine.get(x.customer_id)) !== JSON.stringify(scores)) differ++;
      const name = rfmSegment(scores[0] as number, scores[1] as number, scores[2] as number);
      const e = expected.get(name) ?? { customers: 0, revenue: 0 };
      expected.set(name, { customers: e.customers + 1, revenue: e.revenue + Number(x.monetary) });
    }
    expect(differ).toBe(0);
    const segments = report.segments as { name: string; customers: number; revenue: number }[];
    for (const s of segments) {
      const e = expected.get(s.name) ?? { customers: 0, revenue: 0 };
      expect(s.customers, s.name).toBe(e.customers);
      expect(s.revenue, s.name).toBeCloseTo(e.revenue, 4);
    }
  });

  it("gives the top-20% revenue share and the Gini of the plain-SQL computation", async () => {
    const top = await count(
      engine,
      `SELECT sum(monetary) / (SELECT sum(monetary) FROM raw_rfm) FROM (
         SELECT monetary FROM raw_rfm ORDER BY monetary DESC LIMIT (SELECT CAST(ceil(0.2 * count(*)) AS BIGINT) FROM raw_rfm))`,
    );
    // Gini as the mean absolute difference over all pairs: Σᵢ Σⱼ |xᵢ − xⱼ| / (2 n² μ).
    const gini = await count(
      engine,
      `SELECT sum(abs(a.monetary - b.monetary)) / (2 * count(*) * avg(a.monetary)) FROM raw_rfm a CROSS JOIN raw_rfm b`,
    );
    expect(pareto.topShare as number).toBeCloseTo(top, 10);
    expect(pareto.gini as number).toBeCloseTo(gini, 10);
    expect(pareto).toMatchObject({ customers: 4_339, topCustomers: 868 });
  });
});
