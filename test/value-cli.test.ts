/**
 * The customer-value commands as a user runs them: JSON shapes of the contract, and every bad input a clear
 * error (exit 1, the option named) — never a crash, never NaN.
 */
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { memoryIo } from "../src/cli/io.js";
import { main } from "../src/cli/main.js";
import { tempDir, writeFile } from "./helpers.js";

async function run(db: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = memoryIo();
  const code = await main([...args, "--db", db], io);
  return { code, out: io.stdout(), err: io.stderr() };
}

async function json(db: string, ...args: string[]): Promise<Record<string, unknown>> {
  const r = await run(db, ...args, "--json");
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out);
}

/**
 * 300 customers over 2024: 30 kinds, ten customers alike of each (c_i, c_i-1 … c_i-9; reports pass the k-gate,
 * which suppresses groups under 10), c_i buying on (i mod 4) + 1 distinct days, amounts varying. Ten copies keep
 * every quintile score (1 + ⌊5·(rank − 1)/n⌋ with ties ranked alike), so each RFM segment is ten times one of 30.
 */
function ordersCsv(): string {
  const lines = ["order_id,customer_id,timestamp,total"];
  for (let i = 0; i < 30; i++) {
    for (let copy = 0; copy < 10; copy++) {
      const id = copy === 0 ? `c${i}` : `c${i}-${copy}`;
      for (let k = 0; k <= i % 4; k++) {
        const month = String(1 + ((i + 3 * k) % 12)).padStart(2, "0");
        const day = String(1 + ((i * 7 + k) % 27)).padStart(2, "0");
        lines.push(
          `o${i}-${k}-${copy},${id},2024-${month}-${day}T10:00:00Z,${(10 + ((i * 13 + k * 29) % 90)).toFixed(2)}`,
        );
      }
    }
  }
  return `${lines.join("\n")}\n`;
}

describe("customer-value commands", () => {
  let db: string;
  beforeAll(async () => {
    const dir = tempDir();
    db = join(dir, "value.duckdb");
    await json(db, "import", "orders", writeFile(dir, "orders.csv", ordersCsv()));
  });

  it("clv fit --json prints bgnbd {r, alpha, a, b, logLikelihood}, gammaGamma {p, q, v} and customers", async () => {
    const fit = await json(db, "clv", "fit", "--calibration-end", "2024-12-20", "--unit", "week");
    expect(Object.keys(fit.bgnbd as object).sort()).toEqual(["a", "alpha", "b", "logLikelihood", "r"]);
    expect(Object.keys(fit.gammaGamma as object).sort()).toEqual(["p", "q", "v"]);
    expect(typeof fit.customers).toBe("number");
    for (const v of [...Object.values(fit.bgnbd as object), ...Object.values(fit.gammaGamma as object)])
      expect(Number.isFinite(v)).toBe(true);
  });

  it("rfm --json prints segments with name, customers and revenue; pareto --json prints topShare and gini", async () => {
    const rfm = await json(db, "rfm");
    const segments = rfm.segments as Record<string, unknown>[];
    expect(segments).toHaveLength(11);
    for (const s of segments)
      expect(s).toEqual(
        expect.objectContaining({
          name: expect.any(String),
          customers: expect.any(Number),
          revenue: expect.any(Number),
        }),
      );
    // Each segment is ten times one of the 30 kinds: 0 or 10 and more, none suppressed.
    for (const s of segments) expect((s.customers as number) % 10).toBe(0);
    expect(segments.reduce((n, s) => n + (s.customers as number), 0)).toBe(300);
    const pareto = await json(db, "pareto");
    expect(pareto.topShare).toEqual(expect.any(Number));
    expect(pareto.gini).toEqual(expect.any(Number));
  });

  it("clv predict stores values segments can use, and kpis --by rfm_segment reports average CLV", async () => {
    const p = await json(db, "clv", "predict", "--months", "6", "--customer", "c3");
    expect(p.customers).toBe(300);
    expect((p.customer as Record<string, unknown>).probabilityOfPurchases).toHaveLength(6);
    const k = await json(db, "kpis", "--by", "rfm_segment");
    expect(k.clvAvailable).toBe(true);
    const groups = k.groups as Record<string, unknown>[];
    expect(groups.reduce((n, g) => n + (g.customers as number), 0)).toBe(300);
    for (const g of groups) expect(g.averageClv).toEqual(expect.any(Number));
  });

  it("prints tables for people without --json", async () => {
    const r = await run(db, "rfm");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Champions/);
    expect(r.out).toMatch(/R × F grid/);
  });

  it.each([
    [["rfm", "--as-of", "yesterday"], /--as-of: not an ISO 8601 date/],
    [["rfm", "--frequency", "weekly"], /--frequency: expected one of orders, days/],
    [["rfm", "--r-thresholds", "30,x,90,180"], /--r-thresholds: expected numbers/],
    [["rfm", "--f-thresholds", "4,3,2,1"], /--f-thresholds: expected 4 ascending numbers/],
    [["rfm", "--as-of", "2023-01-01"], /--as-of: no customer has a purchase/],
    [["clv", "fit", "--unit", "month"], /--unit: unknown time unit "month"/],
    [["clv", "fit", "--calibration-end", "2024-02-30"], /--calibration-end: not an ISO 8601 date/],
    [
      ["clv", "fit", "--calibration-end", "2023-06-30"],
      /--calibration-end: 2023-06-30 is before the first purchase/,
    ],
    [
      ["clv", "fit", "--calibration-end", "2030-01-01"],
      /--calibration-end: 2030-01-01 is after the last purchase/,
    ],
    [
      ["clv", "validate", "--calibration-end", "2024-12-27"],
      /--calibration-end: no purchases after 2024-12-27/,
    ],
    [
      ["clv", "validate", "--calibration-end", "2024-06-30", "--holdout-end", "2024-05-01"],
      /--holdout-end: 2024-05-01 is not after/,
    ],
    [["clv", "predict", "--discount", "-1"], /--discount: expected a number from 0 to 1/],
    [["pareto", "--top", "1.5"], /--top: expected a number from 0 to 1/],
    [["pareto", "--by", "country"], /--by: cannot group by "country"/],
    [["kpis", "--by", "trait:country"], /--by: no trait "country"/],
    [["kpis", "--by", "segment"], /--by: no saved segment has members yet/],
    [["kpis", "--min-group", "4"], /--min-group: expected a whole number ≥ 5/],
    [
      ["kpis", "--min-group", "6"],
      /below this database's smallest group \(min_group 10\): --min-group may only raise it/,
    ],
  ])("%j is a user error naming the option", async (args, message) => {
    const r = await run(db, ...(args as string[]));
    expect(r.code, r.out).toBe(1);
    expect(r.err).toMatch(message as RegExp);
  });

  it("refuses degenerate data with a clear message: one day of purchases, one customer, nothing fitted", async () => {
    const dir = tempDir();
    const oneDay = join(dir, "one-day.duckdb");
    await json(
      oneDay,
      "import",
      "orders",
      writeFile(
        dir,
        "a.csv",
        "order_id,customer_id,timestamp,total\n1,a,2024-01-01,5\n2,b,2024-01-01,7\n3,a,2024-01-01,2\n",
      ),
    );
    let r = await run(oneDay, "clv", "fit");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no customer bought on more than one day/);
    r = await run(oneDay, "clv", "predict");
    expect(r.err).toMatch(/no fitted model: run `tessera clv fit` first/);
    const one = join(dir, "one.duckdb");
    await json(
      one,
      "import",
      "orders",
      writeFile(dir, "b.csv", "order_id,customer_id,timestamp,total\n1,a,2024-01-01,5\n2,a,2024-02-01,7\n"),
    );
    r = await run(one, "clv", "fit");
    expect(r.err).toMatch(/at least 2 customers/);
    const empty = join(dir, "empty.duckdb");
    r = await run(empty, "rfm");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no customer has a purchase yet/);
  });
});
