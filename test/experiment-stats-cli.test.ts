/**
 * `tessera experiment stats --input FILE [--json]` as a user runs it: the table and its verdict lines, the JSON
 * document of the issue, and bad files (exit 1, the message naming the file and the JSON path). No database is
 * opened or created.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openForServing } from "../src/operations/index.js";
import { buildServer } from "../src/server/app.js";
import { Authenticator } from "../src/server/authenticator.js";
import { apiKey, emptyDb, runCli, tempDir, writeFile } from "./helpers.js";

const dir = tempDir();
const file = (name: string, content: unknown) =>
  writeFile(dir, name, typeof content === "string" ? content : JSON.stringify(content));

// GrowthBook's two-sided relative case, plus a third arm.
const three = {
  metric: "mean",
  arms: [
    { name: "control", n: 3407, sum: 1396.87, sum_squares: 52377.9767 },
    { name: "offer-a", n: 3461, sum: 2422.7, sum_squares: 134698.29 },
    { name: "offer-b", n: 3380, sum: 2900.2, sum_squares: 160001.3 },
  ],
  weights: [1, 1, 1],
};

describe("tessera experiment stats", () => {
  const db = join(dir, "none.duckdb");

  it("--json: the issue's document (comparisons with effect, ci, p; srm with chi2 and p)", async () => {
    const r = await runCli("experiment", "stats", "--input", file("three.json", three), "--json", "--db", db);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.comparisons.map((c: { variant: string }) => c.variant)).toEqual(["offer-a", "offer-b"]);
    const a = out.comparisons[0];
    expect(a.effect).toBeCloseTo(0.70732, 5);
    expect(a.ci).toHaveLength(2);
    expect(a.p).toBeCloseTo(0.06191, 5);
    expect(a.p_adjusted).toBeGreaterThanOrEqual(a.p);
    expect(out.adjustment).toBe("holm");
    expect(Object.keys(out.srm)).toEqual(expect.arrayContaining(["chi2", "p"]));
    // A stats file needs no database: none was made.
    expect(existsSync(db)).toBe(false);
  });

  it("the table: per variant n, value, effect with interval, p; a verdict line each; the SRM check", async () => {
    const r = await runCli("experiment", "stats", "--input", file("three2.json", three), "--db", db);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/offer-a\s+3,461\s+0\.7\s+\+70\.73%\s+\[-3\.53%, \+144\.99%\]\s+0\.0619/);
    expect(r.stdout).toMatch(/offer-b wins: \+\d+\.\d+% against control \(95% CI/);
    expect(r.stdout).toMatch(/offer-a: inconclusive/);
    expect(r.stdout).toMatch(/sample-ratio check: .*matches the plan/);
  });

  it("Bayesian, one-sided: chance to win and risk; an open interval end shown as ∞ and null in JSON", async () => {
    const f = file("bayes.json", {
      metric: "proportion",
      arms: [
        { name: "control", n: 100, sum: 49 },
        { name: "b", n: 100, sum: 51 },
      ],
      engine: "bayesian",
    });
    const text = await runCli("experiment", "stats", "--input", f);
    expect(text.stdout).toMatch(/60\.9%/);
    expect(text.stdout).toMatch(/chance to win/);
    const g = file("greater.json", { ...three, alternative: "greater" });
    const json = JSON.parse((await runCli("experiment", "stats", "--input", g, "--json")).stdout);
    expect(json.comparisons[0].ci[1]).toBeNull();
    expect((await runCli("experiment", "stats", "--input", g)).stdout).toMatch(/\+∞\]/);
  });

  const bad: [string, string | object, RegExp][] = [
    ["no such file", "", /cannot read .*no such file/],
    ["text that is no JSON", "{not json", /bad\.json: not JSON/],
    [
      "conversions above n",
      {
        metric: "proportion",
        arms: [
          { name: "a", n: 10, sum: 3 },
          { name: "b", n: 10, sum: 12 },
        ],
      },
      /bad\.json: arms\[1\]\.sum: 12 conversions out of 10 people/,
    ],
    [
      "a negative variance",
      {
        metric: "mean",
        arms: [
          { name: "a", n: 3, sum: 30, sum_squares: 100 },
          { name: "b", n: 3, sum: 3, sum_squares: 5 },
        ],
      },
      /bad\.json: arms\[0\]\.sum_squares: less than sum²\/n/,
    ],
    ["an unknown field", { ...three, colour: "red" }, /bad\.json: colour: unknown field/],
    [
      "a mistyped n",
      {
        metric: "mean",
        arms: [
          { name: "a", n: "ten", sum: 1, sum_squares: 1 },
          { name: "b", n: 2, sum: 1, sum_squares: 1 },
        ],
      },
      /bad\.json: arms\[0\]\.n:/,
    ],
  ];
  for (const [what, content, message] of bad)
    it(`a bad file (${what}): exit 1, the message names the file and the path`, async () => {
      const path = what === "no such file" ? join(dir, "missing.json") : file("bad.json", content);
      const r = await runCli("experiment", "stats", "--input", path);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(message);
    });
});

describe("POST /api/experiments/stats", () => {
  it("answers the CLI's --json document to an analyst; a bad body is a 400 naming the field", async () => {
    const db = await emptyDb(join(tempDir(), "api.duckdb"));
    const { key } = await apiKey(db, "analyst");
    const store = await openForServing(db);
    const app = buildServer(store, { keys: new Authenticator(store, 0) });
    try {
      const post = (body: unknown) =>
        app.inject({
          method: "POST",
          url: "/api/experiments/stats",
          payload: JSON.stringify(body),
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        });
      const ok = await post(three);
      expect(ok.statusCode).toBe(200);
      const cli = await runCli("experiment", "stats", "--input", file("api.json", three), "--json");
      expect(ok.json()).toEqual(JSON.parse(cli.stdout));
      const bad = await post({ ...three, arms: [three.arms[0], { ...three.arms[1], sum_squares: 1 }] });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error).toMatchObject({
        message: expect.stringMatching(/negative variance/),
        path: expect.stringMatching(/arms\.1\.sum_squares/),
      });
    } finally {
      await app.close();
      await store.close();
    }
  });
});
