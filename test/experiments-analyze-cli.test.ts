import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ExperimentAnalysis } from "../src/experiments/analysis.js";
import { openForServing } from "../src/operations/index.js";
import { buildServer } from "../src/server/app.js";
import { Authenticator } from "../src/server/authenticator.js";
import { openSession } from "../src/store/open-store.js";
import { sql } from "../src/store/sql.js";
import { TEST_ENGINES } from "./engines.js";
import { apiKey, dbSnapshot, runCli, tempDir } from "./helpers.js";

/**
 * `tessera experiment analyze` as a user runs it, on a small shop: control and `offer` of 40 people each, `tiny`
 * of 4 (under k = 10: suppressed, never analysed), a holdout of 12 (reported, not compared); control people buy
 * 10 on Jan 5, offer people 12, tiny 50. Bad input names what is wrong and changes nothing; the API answers as the
 * CLI does.
 */
async function shop(location = join(tempDir(), "shop.duckdb")): Promise<string> {
  const db = location;
  const create = await runCli(
    ...["experiment", "create", "promo", "--exposures", "--variants", "control:45,offer:45,tiny:10"],
    ...["--metric", "revenue", "--metric", "conversion:7d", "--cost", "offer:0.5", "--start", "2023-12-01"],
    ...["--db", db],
  );
  expect(create.code, create.stderr).toBe(0);
  const engine = await openSession(db);
  const people: [string, string, number][] = [
    ...Array.from(
      { length: 40 },
      (_, i) => [`k${i}`, "control", i % 2 === 0 ? 10 : 0] as [string, string, number],
    ),
    ...Array.from(
      { length: 40 },
      (_, i) => [`f${i}`, "offer", i % 4 !== 0 ? 12 : 0] as [string, string, number],
    ),
    ...Array.from({ length: 4 }, (_, i) => [`t${i}`, "tiny", 50] as [string, string, number]),
    ...Array.from({ length: 12 }, (_, i) => [`h${i}`, "holdout", 0] as [string, string, number]),
  ];
  const ts = (t: string) => sql.param(t, "timestamp");
  await engine.run(
    sql`INSERT INTO experiment_assignments (experiment_id, customer_id, variant, assigned_at, source) VALUES ${sql.join(
      people.map(([c, v]) => sql`('promo', ${c}, ${v}, ${ts("2024-01-01 00:00:00")}, 'hash')`),
    )}`,
  );
  await engine.run(
    sql`INSERT INTO orders (order_id, customer_id, ts, total, returned, currency) VALUES ${sql.join(
      people
        .filter(([, , total]) => total > 0)
        .map(([c, , total]) => sql`(${`o-${c}`}, ${c}, ${ts("2024-01-05 00:00:00")}, ${total}, 0, 'EUR')`),
    )}`,
  );
  // The segment vip since Dec 1: 20 control people, 6 offer people (under k: that cell is suppressed).
  await engine.run(sql`INSERT INTO segments (segment_id, name, latest_version) VALUES ('vip', 'VIP', 1)`);
  await engine.run(
    sql`INSERT INTO segment_membership (segment_id, customer_id, entered_at) VALUES ${sql.join(
      [...Array.from({ length: 20 }, (_, i) => `k${i}`), ...Array.from({ length: 6 }, (_, i) => `f${i}`)].map(
        (c) => sql`('vip', ${c}, ${ts("2023-12-01 00:00:00")})`,
      ),
    )}`,
  );
  await engine.close();
  return db;
}

describe.each(TEST_ENGINES)("experiment analyze on $name", (te) => {
  it("reads the experiment, suppresses the arm under k, reports the holdout, and serves the same over the API", async () => {
    const db = await shop(te.location());
    const r = await runCli("experiment", "analyze", "promo", "--as-of", "2024-02-01", "--db", db, "--json");
    expect(r.code, r.stderr).toBe(0);
    const a = JSON.parse(r.stdout) as ExperimentAnalysis;
    expect(a.assigned).toEqual([
      { variant: "control", people: 40, planned: 0.45 },
      { variant: "offer", people: 40, planned: 0.45 },
      { variant: "tiny", people: null, planned: 0.1 },
      // 12 people, but hidden with tiny: alone, tiny's 4 would be the total less the others.
      { variant: "holdout", people: null, planned: null },
    ]);
    expect(a.srm).toBeNull();
    expect(a.notes).toContain("sample-ratio check skipped: an arm is suppressed (fewer than k people)");
    const revenue = a.metrics[0];
    expect(revenue?.arms).toEqual([
      { variant: "control", n: 40, value: 5, suppressed: false },
      { variant: "offer", n: 40, value: 9, suppressed: false },
      { variant: "tiny", n: null, value: null, suppressed: true },
    ]);
    expect(revenue?.comparisons[1]).toMatchObject({
      variant: "tiny",
      computable: false,
      verdict: "not-computable",
      reason: "suppressed by the k-gate: fewer than 10 people, or what would give such a group away",
    });
    // Two tests (offer on two metrics), Holm: the smaller p doubled.
    expect(a.adjustment).toBe("holm");
    const offer = revenue?.comparisons[0];
    if (!offer?.computable) throw new Error("offer not computable");
    expect(offer.effect).toBeCloseTo(0.8, 10);
    expect(offer.p_adjusted).toBeGreaterThanOrEqual(offer.p as number);
    // Costs: 0.5 per offer person; conversions from conversion:7d (30 of 40), revenue from revenue (360).
    expect(a.economics.find((e) => e.variant === "offer")).toEqual({
      variant: "offer",
      cost_per_person: 0.5,
      cost: 20,
      conversions: 30,
      acquisition_cost: 20 / 30,
      revenue: 360,
      roi: (360 - 20) / 20,
      incremental_revenue: 360 - 5 * 40,
      incremental_roi: (160 - 20) / 20,
    });
    expect(a.economics.find((e) => e.variant === "tiny")?.cost).toBeNull();

    // Per segment: vip's offer cell (6 people) is suppressed, and so its control cell (20): vip's size would give
    // the 6 away.
    const seg = await runCli(
      ...[
        "experiment",
        "analyze",
        "promo",
        "--as-of",
        "2024-02-01",
        "--by-segment",
        "vip",
        "--db",
        db,
        "--json",
      ],
    );
    const vip = (JSON.parse(seg.stdout) as ExperimentAnalysis).segments[0];
    expect(vip?.segment).toBe("vip");
    expect(vip?.metrics[0]?.arms).toEqual([
      { variant: "control", n: null, value: null, suppressed: true },
      { variant: "offer", n: null, value: null, suppressed: true },
      // Nobody: 0 reveals nobody, and there is nothing to compare.
      { variant: "tiny", n: 0, value: null, suppressed: false },
    ]);
    expect(vip?.metrics[0]?.comparisons.map((c) => c.verdict)).toEqual(["not-computable", "not-computable"]);

    // Bayesian and sequential engines.
    const bayes = await runCli(
      ...[
        "experiment",
        "analyze",
        "promo",
        "--as-of",
        "2024-02-01",
        "--engine",
        "bayesian",
        "--db",
        db,
        "--json",
      ],
    );
    const b = JSON.parse(bayes.stdout) as ExperimentAnalysis;
    expect(b.adjustment).toBe("none");
    expect(b.metrics[0]?.comparisons[0]).toMatchObject({ variant: "offer", computable: true });
    const bOffer = b.metrics[0]?.comparisons[0];
    if (!bOffer?.computable) throw new Error("not computable");
    expect(bOffer.chance_to_win).toBeGreaterThan(0.9);
    const seq = await runCli(
      ...["experiment", "analyze", "promo", "--as-of", "2024-02-01", "--sequential", "--db", db, "--json"],
    );
    const s = JSON.parse(seq.stdout) as ExperimentAnalysis;
    expect(s.sequential).toBe(true);
    const sOffer = s.metrics[0]?.comparisons[0];
    if (!sOffer?.computable) throw new Error("not computable");
    // A confidence sequence is wider than the fixed-horizon interval.
    expect((sOffer.ci[1] as number) - (sOffer.ci[0] as number)).toBeGreaterThan(
      (offer.ci[1] as number) - (offer.ci[0] as number),
    );

    // The table people read: suppressed figures as <10.
    const text = await runCli("experiment", "analyze", "promo", "--as-of", "2024-02-01", "--db", db);
    expect(text.stdout).toMatch(/tiny\s+<10\s+<10\s+–\s+not-computable/);
    expect(text.stdout).toContain(
      "assigned: control 40 (planned 45%), offer 40 (planned 45%), tiny <10 (planned 10%), holdout <10",
    );

    // The API: an analyst's key, the CLI's document.
    const { key } = await apiKey(db, "analyst");
    const served = await openForServing(db);
    const app = buildServer(served, {
      keys: new Authenticator(served, 0),
      log: () => {},
      internalError: () => {},
    });
    try {
      const post = (url: string, body: unknown) =>
        app.inject({
          method: "POST",
          url,
          headers: { authorization: `Bearer ${key}` },
          payload: body as object,
        });
      const ok = await post("/api/experiments/promo/analyze", { asOf: "2024-02-01" });
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toEqual(a);
      const bad = await post("/api/experiments/nope/analyze", {});
      expect([bad.statusCode, (bad.json() as { error: { code: string } }).error.code]).toEqual([
        404,
        "unknown-experiment",
      ]);
    } finally {
      await app.close();
      await served.close();
    }
  });

  it.runIf(te.name === "duckdb")("names each bad input and changes nothing", async () => {
    const db = await shop();
    const before = await dbSnapshot(db);
    const cases: [string[], string][] = [
      [["nope"], 'id: no experiment "nope"'],
      [["promo", "--engine", "magic"], "--engine"],
      [["promo", "--alpha", "1.5"], '--alpha: expected a number between 0 and 1, got "1.5"'],
      [["promo", "--adjust", "bonferroni"], "--adjust"],
      [["promo", "--by-segment", "vpi"], 'segments: no segment "vpi"'],
      [["promo", "--by-segment", "a,,b"], "--by-segment: a segment id is empty"],
      [["promo", "--metric", "revenue+fast"], 'metric "revenue+fast": "+fast" is not a flag'],
      [
        ["promo", "--metric", "conversion:event=Signed Up"],
        'metric "conversion:event=Signed Up": no event named "Signed Up" in the data',
      ],
      [["promo", "--as-of", "yesterday"], "--as-of"],
    ];
    for (const [args, message] of cases) {
      const r = await runCli("experiment", "analyze", ...args, "--db", db);
      expect([args.join(" "), r.code]).toEqual([args.join(" "), 1]);
      expect(r.stderr).toContain(message);
    }
    expect(await dbSnapshot(db)).toBe(before);
  });
});
