/**
 * Launch propensity by a time split: on the synthetic base (it has categories) and on Online Retail (no categories:
 * a description keyword), beside the baseline "bought the most in the past". Labels and AUC are checked against an
 * independent computation (plain SQL over the order lines, Mann–Whitney U written here).
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluatePropensity } from "../src/predict/propensity.js";
import { openSession } from "../src/store/open-store.js";
import { sql } from "../src/store/sql.js";
import type { Session } from "../src/store/store.js";
import {
  dbSnapshot,
  emptyDb,
  ONLINE_RETAIL,
  ONLINE_RETAIL_MAP,
  runCli,
  tempDir,
  tesseraJson,
} from "./helpers.js";

function mannWhitney(scores: number[], labels: number[]): number {
  const idx = scores.map((_, i) => i).sort((a, b) => (scores[a] as number) - (scores[b] as number));
  const rank = new Array<number>(scores.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1] as number] === scores[idx[i] as number]) j++;
    for (let t = i; t <= j; t++) rank[idx[t] as number] = (i + j) / 2 + 1;
    i = j + 1;
  }
  let pos = 0;
  let sum = 0;
  labels.forEach((y, i) => {
    if (y === 1) {
      pos++;
      sum += rank[i] as number;
    }
  });
  return (sum - (pos * (pos + 1)) / 2) / (pos * (labels.length - pos));
}

describe("propensity on the synthetic base (categories)", () => {
  let db: string;
  let engine: Session;
  // biome-ignore lint/suspicious/noExplicitAny: the command's JSON document, read field by field
  let report: Record<string, any>;
  let scores: { ids: readonly string[]; p: Float64Array; label: Uint8Array };
  const asOf = "2026-03-01";
  beforeAll(async () => {
    const dir = tempDir("tessera-propensity-");
    db = join(dir, "syn.duckdb");
    await tesseraJson(
      db,
      "generate",
      "--customers",
      "6000",
      "--seed",
      "7",
      "--out",
      join(dir, "syn"),
      "--into",
      db,
    );
    report = await tesseraJson(
      db,
      "propensity",
      "evaluate",
      "--category",
      "jewelry",
      "--as-of",
      asOf,
      "--horizon",
      "90d",
    );
    engine = await openSession(db);
    await evaluatePropensity(engine, {
      target: { category: "jewelry" },
      asOf: new Date(`${asOf}T00:00:00Z`),
      horizonDays: 90,
      minGroup: 10,
      onScores: (ids, p, label) => {
        scores = { ids, p, label };
      },
    });
  }, 180_000);
  afterAll(() => engine?.close());

  it("labels exactly the customers known before the as-of who bought jewelry first in the 90 days after it; AUC = Mann–Whitney", async () => {
    const t = sql.param(`${asOf} 00:00:00`, "timestamp");
    const r = await engine.query(
      sql`SELECT customer_id FROM order_items
           WHERE customer_id IS NOT NULL AND category = 'jewelry' AND quantity > 0
             AND ts >= ${t} AND ts < ${t} + INTERVAL 90 DAY
             AND customer_id NOT IN (SELECT customer_id FROM order_items WHERE category = 'jewelry' AND quantity > 0
                                        AND customer_id IS NOT NULL AND ts < ${t})
             AND customer_id IN (SELECT customer_id FROM orders WHERE total > 0 AND ts < ${t}
                                 UNION SELECT customer_id FROM events WHERE ts < ${t})
           GROUP BY customer_id`,
    );
    const buyers = new Set(r.column("customer_id") as string[]);
    const labels = scores.ids.map((id) => (buyers.has(id) ? 1 : 0));
    expect(labels.reduce((a: number, b) => a + b, 0)).toBe(buyers.size);
    expect(Array.from(scores.label)).toEqual(labels);
    expect(report.test.buyers).toBe(buyers.size);
    expect(report.test.model.auc).toBeCloseTo(mannWhitney(Array.from(scores.p), labels), 10);
  });

  it("ranks better than past spend, with a top-decile lift above 2 and a calibration curve per decile", () => {
    const t = report.test;
    expect(t.model.auc).toBeGreaterThan(t.baseline.auc);
    expect(t.model.liftTopDecile).toBeGreaterThan(2);
    expect(t.calibration).toHaveLength(10);
    // Calibrated on average: mean prediction within a factor of 2 of the observed rate over everyone.
    const mean = Array.from(scores.p).reduce((a, b) => a + b, 0) / scores.p.length;
    const rate = t.buyers / t.customers;
    expect(mean / rate).toBeGreaterThan(0.5);
    expect(mean / rate).toBeLessThan(2);
  });

  it("propensity fit stores propensity.jewelry for segments; bad input is refused with nothing changed", async () => {
    engine.close();
    const fit = await tesseraJson(db, "propensity", "fit", "--category", "Jewelry");
    expect(fit.computed).toBe("propensity.jewelry");
    expect(fit.scored).toBeGreaterThan(1000);
    const before = await dbSnapshot(db);
    for (const [args, where, text] of [
      [["--category", "jewelery"], "--category", 'did you mean "jewelry"'],
      [["--category", "jewelry", "--horizon", "900d"], "--horizon", "first purchase"],
      [["--category", "jewelry", "--price-band", "50-10"], "--price-band", "LOW-HIGH"],
      [["--keyword", "zzzz-no-such-item"], "--keyword", "no purchased order line"],
      [[], "--category", "--category C"],
    ] as const) {
      const out = await runCli("propensity", "fit", ...args, "--db", db);
      expect(out.code, out.stderr).toBe(1);
      expect(out.stderr).toContain(where);
      expect(out.stderr).toContain(text);
    }
    const late = await runCli(
      "propensity",
      "evaluate",
      "--category",
      "jewelry",
      "--as-of",
      "2026-06-01",
      "--db",
      db,
    );
    expect(late.code).toBe(1);
    expect(late.stderr).toContain("runs past the last purchase");
    expect(await dbSnapshot(db)).toBe(before);
    engine = await openSession(db);
  }, 60_000);
});

describe("propensity on Online Retail (no categories: a description keyword)", () => {
  let db: string;
  beforeAll(async () => {
    db = join(tempDir("tessera-propensity-or-"), "retail.duckdb");
    await tesseraJson(
      db,
      "import",
      "order-lines",
      ONLINE_RETAIL,
      ...ONLINE_RETAIL_MAP.flatMap((m) => ["--map", m]),
    );
  }, 120_000);

  it("--category is refused (no categories) and --keyword christmas is evaluated beside past spend", async () => {
    const out = await runCli("propensity", "fit", "--category", "toys", "--db", db);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain("--keyword");
    const r = (await tesseraJson(
      db,
      "propensity",
      "evaluate",
      "--keyword",
      "christmas",
      "--as-of",
      "2011-08-01",
    )) as { test: { model: { auc: number }; baseline: { auc: number }; customers: number } };
    expect(r.test.model.auc).toBeGreaterThan(0.6);
    expect(r.test.baseline.auc).toBeGreaterThan(0.5);
    expect(r.test.customers).toBeGreaterThan(1000);
  }, 60_000);

  it("no purchases: a clear error", async () => {
    const empty = await emptyDb(join(tempDir(), "empty.duckdb"));
    const out = await runCli("propensity", "fit", "--category", "x", "--db", empty);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/categories|no customer has a purchase/);
  });
});
