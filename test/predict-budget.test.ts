/**
 * `tessera budget plan` (issue 19, item 4) as a user runs it, on every engine: a small store whose segments'
 * sizes, buyers and revenue are known, so the prior curves and the equal-marginal optimum are computed here by
 * hand (closed form); then past campaigns to one segment's audience (the fitted curve from the sends and
 * conversions counted here); the k-gate on a small segment; and every bad input refused with nothing stored.
 */
import { describe, expect, it } from "vitest";
import { fitCurve } from "../src/predict/response-curves.js";
import { openStore } from "../src/store/open-store.js";
import { sql } from "../src/store/sql.js";
import { TEST_ENGINES } from "./engines.js";
import { dbSnapshot, runCli, storedRows, tempDir, tesseraJson, writeFile } from "./helpers.js";

/** gold: 20 people, 10 bought 100 each in the window; silver: 30, 12 bought 50; tiny: 5, 2 bought 20. */
const TIERS = [
  { tier: "gold", n: 20, buyers: 10, spend: 100 },
  { tier: "silver", n: 30, buyers: 12, spend: 50 },
  { tier: "tiny", n: 5, buyers: 2, spend: 20 },
] as const;

function files(dir: string) {
  const customers = ["customer_id,tier"];
  const orders = ["order_id,customer_id,timestamp,total"];
  const consents = ["customer_id,purpose,channel,status,timestamp"];
  let o = 0;
  for (const t of TIERS)
    for (let i = 0; i < t.n; i++) {
      const id = `${t.tier}-${String(i).padStart(2, "0")}`;
      customers.push(`${id},${t.tier}`);
      consents.push(`${id},marketing,email,granted,2024-01-01`);
      // Buyers in the 30 days before the data's end (2024-03-21), in two orders each.
      if (i < t.buyers) {
        orders.push(
          `o${++o},${id},2024-03-${String(10 + (i % 10)).padStart(2, "0")}T10:00:00Z,${t.spend / 2}`,
        );
        orders.push(`o${++o},${id},2024-03-20T12:00:00Z,${t.spend / 2}`);
      }
    }
  // A silver customer who bought long before the window: not a buyer of the window.
  orders.push(`o${++o},silver-29,2023-06-01T10:00:00Z,500`);
  return {
    customers: writeFile(dir, "customers.csv", `${customers.join("\n")}\n`),
    orders: writeFile(dir, "orders.csv", `${orders.join("\n")}\n`),
    consents: writeFile(dir, "consents.csv", `${consents.join("\n")}\n`),
  };
}

async function load(db: string): Promise<string> {
  const dir = tempDir();
  const f = files(dir);
  for (const [kind, path] of [
    ["customers", f.customers],
    ["orders", f.orders],
    ["consents", f.consents],
  ] as const) {
    const r = await runCli("import", kind, path, "--db", db);
    expect(r.code, r.stderr).toBe(0);
  }
  for (const t of TIERS)
    await tesseraJson(
      db,
      "segment",
      "add",
      "--id",
      t.tier,
      "--name",
      t.tier,
      "--where",
      `tier = "${t.tier}"`,
    );
  await tesseraJson(db, "segment", "refresh");
  return dir;
}

/**
 * Closed-form equal-marginal spends when every segment is inside its bounds: xᵢ = bᵢ (ln mᵢ − ln λ),
 * ln λ = (Σ bᵢ ln mᵢ − T) / Σ bᵢ, with mᵢ = Aᵢ / bᵢ (Aᵢ in revenue).
 */
function closedForm(curves: { A: number; b: number }[], total: number): number[] {
  const sb = curves.reduce((s, c) => s + c.b, 0);
  const lnL = (curves.reduce((s, c) => s + c.b * Math.log(c.A / c.b), 0) - total) / sb;
  return curves.map((c) => c.b * (Math.log(c.A / c.b) - lnL));
}

interface Seg {
  key: string;
  spend: number;
  size: number | null;
  buyers: number | null;
  suppressed: boolean;
  source: string;
  campaignSends: number;
  curve: { a: number; b: number } | null;
  expectedConversions: number | null;
  valuePerConversion: number | null;
  status: string;
  reason: string;
}

const segs = (r: Record<string, unknown>) => new Map((r.segments as Seg[]).map((s) => [s.key, s]));

describe.each(TEST_ENGINES)("budget plan on $name", (engine) => {
  it("plans by hand-computable prior curves, then by fitted campaigns; gates the small segment", async () => {
    const db = engine.location();
    const dir = await load(db);

    // Priors: a = buyers, b = size × 0.10 (email's default cost), value = revenue per buyer in the window.
    const prior = TIERS.map((t) => ({ A: t.buyers * t.spend, b: t.n * 0.1 }));
    const plan = await tesseraJson(db, "budget", "plan", "--total", "10", "--by", "segment");
    const s = segs(plan);
    const expected = closedForm(prior, 10);
    for (const [i, t] of TIERS.entries()) expect(s.get(t.tier)?.spend).toBeCloseTo(expected[i] as number, 6);
    expect([...s.values()].reduce((a, x) => a + x.spend, 0)).toBeCloseTo(10, 9);
    expect(s.get("gold")).toMatchObject({ size: 20, buyers: 10, source: "prior", suppressed: false });
    expect(s.get("gold")?.curve?.a).toBeCloseTo(10, 9);
    expect(s.get("gold")?.curve?.b).toBeCloseTo(2, 9);
    expect(s.get("gold")?.valuePerConversion).toBeCloseTo(100, 9);
    // silver-29's old order is outside the window.
    expect(s.get("silver")?.buyers).toBe(12);
    // tiny: 5 people — planned, figures hidden, and the totals that would give them away too.
    expect(s.get("tiny")).toMatchObject({
      suppressed: true,
      size: null,
      buyers: null,
      expectedConversions: null,
    });
    expect(s.get("tiny")?.spend).toBeGreaterThan(0);
    expect((plan.totals as Record<string, unknown>).expectedRevenue).toBeNull();
    expect(plan.marginalReturn).toBeCloseTo(
      (prior[0]?.A as number) /
        (prior[0]?.b as number) /
        Math.exp((expected[0] as number) / (prior[0]?.b as number)),
      6,
    );
    // The plan is kept, as shown.
    const kept = await storedRows(
      db,
      "SELECT plan_key, spend, expected_conversions FROM budget_plan ORDER BY plan_key",
    );
    expect(kept.map((r) => r.plan_key)).toEqual(["gold", "silver", "tiny"]);
    expect(Number(kept[0]?.spend)).toBeCloseTo(expected[0] as number, 6);
    expect(kept[2]?.expected_conversions).toBeNull();
    const shown = await tesseraJson(db, "budget", "show");
    expect((shown.plan as { segments: unknown[] }).segments).toHaveLength(3);

    // Bounds: gold at most 1, silver at least 5; costs from a file.
    const costs = writeFile(dir, "costs.csv", "channel,cost\nemail,0.2\nsms,0.5\n");
    const bounds = writeFile(dir, "bounds.csv", "segment,min,max\ngold,,1\nsilver,5,\n");
    const bounded = segs(
      await tesseraJson(
        db,
        "budget",
        "plan",
        "--total",
        "10",
        "--by",
        "segment",
        "--channel-costs",
        costs,
        "--bounds",
        bounds,
      ),
    );
    expect(bounded.get("gold")?.spend).toBeCloseTo(1, 9);
    expect(bounded.get("gold")?.status).toBe("at-max");
    expect(bounded.get("silver")?.spend).toBeGreaterThanOrEqual(5 - 1e-9);
    expect(bounded.get("gold")?.curve?.b).toBeCloseTo(4, 9);

    // Past campaigns: an audience of gold, two sends (to 20 and to 10 people) on 2024-02-01 and 2024-02-03; the
    // first reached 9 buyers within 30 days against a holdout rate of 1/4 (a lift of 9 − 20/4 = 4), the second,
    // without a holdout, 3.
    await tesseraJson(
      db,
      "audience",
      "create",
      "gold-email",
      "--segment",
      "gold",
      "--purpose",
      "marketing",
      "--channel",
      "email",
    );
    const store = await openStore(db);
    try {
      await store.write(async (e) => {
        await e.run(
          sql`INSERT INTO campaigns (campaign_id, audience_id, channel, template, created_at, created_by)
              VALUES ('winter', 'gold-email', 'email', 'x', ${sql.param("2024-01-30T00:00:00Z", "timestamp")}, 'test')`,
        );
        const send = async (sendId: string, at: string, ids: string[]) => {
          for (const id of ids)
            await e.run(
              sql`INSERT INTO campaign_sends (send_id, campaign_id, customer_id, status, offer, scheduled_at, sent_at, channel)
                  VALUES (${sendId}, 'winter', ${id}, 'sent', NULL, ${sql.param(at, "timestamp")},
                          ${sql.param(at, "timestamp")}, 'email')`,
            );
        };
        const gold = (i: number) => `gold-${String(i).padStart(2, "0")}`;
        await send(
          "s1",
          "2024-02-01T09:00:00Z",
          Array.from({ length: 20 }, (_, i) => gold(i)),
        );
        await send(
          "s2",
          "2024-02-03T09:00:00Z",
          Array.from({ length: 10 }, (_, i) => gold(i + 10)),
        );
        // s1 held out four silver customers, one of whom bought within its window: a held-out rate of 1/4.
        for (let i = 0; i < 4; i++)
          await e.run(
            sql`INSERT INTO campaign_sends (send_id, campaign_id, customer_id, status, offer, scheduled_at, sent_at, channel)
                VALUES ('s1', 'winter', ${`silver-0${i}`}, 'held-out', NULL, ${sql.param("2024-02-01T09:00:00Z", "timestamp")},
                        ${sql.param("2024-02-01T09:00:00Z", "timestamp")}, 'email')`,
          );
      });
    } finally {
      await store.close();
    }
    const more = ["order_id,customer_id,timestamp,total"];
    // s1 converts gold-00…05 (6); s2 converts gold-10…12 (3: they are in s1 too, so s1 has 9).
    for (let i = 0; i < 6; i++) more.push(`c${i},gold-0${i},2024-02-05T10:00:00Z,40`);
    for (let i = 0; i < 3; i++) more.push(`d${i},gold-1${i},2024-02-06T10:00:00Z,40`);
    more.push("held,silver-01,2024-02-05T10:00:00Z,40"); // the held-out buyer (before the buyers' window)
    more.push("late,gold-08,2024-03-15T10:00:00Z,40"); // in s1, but after its window (a buyer of the window already)
    const r = await runCli(
      "import",
      "orders",
      writeFile(dir, "more.csv", `${more.join("\n")}\n`),
      "--db",
      db,
    );
    expect(r.code, r.stderr).toBe(0);
    await tesseraJson(db, "segment", "refresh");
    const fitted = await tesseraJson(db, "budget", "plan", "--total", "10", "--by", "segment");
    const g = segs(fitted).get("gold") as Seg;
    expect(g).toMatchObject({ source: "campaigns", campaignSends: 2, buyers: 10 });
    const ref = fitCurve(
      [
        { spend: 20 * 0.1, conversions: 4 },
        { spend: 10 * 0.1, conversions: 3 },
      ],
      { a: 10, b: 2 },
    ).curve;
    expect(g.curve?.a).toBeCloseTo(ref.a, 6);
    expect(g.curve?.b).toBeCloseTo(ref.b, 6);
    expect(segs(fitted).get("silver")?.source).toBe("prior");

    // By audience: the one audience takes the whole total.
    const byAudience = segs(await tesseraJson(db, "budget", "plan", "--total", "10", "--by", "audience"));
    expect([...byAudience.keys()]).toEqual(["gold-email"]);
    expect(byAudience.get("gold-email")).toMatchObject({ source: "campaigns", size: 20 });
    expect(byAudience.get("gold-email")?.spend).toBeCloseTo(10, 9);

    // Bad input: a clear error naming what is wrong, exit 1, nothing stored.
    const before = await dbSnapshot(db);
    const refused = async (args: string[], text: RegExp) => {
      const x = await runCli("budget", "plan", ...args, "--db", db);
      expect(x.code, x.stdout).toBe(1);
      expect(x.stderr).toMatch(text);
    };
    await refused(["--total", "0", "--by", "segment"], /--total: expected a positive amount, got "0"/);
    await refused(["--total", "-5", "--by", "segment"], /--total/);
    await refused(["--total", "lots", "--by", "segment"], /--total: expected a positive amount, got "lots"/);
    await refused(["--total", "10", "--by", "persona"], /--by: expected one of segment, audience/);
    const badCost = writeFile(dir, "bad-cost.csv", "channel,cost\nemail,0.1\n\nsms,cheap\n");
    await refused(
      ["--total", "10", "--by", "segment", "--channel-costs", badCost],
      /bad-cost\.csv, line 4, field cost: expected a positive number, got "cheap"/,
    );
    const fax = writeFile(dir, "fax.csv", "channel,cost\nfax,0.1\n");
    await refused(
      ["--total", "10", "--by", "segment", "--channel-costs", fax],
      /fax\.csv, line 2, field channel: no channel "fax"/,
    );
    const noHeader = writeFile(dir, "nohead.csv", "email,0.1\n");
    await refused(
      ["--total", "10", "--by", "segment", "--channel-costs", noHeader],
      /line 1: expected a header line "channel,cost"/,
    );
    const tooMuch = writeFile(dir, "too-much.csv", "segment,min,max\ngold,6,\nsilver,6,\n");
    await refused(
      ["--total", "10", "--by", "segment", "--bounds", tooMuch],
      /bounds: the minimums add up to 12, more than the total 10/,
    );
    const unknown = writeFile(dir, "unknown.csv", "segment,min,max\nglod,1,\n");
    await refused(
      ["--total", "10", "--by", "segment", "--bounds", unknown],
      /no segment "glod" to plan \(did you mean "gold"\?\)/,
    );
    await refused(
      ["--total", "10", "--by", "segment", "--channel-costs", `${dir}/missing.csv`],
      /--channel-costs: cannot read .*no such file/,
    );
    expect(await dbSnapshot(db)).toBe(before);
  });

  it("refuses a store with no segments to plan, storing nothing", async () => {
    const db = engine.location();
    const dir = tempDir();
    const r = await runCli(
      "import",
      "customers",
      writeFile(dir, "c.csv", "customer_id,tier\na,gold\n"),
      "--db",
      db,
    );
    expect(r.code, r.stderr).toBe(0);
    const before = await dbSnapshot(db);
    for (const by of ["segment", "audience"]) {
      const x = await runCli("budget", "plan", "--total", "100", "--by", by, "--db", db);
      expect(x.code).toBe(1);
      expect(x.stderr).toMatch(by === "segment" ? /no saved segment has members yet/ : /no audience to plan/);
    }
    expect(await dbSnapshot(db)).toBe(before);
  });
});
