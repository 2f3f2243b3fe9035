import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { gatedReach, segmentDuration } from "../src/experiments/plan-duration.js";
import { experimentPlanOperation } from "../src/operations/experiment-plan-operations.js";
import { runOperation } from "../src/operations/operation.js";
import type { Engine } from "../src/store/engine.js";
import { openSession, openStore } from "../src/store/open-store.js";
import { sql } from "../src/store/sql.js";
import { TEST_ENGINES } from "./engines.js";
import { dbSnapshot, emptyDb, runCli, tempDir } from "./helpers.js";

/**
 * `experiment plan`'s duration on a hand-built segment: 300 members, of whom member i was last active i days
 * before the data's end (i = 0 … 299: one a day), so the members active in the last d days are exactly d (for d ≤
 * 300), and 60 members of another segment active every day (not counted).
 */
const END = Date.parse("2025-06-01T00:00:00Z");
const DAY = 86_400_000;

async function load(engine: Engine): Promise<void> {
  const ts = (ms: number) =>
    sql.param(new Date(ms).toISOString().replace("T", " ").replace("Z", ""), "timestamp");
  const rows = Array.from({ length: 300 }, (_, i) => i);
  await engine.run(
    sql`INSERT INTO segments (segment_id, name, latest_version, updated_at) VALUES
        ('buyers', 'Buyers', 1, ${ts(END - 400 * DAY)}), ('others', 'Others', 1, ${ts(END - 400 * DAY)})`,
  );
  await engine.run(
    sql`INSERT INTO segment_membership (segment_id, customer_id, entered_at, exited_at) VALUES ${sql.join([
      ...rows.map(
        (i) => sql`('buyers', ${`c${i}`}, ${ts(END - 500 * DAY)}, ${sql.param(null, "timestamp")})`,
      ),
      ...Array.from(
        { length: 60 },
        (_, i) => sql`('others', ${`o${i}`}, ${ts(END - 500 * DAY)}, ${sql.param(null, "timestamp")})`,
      ),
    ])}`,
  );
  await engine.run(
    sql`INSERT INTO customers (customer_id) VALUES ${sql.join([
      ...rows.map((i) => sql`(${`c${i}`})`),
      ...Array.from({ length: 60 }, (_, i) => sql`(${`o${i}`})`),
    ])}`,
  );
  // Member c<i>: an event half a day before END − i days (inside the last i + 1 days, not the last i).
  await engine.run(
    sql`INSERT INTO events (message_id, customer_id, type, event, ts, properties) VALUES ${sql.join([
      ...rows.map(
        (i) => sql`(${`m${i}`}, ${`c${i}`}, 'track', 'Visit', ${ts(END - i * DAY - DAY / 2)}, '{}')`,
      ),
      ...Array.from(
        { length: 60 },
        (_, i) => sql`(${`n${i}`}, ${`o${i}`}, 'track', 'Visit', ${ts(END - DAY / 2)}, '{}')`,
      ),
    ])}`,
  );
  // A refresh after the segments were saved: both count as evaluated.
  await engine.run(
    sql`INSERT INTO segment_refreshes (as_of, refreshed_at, segments, seconds, mode)
        VALUES (${ts(END)}, ${ts(END)}, 2, ${sql.param(0.1, "number")}, 'full')`,
  );
}

describe("the reach curve's k-gate", () => {
  it("shows only points whose differences (from 0, between them, to the size) are 0 or at least k", () => {
    // 5 (from 0) is small; 195 with 200 (or with the size 200) would give away 5 people: 200 is kept.
    expect(gatedReach([5, 50, 100, 195, 200], 200, 10)).toEqual([false, true, true, false, true]);
    expect(gatedReach([0, 0, 40, 40], 40, 10)).toEqual([true, true, true, true]);
    // 196 of 202: the last 6 would be a small group, so 196 goes (and 202 − 154 = 48 is fine).
    expect(gatedReach([3, 106, 154, 196, 202, 202], 202, 10)).toEqual([false, true, true, false, true, true]);
    // Brute force agrees: no shown difference is small.
    for (const [raw, size] of [[[12, 15, 30, 31, 45, 46], 50]] as [number[], number][]) {
      const shown = gatedReach(raw, size, 10);
      const points = [0, ...raw.filter((_, i) => shown[i]), size];
      for (let i = 1; i < points.length; i++) {
        const gap = (points[i] as number) - (points[i - 1] as number);
        expect(gap === 0 || gap >= 10).toBe(true);
      }
    }
  });
});

describe.each(TEST_ENGINES)("plan duration on $name", (te) => {
  it("reads the reach curve and interpolates the days", async () => {
    const engine = await openSession(te.location());
    try {
      await load(engine);
      const r = await segmentDuration(engine, "buyers", 150, {
        asOf: new Date(END),
        k: 10,
        holdout: 0,
      });
      expect(r.size).toBe(300);
      // Members active in the last d days: exactly d (the 1-day point is under k: suppressed).
      expect(r.reach).toEqual([
        { days: 1, people: null },
        { days: 7, people: null },
        { days: 14, people: 14 },
        { days: 28, people: 28 },
        { days: 56, people: 56 },
        { days: 91, people: 91 },
      ]);
      expect(r.new_per_day).toBe(1);
      // 150 needed: past 91 days at 1 a day → 91 + 59 = 150 days.
      expect(r.days).toBe(150);
      expect(r.all_at_once).toBe(true);
      // 40 needed: between 28 (28 people) and 56 (56 people) → 28 + 12 = 40 days.
      expect(
        (await segmentDuration(engine, "buyers", 40, { asOf: new Date(END), k: 10, holdout: 0 })).days,
      ).toBe(40);
      // More than the segment holds: no duration, and why.
      const big = await segmentDuration(engine, "buyers", 1000, { asOf: new Date(END), k: 10, holdout: 0 });
      expect(big.days).toBeNull();
      expect(big.note).toMatch(/fewer than the 1,000 needed/);
      await expect(
        segmentDuration(engine, "nope", 10, { asOf: new Date(END), k: 10, holdout: 0 }),
      ).rejects.toThrow(/no segment "nope"/);
    } finally {
      await engine.close();
    }
  }, 60_000);
});

describe("experiment plan from the command line", () => {
  it("prints the sample size, and refuses bad input naming the option, changing nothing", async () => {
    const db = await emptyDb(join(tempDir(), "plan.duckdb"));
    const ok = await runCli(
      "experiment",
      "plan",
      "--baseline-rate",
      "20%",
      "--mde",
      "0.05",
      "--absolute",
      "--db",
      db,
      "--json",
    );
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ per_arm: 1091, total: 2182, needed: 2182, duration: null });
    const before = await dbSnapshot(db);
    const cases: [string[], RegExp][] = [
      [["--baseline-rate", "1.5", "--mde", "10%"], /--baseline-rate: a baseline rate is between 0 and 1/],
      [["--baseline-rate", "0", "--mde", "10%"], /--baseline-rate/],
      [["--baseline-rate", "5%", "--mde", "0"], /--mde: the effect is > 0/],
      [["--baseline-rate", "5%", "--mde", "-1%"], /--mde/],
      [["--baseline-rate", "5%", "--mde", "10%", "--power", "1"], /--power: power is between 0 and 1/],
      [["--baseline-rate", "5%", "--mde", "10%", "--power", "abc"], /--power: expected a number/],
      [["--baseline-rate", "5%", "--mde", "10%", "--variants", "1"], /--variants/],
      [["--baseline-rate", "5%", "--mde", "10%", "--alternative", "less"], /--alternative/],
      [["--baseline-rate", "5%", "--mde", "10%", "--holdout", "100%"], /--holdout/],
      [["--baseline-rate", "5%", "--mde", "10%", "--segment", "nope"], /no segment "nope"/],
      [["--mde", "10%"], /--baseline-rate: give the baseline/],
      [["--baseline-mean", "10", "--mde", "10%"], /--baseline-sd/],
      [["--baseline-rate", "5%"], /--mde: required/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli("experiment", "plan", ...args, "--db", db);
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.stderr).toMatch(message);
    }
    expect(await dbSnapshot(db)).toBe(before);
    // The operation itself (the API's way in) names the field.
    const store2 = await openStore(db);
    try {
      await expect(
        runOperation(store2, experimentPlanOperation, { baselineRate: 0.1, mde: 0.1, power: 2 }),
      ).rejects.toThrow(/power is between 0 and 1/);
    } finally {
      await store2.close();
    }
  }, 60_000);
});
