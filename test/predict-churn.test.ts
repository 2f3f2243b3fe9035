/**
 * Churn risk on real data (../shared/data): Online Retail and the CDNOW sample, imported as the README does.
 * `churn evaluate` fits on the 90 days before the as-of and is measured on the 90 days after it; the test checks
 * its AUCs against an independent computation (labels and recency in plain SQL over the orders, AUC by the
 * Mann–Whitney U written here) and that the combined model is at least as good as recency alone.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluateChurn } from "../src/predict/churn.js";
import { openSession } from "../src/store/open-store.js";
import { sql } from "../src/store/sql.js";
import type { Session } from "../src/store/store.js";
import { TEST_ENGINES } from "./engines.js";
import {
  dbSnapshot,
  emptyDb,
  ONLINE_RETAIL,
  ONLINE_RETAIL_MAP,
  runCli,
  SHARED_DATA,
  tempDir,
  tesseraJson,
} from "./helpers.js";

/** Mann–Whitney U / (n₊ n₋) with mid-ranks for ties, written independently of src/predict/evaluation.ts. */
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
  const neg = labels.length - pos;
  return (sum - (pos * (pos + 1)) / 2) / (pos * neg);
}

interface Case {
  readonly name: string;
  readonly asOf: string;
  readonly load: (db: string) => Promise<unknown>;
}

const CASES: Case[] = [
  {
    name: "Online Retail",
    asOf: "2011-09-10",
    load: (db) =>
      tesseraJson(
        db,
        "import",
        "order-lines",
        ONLINE_RETAIL,
        ...ONLINE_RETAIL_MAP.flatMap((m) => ["--map", m]),
      ),
  },
  {
    name: "CDNOW sample",
    asOf: "1997-12-31",
    load: (db) =>
      tesseraJson(
        db,
        "import",
        "orders",
        join(SHARED_DATA, "cdnow", "CDNOW_sample.txt"),
        ...["customer_id=column1", "timestamp=column2:%Y%m%d", "total=column4"].flatMap((m) => ["--map", m]),
      ),
  },
];

describe.each(CASES)("churn evaluate on $name (DuckDB)", ({ asOf, load }) => {
  let db: string;
  let engine: Session;
  // biome-ignore lint/suspicious/noExplicitAny: the command's JSON document, read field by field
  let report: Record<string, any>;
  let scores: { ids: readonly string[]; risk: Float64Array; label: Uint8Array };
  beforeAll(async () => {
    db = join(tempDir("tessera-churn-"), "real.duckdb");
    await load(db);
    report = await tesseraJson(db, "churn", "evaluate", "--as-of", asOf, "--horizon", "90d");
    engine = await openSession(db);
    await evaluateChurn(engine, {
      asOf: new Date(`${asOf}T00:00:00Z`),
      horizonDays: 90,
      minGroup: 10,
      onScores: (ids, risk, label) => {
        scores = { ids, risk, label };
      },
    });
  }, 120_000);
  afterAll(() => engine?.close());

  /** Independently: per customer with a purchase before the as-of, days since the last one and "no purchase next 90 days". */
  async function reference(): Promise<Map<string, { recency: number; churned: number }>> {
    const t = sql.param(`${asOf} 00:00:00`, "timestamp");
    const r = await engine.query(
      sql`SELECT customer_id,
                 max(CASE WHEN ts < ${t} THEN floor(epoch(ts) / 86400) END) AS last_day,
                 sum(CASE WHEN ts >= ${t} AND ts < ${t} + INTERVAL 90 DAY THEN 1 ELSE 0 END) AS after
            FROM orders
           WHERE customer_id IS NOT NULL AND (total > 0 OR (total = 0 AND coalesce(returned, 0) = 0))
           GROUP BY customer_id
          HAVING min(ts) < ${t}`,
    );
    const end = Date.parse(`${asOf}T00:00:00Z`) / 86_400_000 - 1;
    const out = new Map<string, { recency: number; churned: number }>();
    for (const x of r.rows<{ customer_id: string; last_day: number; after: number }>())
      out.set(x.customer_id, { recency: end - Number(x.last_day), churned: Number(x.after) === 0 ? 1 : 0 });
    return out;
  }

  it("labels the same customers as the plain-SQL reference, and its AUCs match the Mann–Whitney U", async () => {
    const ref = await reference();
    expect(scores.ids.length).toBe(ref.size);
    expect(report.test.customers).toBe(ref.size);
    const risk: number[] = [];
    const labels: number[] = [];
    const recency: number[] = [];
    scores.ids.forEach((id, i) => {
      const r = ref.get(id);
      expect(r, id).toBeDefined();
      expect(scores.label[i], id).toBe(r?.churned);
      risk.push(scores.risk[i] as number);
      labels.push(r?.churned as number);
      recency.push(r?.recency as number);
    });
    expect(report.model.auc).toBeCloseTo(mannWhitney(risk, labels), 10);
    expect(report.baselines.recency.auc).toBeCloseTo(mannWhitney(recency, labels), 10);
  });

  it("the combined model ranks at least as well as recency alone; P(alive) alone is reported beside them", () => {
    expect(report.model.auc).toBeGreaterThan(0.7);
    expect(report.model.auc).toBeGreaterThanOrEqual(report.baselines.recency.auc);
    expect(report.baselines.pAlive.auc).toBeGreaterThan(0);
    // Calibrated: every decile's mean prediction within 12 points of what happened.
    for (const b of report.calibration) expect(Math.abs(b.meanPredicted - b.observedRate)).toBeLessThan(0.12);
  });
});

describe.each(TEST_ENGINES)(
  "churn on a small store ($name): scores, the computed value, bad input",
  ({ location }) => {
    it("stores churn_risk usable in a segment, and refuses a horizon the data cannot cover", async () => {
      const db = location();
      const dir = tempDir();
      // 60 customers over a year: those with an even number buy every month, the others once at the start.
      const rows = ["order_id,customer_id,timestamp,total"];
      for (let c = 0; c < 60; c++) {
        const months = c % 2 === 0 ? 12 : 1;
        for (let m = 0; m < months; m++)
          rows.push(
            `o${c}-${m},c${c},2024-${String(m + 1).padStart(2, "0")}-${String(1 + (c % 27)).padStart(2, "0")},${10 + c}`,
          );
      }
      const file = join(dir, "orders.csv");
      writeFileSync(file, `${rows.join("\n")}\n`);
      await tesseraJson(db, "import", "orders", file);
      const r = await tesseraJson(db, "churn", "--as-of", "2025-01-01", "--horizon", "60d");
      expect(r.customers).toBe(60);
      const before = await dbSnapshot(db);
      for (const [args, code] of [
        [["churn", "--as-of", "2025-01-01", "--horizon", "400d"], "--horizon"],
        [["churn", "--horizon", "soon"], "--horizon"],
        [["churn", "evaluate", "--as-of", "2024-12-01", "--horizon", "90d"], "--horizon"],
        [["churn", "evaluate"], "--as-of"],
      ] as const) {
        const out = await runCli(...args, "--db", db);
        expect(out.code, out.stderr).toBe(1);
        expect(out.stderr).toContain(code);
      }
      expect(await dbSnapshot(db)).toBe(before);
      // The value is a computed value a segment can use: regular buyers are low risk, one-time buyers high.
      const def = join(dir, "risky.json");
      writeFileSync(
        def,
        JSON.stringify({ id: "risky", name: "Risky", where: { computed: "churn_risk", gt: 0.5 } }),
      );
      const seg = await tesseraJson(db, "segment", "preview", def, "--as-of", "2025-01-01");
      expect(seg.size).toBe(30);
    }, 60_000);

    it("refuses a store with no purchases", async () => {
      const db = location();
      await emptyDb(db);
      const out = await runCli("churn", "--db", db);
      expect(out.code).toBe(1);
      expect(out.stderr).toMatch(/no customer has a purchase/);
    });
  },
);
