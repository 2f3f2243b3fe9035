import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ExperimentAnalysis } from "../src/experiments/analysis.js";
import { assignVariant } from "../src/experiments/assignment-draw.js";
import { parseMetrics } from "../src/experiments/metric-spec.js";
import { metricSums } from "../src/experiments/metrics.js";
import { analyzeSummaries } from "../src/experiments/stats/analyze.js";
import type { ArmSummary } from "../src/experiments/stats/types.js";
import { seededRandomSource } from "../src/privacy/random.js";
import type { Engine } from "../src/store/engine.js";
import { openSession } from "../src/store/open-store.js";
import { sql } from "../src/store/sql.js";
import { runCli, tempDir } from "./helpers.js";

/**
 * End to end (issue 20, "Done when"): a shop generated here (seeded) in which one variant's people buy 30% more
 * often after exposure; the analysis, from the raw orders, finds that variant the winner and the variant with no
 * effect inconclusive. Then an A/A test: the same data re-split by 200 seeds, whose share of significant results
 * at α = 0.05 lies within a binomial tolerance of 5%.
 */

const N = 3000;
const DAY = 86_400;
/** Everyone exposed on 2024-01-01 (seconds since 1970); orders from Dec 1 to Jan 28; analysed as of Feb 1. */
const EXPOSED = Date.UTC(2024, 0, 1) / 1000;
const AS_OF = "2024-02-01T00:00:00Z";
const VARIANTS = [
  { name: "control", weight: 0.4 },
  { name: "offer", weight: 0.3 },
  { name: "same", weight: 0.3 },
];
const LIFT = 1.3;

/** Seeded uniforms in [0, 1). */
function uniforms(seed: number): () => number {
  const src = seededRandomSource(seed);
  return () => src.nextUint32() / 2 ** 32;
}

/**
 * Customers c0… with a propensity u: on each of 8 chances before exposure (Dec) and 8 after (Jan) an order with
 * probability 0.04 + 0.25·u² (after exposure × LIFT for the variant `offer`), of 20 + 60·u + noise. The propensity
 * makes the month before predict the month after: what CUPED uses.
 */
async function loadShop(engine: Engine): Promise<void> {
  const rand = uniforms(20);
  const ids: string[] = [];
  const customer: string[] = [];
  const ts: number[] = [];
  const total: number[] = [];
  const variant: string[] = [];
  for (let i = 0; i < N; i++) {
    const id = `c${i}`;
    ids.push(id);
    const v = assignVariant("planted", id, VARIANTS, 0);
    variant.push(v);
    const u = rand();
    const p = 0.04 + 0.25 * u * u;
    for (let k = 0; k < 16; k++) {
      const after = k >= 8;
      const chance = after && v === "offer" ? p * LIFT : p;
      const r = rand();
      const when = rand();
      if (r >= chance) continue;
      customer.push(id);
      ts.push(after ? EXPOSED + 60 + when * 27 * DAY : EXPOSED - 30 * DAY + when * 30 * DAY - 60);
      total.push(Math.round((20 + 60 * u + 20 * rand()) * 100) / 100);
    }
  }
  const d = engine.dialect;
  await engine.appendTemp("_shop_orders", [
    { name: "customer_id", type: "string", values: customer },
    { name: "epoch", type: "number", values: Float64Array.from(ts) },
    { name: "total", type: "number", values: Float64Array.from(total) },
    { name: "n", type: "integer", values: Float64Array.from(customer.map((_, i) => i)) },
  ]);
  await engine.run(
    sql`INSERT INTO orders (order_id, customer_id, ts, total, returned, currency)
        SELECT concat('o', ${d.toText(sql`n`)}), customer_id, ${d.timestampFromEpochSeconds(d.cast(sql`round(epoch)`, "integer"))}, total, 0, 'EUR'
          FROM ${sql.temp("_shop_orders")}`,
  );
  await engine.appendTemp("_shop_people", [
    { name: "customer_id", type: "string", values: ids },
    { name: "variant", type: "string", values: variant },
  ]);
  await engine.run(
    sql`INSERT INTO customers (customer_id) SELECT customer_id FROM ${sql.temp("_shop_people")}`,
  );
  await engine.run(
    sql`INSERT INTO experiment_assignments (experiment_id, customer_id, variant, assigned_at, source)
        SELECT 'planted', customer_id, variant, ${sql.param("2024-01-01 00:00:00", "timestamp")}, 'hash'
          FROM ${sql.temp("_shop_people")}`,
  );
}

describe("an experiment with a planted effect", () => {
  it("finds the variant that lifts buying, and no effect where there is none", async () => {
    const db = join(tempDir(), "shop.duckdb");
    const create = await runCli(
      ...["experiment", "create", "planted", "--exposures", "--variants", "control:40,offer:30,same:30"],
      ...["--metric", "conversion:28d+cuped", "--metric", "revenue+cuped", "--metric", "orders"],
      ...["--cost", "offer:1", "--cost", "same:1", "--start", "2023-12-31", "--db", db],
    );
    expect(create.code, create.stderr).toBe(0);
    // The data and the assignments (as `assign` would have written them on Jan 1).
    const engine = await openSession(db);
    await loadShop(engine);
    await engine.close();
    const r = await runCli("experiment", "analyze", "planted", "--as-of", AS_OF, "--db", db, "--json");
    expect(r.code, r.stderr).toBe(0);
    const a = JSON.parse(r.stdout) as ExperimentAnalysis;
    expect(a.assigned.map((x) => x.variant)).toEqual(["control", "offer", "same"]);
    expect(a.srm?.mismatch).toBe(false);
    expect(a.adjustment).toBe("holm");
    const verdicts = a.metrics.map((m) => [m.metric, ...m.comparisons.map((c) => c.verdict)]);
    // Revenue and orders are lifted by the higher buying rate (so is conversion, less surely: a 0/1 per person).
    expect(verdicts).toContainEqual(["revenue+cuped", "winner", "inconclusive"]);
    expect(verdicts).toContainEqual(["orders", "winner", "inconclusive"]);
    const revenue = a.metrics.find((m) => m.metric === "revenue+cuped");
    const offer = revenue?.comparisons.find((c) => c.variant === "offer");
    if (!offer?.computable) throw new Error("offer not computable");
    // The planted lift of buying (30%) is the lift of revenue per person; the interval holds it.
    expect(offer.ci[0] as number).toBeLessThan(0.3);
    expect(offer.ci[1] as number).toBeGreaterThan(0.3);
    expect(offer.says).toMatch(/^offer wins: \+\d+\.\d% on revenue\+cuped \(95% CI/);
    expect(revenue?.cuped_theta).toBeGreaterThan(0);
    // CUPED narrows the interval: the same metric without it is wider.
    const plain = await runCli(
      ...["experiment", "analyze", "planted", "--as-of", AS_OF, "--db", db, "--json", "--metric", "revenue"],
    );
    const p = (JSON.parse(plain.stdout) as ExperimentAnalysis).metrics[0]?.comparisons[0];
    if (!p?.computable) throw new Error("not computable");
    expect((offer.ci[1] as number) - (offer.ci[0] as number)).toBeLessThan(
      (p.ci[1] as number) - (p.ci[0] as number),
    );
    // Economics: cost per person × people; ROI from the revenue metric.
    const econ = a.economics.find((e) => e.variant === "offer");
    const people = a.assigned.find((x) => x.variant === "offer")?.people as number;
    expect(econ?.cost).toBe(people);
    expect(econ?.roi).toBeCloseTo(((econ?.revenue as number) - people) / people, 10);
    // The table people read.
    const text = await runCli("experiment", "analyze", "planted", "--as-of", AS_OF, "--db", db);
    expect(text.stdout).toContain("revenue+cuped (CUPED θ =");
    expect(text.stdout).toMatch(
      /offer\s+[\d,]+\s+[\d.]+\s+\+\d+\.\d%\s+\+\d+\.\d% to \+\d+\.\d%\s+[\d.<]+\s+winner/,
    );
  });

  it("finds a 5% false-positive rate in A/A tests over 200 seeds", async () => {
    const engine = await openSession(join(tempDir(), "aa.duckdb"));
    try {
      await loadShop(engine);
      const d = engine.dialect;
      const SEEDS = 200;
      await engine.appendTemp("_seeds", [
        { name: "seed", type: "string", values: Array.from({ length: SEEDS }, (_, i) => `aa${i}`) },
      ]);
      // Each seed splits everyone 50/50 by the assignment hash (SHA-256 of seed and id).
      const draw = sql`(${d.leadingHexNumber(d.sha256Hex(sql`(s.seed || ${"\u0000"} || c.customer_id)`), 13)} / ${sql.raw(`${2 ** 52}.0`)})`;
      await engine.run(
        sql`INSERT INTO experiment_assignments (experiment_id, customer_id, variant, assigned_at, source)
            SELECT s.seed, c.customer_id, CASE WHEN ${draw} < 0.5 THEN 'a' ELSE 'b' END,
                   ${sql.param("2024-01-01 00:00:00", "timestamp")}, 'hash'
              FROM customers c CROSS JOIN ${sql.temp("_seeds")} s`,
      );
      const metrics = parseMetrics(["conversion:28d", "revenue+cuped"], "metrics");
      const significant = [0, 0];
      for (let s = 0; s < SEEDS; s++) {
        const sums = await metricSums(engine, { experimentId: `aa${s}`, metrics, asOf: new Date(AS_OF) });
        metrics.forEach((m, i) => {
          const arms: ArmSummary[] = ["a", "b"].map((v) => {
            const x = sums.arms.find((y) => y.variant === v)?.metrics[i];
            if (!x) throw new Error(`arm ${v} missing`);
            return { name: v, ...x };
          });
          const r = analyzeSummaries({
            metric: m.statistic,
            arms,
            effect: "relative",
            engine: "frequentist",
            alternative: "two-sided",
            sequential: false,
            alpha: 0.05,
          });
          const c = r.comparisons[0];
          if (c?.computable && (c.p as number) < 0.05) significant[i] = (significant[i] as number) + 1;
        });
      }
      // Binomial(200, 0.05): outside [lo, hi] with probability below 0.002 on each side.
      const [lo, hi] = binomialBounds(SEEDS, 0.05, 0.001);
      for (const k of significant) {
        expect(k).toBeGreaterThanOrEqual(lo);
        expect(k).toBeLessThanOrEqual(hi);
      }
    } finally {
      await engine.close();
    }
  }, 60_000);
});

/** The smallest lo and largest hi with P(X < lo) ≤ tail and P(X > hi) ≤ tail, X ~ Binomial(n, p) (exact sums). */
function binomialBounds(n: number, p: number, tail: number): [number, number] {
  const pmf: number[] = [];
  let logC = 0;
  for (let k = 0; k <= n; k++) {
    if (k > 0) logC += Math.log(n - k + 1) - Math.log(k);
    pmf.push(Math.exp(logC + k * Math.log(p) + (n - k) * Math.log(1 - p)));
  }
  let lo = 0;
  let below = 0;
  while (below + (pmf[lo] as number) <= tail) below += pmf[lo++] as number;
  let hi = n;
  let above = 0;
  while (above + (pmf[hi] as number) <= tail) above += pmf[hi--] as number;
  return [lo, hi];
}
