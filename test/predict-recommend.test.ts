/**
 * The recommender on UCI Online Retail: `recommend evaluate` at T = 2011-11-09 with a 30-day horizon reaches at
 * least 2.5× the popularity baseline's precision@10, and the baseline's figures agree with a popularity
 * recommender written here in plain SQL over the imported lines. Also the CLI's fit, lists, fallbacks and errors.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { memoryIo } from "../src/cli/io.js";
import { main } from "../src/cli/main.js";
import { openSession } from "../src/store/open-store.js";
import { ONLINE_RETAIL, ONLINE_RETAIL_MAP, tempDir, tesseraJson } from "./helpers.js";

const MAP = ONLINE_RETAIL_MAP.flatMap((m) => ["--map", m]);
const T = "2011-11-09";

async function fails(db: string, ...args: string[]): Promise<string> {
  const io = memoryIo();
  const code = await main([...args, "--db", db], io);
  expect(code).toBe(1);
  return io.stderr();
}

/** Popularity@10 in plain SQL: the 10 items most customers bought before T, less the customer's own. */
async function plainPopularity(
  db: string,
): Promise<{ n: number; precision: number; recall: number; hit: number }> {
  const s = await openSession(db);
  try {
    const q = `
      WITH before AS (SELECT DISTINCT customer_id, sku FROM order_items
                       WHERE customer_id IS NOT NULL AND sku IS NOT NULL AND quantity > 0 AND ts < TIMESTAMP '${T}'),
           after AS (SELECT DISTINCT customer_id, sku FROM order_items
                      WHERE customer_id IS NOT NULL AND sku IS NOT NULL AND quantity > 0
                        AND ts >= TIMESTAMP '${T}' AND ts < TIMESTAMP '${T}' + INTERVAL 30 DAY),
           fresh AS (SELECT a.* FROM after a WHERE a.customer_id IN (SELECT customer_id FROM before)
                        AND NOT EXISTS (SELECT 1 FROM before b WHERE b.customer_id = a.customer_id AND b.sku = a.sku)),
           pop AS (SELECT sku, row_number() OVER (ORDER BY count(*) DESC, sku) AS r FROM before GROUP BY sku),
           people AS (SELECT DISTINCT customer_id FROM fresh),
           recs AS (SELECT customer_id, sku FROM (
                      SELECT p.customer_id, pop.sku, row_number() OVER (PARTITION BY p.customer_id ORDER BY pop.r) AS k
                        FROM people p CROSS JOIN pop
                       WHERE NOT EXISTS (SELECT 1 FROM before b WHERE b.customer_id = p.customer_id AND b.sku = pop.sku)
                         AND pop.r <= 400) WHERE k <= 10),
           per AS (SELECT p.customer_id,
                          (SELECT count(*) FROM recs r JOIN fresh f USING (customer_id, sku) WHERE r.customer_id = p.customer_id) AS hits,
                          (SELECT count(*) FROM fresh f WHERE f.customer_id = p.customer_id) AS relevant
                     FROM people p)
      SELECT count(*) AS n, avg(hits / 10) AS precision, avg(hits / relevant) AS recall, avg(CASE WHEN hits > 0 THEN 1 ELSE 0 END) AS hit FROM per`;
    const r = (await s.query(q)).rows<Record<string, number>>()[0] as Record<string, number>;
    return { n: Number(r.n), precision: Number(r.precision), recall: Number(r.recall), hit: Number(r.hit) };
  } finally {
    await s.close();
  }
}

describe("recommend on Online Retail (DuckDB)", () => {
  const db = `${tempDir()}/retail.duckdb`;
  beforeAll(async () => {
    await tesseraJson(db, "import", "order-lines", ONLINE_RETAIL, ...MAP);
  }, 60_000);

  it("evaluates at 2011-11-09 + 30d: ≥ 2.5× the popularity baseline's precision@10, the baseline as plain SQL gives it", async () => {
    const e = await tesseraJson(db, "recommend", "evaluate", "--as-of", T, "--horizon", "30d");
    expect(Object.keys(e).sort()).toEqual(
      ["baseline", "coverage", "customers_evaluated", "hit_rate", "precision_at_10", "recall_at_10"].sort(),
    );
    const base = e.baseline as Record<string, number>;
    expect(Object.keys(base).sort()).toEqual(["coverage", "hit_rate", "precision_at_10", "recall_at_10"]);
    expect((e.precision_at_10 as number) / (base.precision_at_10 as number)).toBeGreaterThanOrEqual(2.5);
    expect(e.recall_at_10 as number).toBeGreaterThan(base.recall_at_10 as number);
    expect(e.coverage as number).toBeGreaterThan(base.coverage as number);
    const plain = await plainPopularity(db);
    expect(e.customers_evaluated).toBe(plain.n);
    expect(base.precision_at_10).toBeCloseTo(plain.precision, 10);
    expect(base.recall_at_10).toBeCloseTo(plain.recall, 10);
    expect(base.hit_rate).toBeCloseTo(plain.hit, 10);
  }, 60_000);

  it("fits, lists a customer's unbought items, an item's lists, and falls back for a customer with no history", async () => {
    const f = await tesseraJson(db, "recommend", "fit", "--as-of", T);
    expect(f).toMatchObject({ model: "EASE^R", lambda: 500, modelItems: 2000, stored: 20 });
    const c = (await tesseraJson(db, "recommend", "--customer", "12347", "--top", "5")) as {
      customer: { fallback: null; items: { sku: string; score: number }[] };
    };
    expect(c.customer.fallback).toBeNull();
    expect(c.customer.items).toHaveLength(5);
    const s = await openSession(db);
    try {
      const bought = (
        await s.query(
          `SELECT DISTINCT sku FROM order_items WHERE customer_id = '12347' AND quantity > 0 AND ts < TIMESTAMP '${T}'`,
        )
      ).column("sku");
      for (const x of c.customer.items) expect(bought).not.toContain(x.sku);
      // A customer with no purchase before T: the base's favourites, said so.
      await s.run("INSERT INTO customers (customer_id) VALUES ('newcomer')");
    } finally {
      await s.close();
    }
    const n = (await tesseraJson(db, "recommend", "--customer", "newcomer")) as {
      customer: { fallback: string; note: string; items: unknown[] };
    };
    expect(n.customer.fallback).toBe("base-favourites");
    expect(n.customer.note).toMatch(/bought nothing/);
    expect(n.customer.items).toHaveLength(10);
    const item = (await tesseraJson(db, "recommend", "--item", "85123A")) as {
      item: {
        upsellBasis: string;
        boughtTogether: { co_buyers: number }[];
        upsell: { price: number }[];
        price: number;
      };
    };
    expect(item.item.upsellBasis).toBe("bought-together");
    expect(item.item.boughtTogether.length).toBeGreaterThan(0);
    for (const x of item.item.boughtTogether) expect(x.co_buyers).toBeGreaterThanOrEqual(10);
    for (const x of item.item.upsell) expect(x.price).toBeGreaterThan(item.item.price);
  }, 60_000);

  it("refuses bad input with the option named", async () => {
    expect(await fails(db, "recommend", "evaluate", "--as-of", "2011-12-01", "--horizon", "30d")).toMatch(
      /horizon/,
    );
    expect(await fails(db, "recommend", "evaluate", "--as-of", T, "--horizon", "soon")).toMatch(/--horizon/);
    expect(await fails(db, "recommend", "--customer", "nobody")).toMatch(/no customer "nobody"/);
    expect(await fails(db, "recommend", "--item", "NOPE")).toMatch(/no item "NOPE"/);
    expect(await fails(db, "recommend", "--top", "0")).toMatch(/--top/);
    expect(
      await fails(db, "recommend", "--segment", "nope", "--purpose", "marketing", "--channel", "email"),
    ).toMatch(/no segment "nope"/);
    expect(await fails(db, "recommend", "--segment", "nope", "--channel", "email")).toMatch(/--purpose/);
  });
});
