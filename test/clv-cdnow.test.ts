/**
 * BG/NBD and Gamma-Gamma on the CDNOW sample imported with the importer, against the published figures
 * (../shared/data/cdnow/README.md lists them with their sources).
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { conditionalExpectedPurchases } from "../src/analytics/bgnbd-predict.js";
import { buildSummary, dayOf, SUMMARY } from "../src/analytics/summaries.js";
import { memoryIo } from "../src/cli/io.js";
import { main } from "../src/cli/main.js";
import { openSession } from "../src/store/open-store.js";
import { type Sql, sql } from "../src/store/sql.js";
import type { Session } from "../src/store/store.js";
import { TEST_ENGINES } from "./engines.js";
import { count, SHARED_DATA } from "./helpers.js";

const CDNOW = join(SHARED_DATA, "cdnow");
const SUMMARY_CSV = join(CDNOW, "cdnow_customers_summary.csv");
const ZBAR_CSV = join(CDNOW, "cdnow_customers_summary_with_transactions.csv");

async function tessera(db: string, ...args: string[]): Promise<Record<string, unknown>> {
  const io = memoryIo();
  const code = await main([...args, "--db", db, "--json"], io);
  expect(code, io.stderr()).toBe(0);
  return JSON.parse(io.stdout());
}

/** |actual − expected| ≤ 0.5% of expected. */
function within(actual: unknown, expected: number, share = 0.005): void {
  expect(Math.abs(Number(actual) - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(
    share * expected,
  );
}

describe.each(TEST_ENGINES)("CDNOW sample: BG/NBD and Gamma-Gamma as published on $name", ({ location }) => {
  let db: string;
  let engine: Session;
  let fit: Record<string, Record<string, number> | number>;
  beforeAll(async () => {
    db = location();
    await tessera(
      db,
      "import",
      "orders",
      join(CDNOW, "CDNOW_sample.txt"),
      ...["customer_id=column1", "timestamp=column2:%Y%m%d", "total=column4"].flatMap((m) => ["--map", m]),
    );
    fit = (await tessera(
      db,
      "clv",
      "fit",
      "--calibration-end",
      "1997-09-30",
      "--unit",
      "week",
    )) as typeof fit;
    engine = await openSession(db);
    await buildSummary(engine, dayOf(new Date("1997-09-30T00:00:00Z")));
  });
  afterAll(() => engine?.close());

  /** A reference CSV file of ../shared/data/cdnow, its columns as text. */
  const reference = (path: string): Sql =>
    engine.dialect.readFileAsText({ path, format: "csv", header: true, delimiter: "," });
  const number = (column: string): Sql => engine.dialect.tryNumber(sql.ident(column));
  /** The summary's customer ids are the file's integer ids as text. */
  const customerNumber = (): Sql => engine.dialect.tryInteger(sql`s.customer_id`);
  /** The reference files' ids: whole numbers, joined with `customerNumber()` (an integer with an integer). */
  const id = (): Sql => engine.dialect.tryInteger(sql.ident("ID"));

  it("reproduces cdnow_customers_summary.csv exactly: every customer's x, t_x and T; Σx = 2,457; 1,411 with x = 0", async () => {
    const mismatches = await count(
      engine,
      sql`SELECT count(*)
            FROM (SELECT ${id()} AS id, ${number("frequency")} AS frequency, ${number("recency")} AS recency,
                         ${number("T")} AS t
                    FROM ${reference(SUMMARY_CSV)} f) c
            FULL JOIN ${SUMMARY} s ON ${customerNumber()} = c.id
           WHERE s.customer_id IS NULL OR c.id IS NULL OR s.x <> c.frequency
              OR round(s.tx_days / 7, 2) <> c.recency OR round(s.t_days / 7, 2) <> c.t`,
    );
    expect(mismatches).toBe(0);
    expect(await count(engine, sql`SELECT count(*) FROM ${SUMMARY}`)).toBe(2_357);
    expect(await count(engine, sql`SELECT sum(x) FROM ${SUMMARY}`)).toBe(2_457);
    expect(await count(engine, sql`SELECT count(*) FROM ${SUMMARY} WHERE x = 0`)).toBe(1_411);
  });

  it("reproduces the mean repeat spend z̄ of all 946 repeat customers to the file's rounding", async () => {
    const worst = await count(
      engine,
      sql`SELECT max(abs(coalesce(s.zbar, 0) - c.zbar))
            FROM (SELECT ${id()} AS id, ${number("zbar")} AS zbar FROM ${reference(ZBAR_CSV)} f) c
            JOIN ${SUMMARY} s ON ${customerNumber()} = c.id`,
    );
    expect(worst).toBeLessThanOrEqual(0.005 + 1e-9);
    expect(await count(engine, sql`SELECT count(*) FROM ${SUMMARY} WHERE x > 0 AND zbar > 0`)).toBe(946);
  });

  it("`clv fit --calibration-end 1997-09-30 --unit week --json` gives the published parameters within 0.5%", () => {
    const bg = fit.bgnbd as Record<string, number>;
    const gg = fit.gammaGamma as Record<string, number>;
    within(bg.r, 0.2426);
    within(bg.alpha, 4.4135);
    within(bg.a, 0.7929);
    within(bg.b, 2.4258);
    within(gg.p, 6.25);
    within(gg.q, 3.74);
    within(gg.v, 15.44);
    // The independent scipy fit's maximum, to the third decimal.
    expect(bg.logLikelihood).toBeCloseTo(-9582.4256, 2);
    expect(fit.customers).toBe(2_357);
    expect(fit).toMatchObject({ repeatCustomers: 946, unit: "week", calibrationEnd: "1997-09-30" });
    // Gamma-Gamma's assumption check: lifetimes' Quickstart reports a correlation of 0.113884.
    expect(fit.frequencySpendCorrelation).toBeCloseTo(0.1139, 3);
  });

  it("with the fitted parameters, customer 1 (x = 2, t_x = 30.43, T = 38.86) expects 1.226 purchases in 39 weeks", () => {
    const bg = fit.bgnbd as Record<string, number>;
    const p = { r: bg.r as number, alpha: bg.alpha as number, a: bg.a as number, b: bg.b as number };
    expect(Math.abs(conditionalExpectedPurchases(p, 39, 2, 30.43, 38.86) - 1.226)).toBeLessThanOrEqual(0.001);
  });

  it("fits the same model in days (α scales by 7; r, a, b do not change)", async () => {
    const days = (await tessera(
      db,
      "clv",
      "fit",
      "--calibration-end",
      "1997-09-30",
      "--unit",
      "day",
    )) as typeof fit;
    const w = fit.bgnbd as Record<string, number>;
    const d = days.bgnbd as Record<string, number>;
    expect(d.r).toBeCloseTo(w.r as number, 4);
    expect(d.a).toBeCloseTo(w.a as number, 4);
    expect(d.b).toBeCloseTo(w.b as number, 3);
    expect((d.alpha as number) / 7).toBeCloseTo(w.alpha as number, 3);
  });

  it("validates on the holdout: 1,882 actual repeat purchases in weeks 40–78, predicted within 15%", async () => {
    const v = await tessera(db, "clv", "validate", "--calibration-end", "1997-09-30");
    const overall = v.overall as Record<string, number>;
    expect(v).toMatchObject({ holdoutEnd: "1998-06-30", holdoutLength: 39 });
    expect(overall.actual).toBe(1_882);
    expect(overall.customers).toBe(2_357);
    expect(Math.abs(overall.relativeError as number)).toBeLessThan(0.15);
    const groups = v.byFrequency as {
      frequency: string;
      customers: number;
      actual: number;
      predicted: number;
    }[];
    expect(groups.map((g) => g.frequency)).toEqual(["0", "1", "2", "3", "4", "5", "6", "7+"]);
    expect(groups.map((g) => g.customers)).toEqual([1411, 439, 214, 100, 62, 38, 29, 64]);
    // Mean predicted holdout purchases rise with calibration frequency, as the model says they must.
    const means = groups.map((g) => g.predicted / g.customers);
    for (let i = 1; i < means.length; i++) expect(means[i]).toBeGreaterThan(means[i - 1] as number);
  });
});
