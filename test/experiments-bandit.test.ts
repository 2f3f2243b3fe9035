import { join } from "node:path";
import beta from "@stdlib/random-base-beta";
import { describe, expect, it } from "vitest";
import { UserError } from "../src/errors.js";
import { analyzeExperiment } from "../src/experiments/analysis.js";
import { banditAllocations, banditMetric, banditReadout, updateBandit } from "../src/experiments/bandit.js";
import { banditAnalysis } from "../src/experiments/bandit-bias.js";
import { banditArmSums, pooledArms } from "../src/experiments/bandit-evidence.js";
import { experimentNamed } from "../src/experiments/experiments.js";
import { metricSums } from "../src/experiments/metrics.js";
import { seedWords } from "../src/experiments/thompson.js";
import type { Engine } from "../src/store/engine.js";
import { openSession } from "../src/store/open-store.js";
import { sql } from "../src/store/sql.js";
import { TEST_ENGINES } from "./engines.js";
import { runCli, tempDir } from "./helpers.js";

/**
 * A bandit run on a simulated shop, on every engine: each day a new cohort is assigned with the latest
 * allocation (as assignment.ts would), each person converts (an order within the day) with their arm's known
 * rate, and the next day the bandit updates. The best arm must end with most of the allocation, every arm keeps
 * the minimum share, an update before the interval is refused and changes nothing, and the evidence the bandit
 * read (metrics.ts) agrees with its per-period reader.
 */

const DAY = 86_400_000;
const START = Date.parse("2025-03-01T00:00:00Z");
const RATES: Record<string, number> = { control: 0.05, "offer-a": 0.08, "offer-b": 0.2 };
const NAMES = Object.keys(RATES);
const PER_DAY = 400;
const DAYS = 6;

const ts = (ms: number) =>
  sql.param(new Date(ms).toISOString().replace("T", " ").replace("Z", ""), "timestamp");

async function createBandit(engine: Engine, id: string, minShare = 0.1): Promise<void> {
  const variants = NAMES.map((name) => ({ name, weight: 1 / NAMES.length }));
  await engine.run(
    sql`INSERT INTO experiments (experiment_id, name, description, population, variants, holdout, metrics, seed,
                                 start_at, end_at, status, bandit, costs, created_at, created_by)
        VALUES (${id}, ${id}, ${sql.param(null, "string")}, ${JSON.stringify({ segment: "everyone" })},
                ${JSON.stringify(variants)}, ${sql.param(0, "number")}, ${JSON.stringify(["conversion:1d"])}, ${id},
                ${ts(START)}, ${sql.param(null, "timestamp")}, 'running',
                ${JSON.stringify({ min_share: minShare, update_every: "1d" })}, '{}', ${ts(START)}, 'test')`,
  );
}

/** Assigns a day's cohort by the weights (a seeded draw per person) and books each conversion as an order. */
async function simulateDay(engine: Engine, id: string, day: number, weights: Record<string, number>) {
  const rand = beta.factory({ seed: seedWords(`${id} day ${day}`) });
  const u = (rand.PRNG as unknown as { normalized: () => number }).normalized;
  const at = START + day * DAY;
  const assignments: ReturnType<typeof sql>[] = [];
  const orders: ReturnType<typeof sql>[] = [];
  for (let i = 0; i < PER_DAY; i++) {
    const person = `${id}-d${day}-p${i}`;
    let x = u();
    let arm = NAMES[NAMES.length - 1] as string;
    for (const name of NAMES) {
      x -= weights[name] as number;
      if (x < 0) {
        arm = name;
        break;
      }
    }
    assignments.push(sql`(${id}, ${person}, ${arm}, ${ts(at)}, 'hash')`);
    if (u() < (RATES[arm] as number))
      orders.push(
        sql`(${`o-${person}`}, ${person}, ${ts(at + 3_600_000)}, ${sql.param(25, "number")}, 0, 'EUR')`,
      );
  }
  await engine.run(
    sql`INSERT INTO experiment_assignments (experiment_id, customer_id, variant, assigned_at, source)
        VALUES ${sql.join(assignments)}`,
  );
  if (orders.length)
    await engine.run(
      sql`INSERT INTO orders (order_id, customer_id, ts, total, returned, currency) VALUES ${sql.join(orders)}`,
    );
}

describe.each(TEST_ENGINES)("a Thompson-sampling bandit on $name", (te) => {
  it("moves the allocation to the best arm, keeps the minimum share and the interval", async () => {
    const engine = await openSession(te.location());
    try {
      await createBandit(engine, "promo");
      let weights: Record<string, number> = Object.fromEntries(NAMES.map((n) => [n, 1 / NAMES.length]));
      // Before a day has passed since the start: refused, with the time it may run.
      await expect(updateBandit(engine, "promo", { k: 10, at: new Date(START + DAY / 2) })).rejects.toThrow(
        /next may run from 2025-03-02T00:00:00.000Z/,
      );
      const updates = [];
      for (let day = 0; day < DAYS; day++) {
        await simulateDay(engine, "promo", day, weights);
        const u = await updateBandit(engine, "promo", {
          k: 10,
          at: new Date(START + (day + 1) * DAY),
          draws: 5000,
        });
        updates.push(u);
        weights = Object.fromEntries(u.arms.map((a) => [a.name, a.weight]));
        for (const a of u.arms) expect(a.weight).toBeGreaterThanOrEqual(0.1 - 1e-12);
        expect(u.arms.reduce((s, a) => s + a.weight, 0)).toBeCloseTo(1, 9);
      }
      const last = updates.at(-1) as (typeof updates)[number];
      // offer-b (20% against 5% and 8%) is clearly best: all the allocation the minimum shares leave it.
      expect(last.arms.find((a) => a.name === "offer-b")?.weight).toBeCloseTo(0.8, 3);
      expect(last.arms.find((a) => a.name === "offer-b")?.probability_best).toBeGreaterThan(0.99);
      expect(last.arms.filter((a) => a.at_minimum).map((a) => a.name)).toEqual(["control", "offer-a"]);
      expect(last.update).toBe(DAYS);
      expect(last.reason).toMatch(/offer-b is best/);
      expect(last.bias.caveat).toMatch(/biased/);
      // The first update already sees a clear lead (400 people, 20% against 5% and 8%), and every one keeps it.
      const bShares = updates.map((u) => u.arms.find((a) => a.name === "offer-b")?.weight as number);
      for (const share of bShares) expect(share).toBeCloseTo(0.8, 3);

      // The interval: a second update within the day is refused and writes nothing.
      const before = (await banditAllocations(engine, "promo")).length;
      const tooSoon = updateBandit(engine, "promo", { k: 10, at: new Date(START + DAYS * DAY + 3_600_000) });
      await expect(tooSoon).rejects.toThrow(UserError);
      await expect(tooSoon).rejects.toThrow(/next may run from 2025-03-08T00:00:00.000Z/);
      expect((await banditAllocations(engine, "promo")).length).toBe(before);

      // Deterministic: the stored weights are those reported, and the same seed gives the same update.
      const stored = await banditAllocations(engine, "promo");
      expect(stored.at(-1)?.weights).toEqual(Object.fromEntries(last.arms.map((a) => [a.name, a.weight])));

      // The evidence: metrics.ts's pooled sums equal the bandit's per-period reader's, pooled.
      const experiment = await experimentNamed(engine, "promo");
      const spec = banditMetric(experiment);
      const asOf = new Date(START + DAYS * DAY);
      const periods = await banditArmSums(engine, experiment, spec, {
        asOf,
        boundaries: stored.map((s) => s.effectiveAt),
      });
      expect(periods).toHaveLength(DAYS + 1);
      const pooled = pooledArms(periods, NAMES);
      const sums = await metricSums(engine, { experimentId: "promo", metrics: [spec], asOf });
      for (const arm of pooled) {
        const m = sums.arms.find((a) => a.variant === arm.name)?.metrics[0];
        expect({ n: m?.n, sum: m?.sum }).toEqual({ n: arm.n, sum: arm.sum });
      }
      expect(pooled.reduce((s, a) => s + a.n, 0)).toBe(PER_DAY * DAYS);
      // Each period's people were assigned with that period's weights (the last period is empty).
      expect(periods[DAYS]?.every((a) => a.n === 0)).toBe(true);

      // The period-stratified estimate finds offer-b's lift (+15 points) within its interval.
      const analysis = banditAnalysis(periods, "proportion");
      const b = analysis.comparisons.find((c) => c.variant === "offer-b");
      expect(b?.computable).toBe(true);
      if (b?.computable) {
        expect(b.ci[0]).toBeLessThan(0.15);
        expect(b.ci[1]).toBeGreaterThan(0.15);
        expect(b.effect).toBeGreaterThan(0.05);
        expect(b.periods_used).toBe(DAYS);
      }
      // What the analysis shows (banditReadout): the same, with the caveat; nothing for a fixed split.
      expect(await banditReadout(engine, experiment, spec, asOf)).toEqual(analysis);
      expect(await banditReadout(engine, { ...experiment, bandit: null }, spec, asOf)).toBeNull();
      // `experiment analyze` carries it beside the pooled figures, with the caveat among its notes.
      const analyzed = await analyzeExperiment(engine, "promo", {
        engine: "frequentist",
        sequential: false,
        alpha: 0.05,
        segments: [],
        asOf,
        k: 10,
      });
      expect(analyzed.metrics[0]?.bandit).toEqual(analysis);
      expect(analyzed.notes).toContain(analysis.caveat);
      expect(analyzed.srm).toBeNull();
    } finally {
      await engine.close();
    }
  }, 60_000);

  it("refuses a fixed-split experiment, an unknown one, and the same seed gives the same weights", async () => {
    const engine = await openSession(te.location());
    try {
      await createBandit(engine, "b1");
      await createBandit(engine, "b2");
      await engine.run(sql`UPDATE experiments SET bandit = NULL WHERE experiment_id = 'b2'`);
      await expect(updateBandit(engine, "b2", { k: 10, at: new Date(START + DAY) })).rejects.toThrow(
        /fixed split/,
      );
      await expect(updateBandit(engine, "nope", { k: 10 })).rejects.toThrow(/no experiment "nope"/);
      await simulateDay(engine, "b1", 0, { control: 0.5, "offer-a": 0.25, "offer-b": 0.25 });
      // People assigned on day 2 too: an update dated before them would put them in the wrong period.
      await simulateDay(engine, "b1", 2, { control: 0.5, "offer-a": 0.25, "offer-b": 0.25 });
      await expect(
        updateBandit(engine, "b1", { k: 10, at: new Date(START + DAY + 3_600_000) }),
      ).rejects.toThrow(/cannot be earlier than the last assignment/);
      await engine.run(sql`DELETE FROM experiment_assignments WHERE customer_id LIKE 'b1-d2-%'`);
      const a = await updateBandit(engine, "b1", {
        k: 10,
        at: new Date(START + DAY),
        seed: "fixed",
        draws: 2000,
      });
      expect(a.seed).toBe("fixed");
      // Arms under k people leave with their counts suppressed (null), never as numbers.
      for (const arm of a.arms) if (arm.n === null) expect(arm.posterior).toBeNull();
      await engine.run(sql`DELETE FROM experiment_allocations WHERE experiment_id = 'b1'`);
      const again = await updateBandit(engine, "b1", {
        k: 10,
        at: new Date(START + DAY),
        seed: "fixed",
        draws: 2000,
      });
      expect(again.arms.map((x) => x.weight)).toEqual(a.arms.map((x) => x.weight));
    } finally {
      await engine.close();
    }
  }, 60_000);
});

describe("a bandit with nothing measured yet", () => {
  it("refuses to update (nothing written) until someone's window has ended", async () => {
    const engine = await openSession(TEST_ENGINES[0]?.location() as string);
    try {
      await createBandit(engine, "fresh");
      await simulateDay(engine, "fresh", 0, { control: 0.34, "offer-a": 0.33, "offer-b": 0.33 });
      // Assigned at the start; conversion:1d windows end a day later: half a day in, nobody counts yet.
      await expect(updateBandit(engine, "fresh", { k: 10, at: new Date(START + DAY / 2) })).rejects.toThrow(
        /next may run/,
      );
      await engine.run(
        sql`UPDATE experiments SET bandit = ${JSON.stringify({ min_share: 0.1, update_every: "1h" })}`,
      );
      await expect(updateBandit(engine, "fresh", { k: 10, at: new Date(START + DAY / 2) })).rejects.toThrow(
        /nobody in experiment "fresh" has a value of conversion:1d yet/,
      );
      expect(await banditAllocations(engine, "fresh")).toEqual([]);
    } finally {
      await engine.close();
    }
  });
});

describe("experiment bandit from the command line", () => {
  it("prints the new weights and why as JSON, then refuses an update within the interval (exit 1)", async () => {
    const db = join(tempDir(), "bandit.duckdb");
    const engine = await openSession(db);
    try {
      await createBandit(engine, "cli");
      await simulateDay(engine, "cli", 0, { control: 0.34, "offer-a": 0.33, "offer-b": 0.33 });
    } finally {
      await engine.close();
    }
    const at = new Date(START + DAY).toISOString();
    const r = await runCli("experiment", "bandit", "cli", "--at", at, "--seed", "7", "--json", "--db", db);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ experiment: "cli", update: 1, seed: "7", metric: "conversion:1d" });
    expect(out.arms.map((a: { name: string }) => a.name)).toEqual(NAMES);
    expect(out.bias.caveat).toMatch(/biased/);
    const text = await runCli("experiment", "bandit", "cli", "--at", at, "--db", db);
    expect(text.code).toBe(1);
    expect(text.stderr).toMatch(/next may run from 2025-03-03T00:00:00.000Z/);
    const future = await runCli("experiment", "bandit", "cli", "--at", "2999-01-01", "--db", db);
    expect(future.code).toBe(1);
    expect(future.stderr).toMatch(/at: 2999-01-01T00:00:00.000Z is in the future/);
    const bad = await runCli("experiment", "bandit", "cli", "--draws", "5", "--db", db);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--draws/);
  });
});
