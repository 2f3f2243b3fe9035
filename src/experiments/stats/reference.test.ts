/**
 * GrowthBook's own test cases (`../shared/data/abtest-reference/cases.json`, read there, never copied) reproduced to
 * 5 decimals (SRM to 9), as the upstream tests compare them: both sides rounded.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SHARED_DATA } from "../../../test/helpers.js";
import { analyzeSummaries } from "./analyze.js";
import { srmCheck } from "./srm.js";
import type { ArmSummary, Comparison, StatsInput } from "./types.js";

interface Stat {
  readonly type: "SampleMeanStatistic" | "ProportionStatistic";
  readonly sum: number;
  readonly sum_squares?: number;
  readonly n: number;
}
interface Case {
  readonly id: string;
  readonly kind: string;
  readonly inputs: {
    control?: Stat;
    treatment?: Stat;
    difference_type?: "relative" | "absolute";
    alpha?: number;
    users?: number[];
    weights?: number[];
  };
  readonly expected: Record<string, unknown>;
}

const file = join(SHARED_DATA, "abtest-reference", "cases.json");
const cases = (JSON.parse(readFileSync(file, "utf8")) as { cases: Case[] }).cases;

const round = (x: number, d: number) => Number(x.toFixed(d));
/** Equal after rounding both to `d` decimals (the upstream tests' comparison). */
function same(actual: number | null, expected: unknown, d = 5): void {
  if (expected === "inf" || expected === "-inf") {
    expect(actual).toBeNull();
    return;
  }
  expect(actual).not.toBeNull();
  expect(round(actual as number, d)).toBe(round(expected as number, d));
}

function armOf(name: string, s: Stat): ArmSummary {
  return {
    name,
    n: s.n,
    sum: s.sum,
    ...(s.sum_squares !== undefined ? { sum_squares: s.sum_squares } : {}),
  };
}

function inputOf(c: Case): StatsInput {
  const { control, treatment } = c.inputs;
  if (!control || !treatment) throw new Error(`case ${c.id} has no arms`);
  return {
    metric: control.type === "ProportionStatistic" ? "proportion" : "mean",
    arms: [armOf("control", control), armOf("treatment", treatment)],
    effect: c.inputs.difference_type ?? "relative",
    engine: c.kind.startsWith("Bayesian") ? "bayesian" : "frequentist",
    alternative: c.kind.includes("one-sided (treatment greater)") ? "greater" : "two-sided",
    sequential: false,
    alpha: c.inputs.alpha ?? 0.05,
  };
}

describe("GrowthBook's reference cases", () => {
  it("the file holds the seven cases the tests below expect", () => {
    expect(cases.map((c) => c.id)).toEqual([
      "gbstats-welch-relative",
      "gbstats-welch-absolute",
      "gbstats-welch-proportion-relative",
      "gbstats-one-sided-greater-relative",
      "gbstats-bayes-binomial",
      "gbstats-bayes-gaussian",
      "gbstats-srm-chisq",
    ]);
  });

  for (const c of cases.filter((x) => x.inputs.control)) {
    it(`${c.id}: ${c.kind}`, () => {
      const input = inputOf(c);
      const r = analyzeSummaries(input);
      const cmp = r.comparisons[0] as Comparison;
      expect(cmp.computable).toBe(true);
      const e = c.expected;
      same(cmp.effect, e.expected);
      same(cmp.se, e.uplift_stddev);
      const ci = e.ci as unknown[];
      same(cmp.ci[0], ci[0]);
      same(cmp.ci[1], ci[1]);
      if (input.engine === "frequentist") {
        same(cmp.p as number, e.pValue);
      } else {
        same(cmp.chance_to_win as number, e.chanceToWin);
        const risk = e.risk as number[];
        same(cmp.risk?.[0] as number, risk[0]);
        same(cmp.risk?.[1] as number, risk[1]);
      }
      // Never Infinity, in JSON too: a one-sided interval's open end is null.
      expect(JSON.stringify(r)).not.toMatch(/Infinity|NaN/);
    });
  }

  it("gbstats-srm-chisq: the SRM p-value to 9 decimals, through the analysis too", () => {
    const c = cases.find((x) => x.id === "gbstats-srm-chisq") as Case;
    const users = c.inputs.users as number[];
    const weights = c.inputs.weights as number[];
    const srm = srmCheck(users, weights);
    same(srm?.p ?? null, c.expected.p_value, 9);
    expect(srm?.chi2).toBeCloseTo(18.181818181818183, 12);
    const r = analyzeSummaries({
      metric: "proportion",
      arms: users.map((n, i) => ({ name: `arm${i}`, n, sum: Math.round(n / 10) })),
      weights,
      effect: "relative",
      engine: "frequentist",
      alternative: "two-sided",
      sequential: false,
      alpha: 0.05,
    });
    same(r.srm?.p ?? null, c.expected.p_value, 9);
    expect(r.srm?.mismatch).toBe(true);
    expect(r.comparisons[0]?.verdict).toBe("srm-invalid");
  });
});
