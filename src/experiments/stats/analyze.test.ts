/**
 * The statistics engine against hand-computed cases (the expected numbers below were computed apart, with scipy,
 * from the formulas in each module's header), per-person references computed here from raw arrays (CUPED, the
 * ratio's delta method), textbook multiple-testing examples, properties of the sequential test, and every bad
 * input it handles.
 */
import { describe, expect, it } from "vitest";
import { UserError } from "../../errors.js";
import { adjustPValues, analyzeSummaries } from "./analyze.js";
import { statsInputSchema } from "./input.js";
import type { ArmSummary, Comparison, NotComputable, StatsInput } from "./types.js";

const base: Omit<StatsInput, "arms" | "metric"> = {
  effect: "absolute",
  engine: "frequentist",
  alternative: "two-sided",
  sequential: false,
  alpha: 0.05,
};

/** Sums of raw values. */
function meanArm(name: string, ys: readonly number[]): ArmSummary {
  return {
    name,
    n: ys.length,
    sum: ys.reduce((s, y) => s + y, 0),
    sum_squares: ys.reduce((s, y) => s + y * y, 0),
  };
}

/** A comparison read in tests, computable or not. */
type Either = Omit<Comparison, "computable"> & Omit<NotComputable, "computable"> & { computable: boolean };
const one = (input: Partial<StatsInput> & Pick<StatsInput, "arms">) =>
  analyzeSummaries({ ...base, metric: "mean", ...input }).comparisons[0] as unknown as Either;

/** A seeded uniform draw (mulberry32) and a normal one (Box–Muller). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function normals(seed: number, n: number): number[] {
  const u = rng(seed);
  return Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u()));
}

const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const sampleVar = (xs: readonly number[]) => {
  const m = mean(xs);
  return xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1);
};

describe("Welch's t on a hand-computed case: [1, 2, 3, 4] against [2, 4, 6, 8]", () => {
  const arms = [meanArm("a", [1, 2, 3, 4]), meanArm("b", [2, 4, 6, 8])];
  it("absolute, two-sided: Δ 2.5, se √(25/12), dof 4.41176", () => {
    const c = one({ arms });
    expect(c.effect).toBe(2.5);
    expect(c.se).toBeCloseTo(1.4433756729740645, 12);
    expect(c.dof).toBeCloseTo(4.411764705882353, 10);
    expect(c.p).toBeCloseTo(0.15158050484530375, 9);
    expect(c.ci[0]).toBeCloseTo(-1.364167215486198, 8);
    expect(c.ci[1]).toBeCloseTo(6.364167215486198, 8);
  });
  it("one-sided: greater gives [low, null], less gives [null, high]", () => {
    const g = one({ arms, alternative: "greater" });
    expect(g.p).toBeCloseTo(0.07579025242265187, 9);
    expect(g.ci[0]).toBeCloseTo(-0.4963652572315209, 8);
    expect(g.ci[1]).toBeNull();
    const l = one({ arms, alternative: "less" });
    expect(l.p).toBeCloseTo(0.9242097475773481, 9);
    expect(l.ci[0]).toBeNull();
    expect(l.ci[1]).toBeCloseTo(5.4963652572315205, 8);
    expect(JSON.stringify(g)).not.toMatch(/Infinity/);
  });
  it("relative: +100%, delta-method se 0.7303", () => {
    const c = one({ arms, effect: "relative" });
    expect(c.effect).toBe(1);
    expect(c.se).toBeCloseTo(0.7302967433402215, 12);
    expect(c.p).toBeCloseTo(0.23648064486167233, 9);
    expect(c.absolute_effect).toBe(2.5);
  });
});

describe("Bayesian, GrowthBook's proper prior N(0, 0.3²) on the relative effect", () => {
  const arms: ArmSummary[] = [
    { name: "a", n: 100, sum: 49 },
    { name: "b", n: 100, sum: 51 },
  ];
  const prior = { proper: true, mean: 0, sd: 0.3 };
  it("shrinks the flat posterior (0.04082 ± 0.14725) toward 0", () => {
    const r = analyzeSummaries({
      ...base,
      metric: "proportion",
      arms,
      effect: "relative",
      engine: "bayesian",
      prior,
    });
    const c = r.comparisons[0] as Comparison;
    expect(c.effect).toBeCloseTo(0.03289183777378474, 10);
    expect(c.se).toBeCloseTo(0.13218735835474102, 10);
    expect(c.chance_to_win).toBeCloseTo(0.5982528554529536, 9);
    expect(c.ci[0]).toBeCloseTo(-0.22619062381299748, 8);
    expect(c.ci[1]).toBeCloseTo(0.29197429936056696, 8);
    expect(c.risk?.[0]).toBeCloseTo(0.07080522340131382, 9);
    expect(c.risk?.[1]).toBeCloseTo(0.037913385627529085, 9);
    expect(c.p).toBeUndefined();
    expect(r.adjustment).toBe("none");
  });
  it("on an absolute effect, the prior is scaled by the control's rate: N(0, (0.3·0.49)²)", () => {
    const c = analyzeSummaries({ ...base, metric: "proportion", arms, engine: "bayesian", prior })
      .comparisons[0] as Comparison;
    expect(c.effect).toBeCloseTo(0.016243093922651945, 10);
    expect(c.se).toBeCloseTo(0.06371145243416382, 10);
  });
  it('"less" (lower is better) turns the chance to win and swaps the risks', () => {
    const up = one({ arms, metric: "proportion", engine: "bayesian" });
    const down = one({ arms, metric: "proportion", engine: "bayesian", alternative: "less" });
    expect((up.chance_to_win as number) + (down.chance_to_win as number)).toBeCloseTo(1, 12);
    expect(down.risk).toEqual([up.risk?.[1], up.risk?.[0]]);
  });
});

describe("sequential: GrowthBook's asymptotic confidence sequences (N* = 5000)", () => {
  const arms: ArmSummary[] = [
    { name: "control", n: 3407, sum: 1396.87, sum_squares: 52377.9767 },
    { name: "treatment", n: 3461, sum: 2422.7, sum_squares: 134698.29 },
  ];
  const input = { arms, effect: "relative" as const, sequential: true };
  it("two-sided: the sequence and the always-valid p (hand-computed; p by root-finding the half-width)", () => {
    const c = one(input);
    expect(c.effect).toBeCloseTo(0.7073170731707317, 12);
    expect(c.ci[0]).toBeCloseTo(-0.4444237691289097, 8);
    expect(c.ci[1]).toBeCloseTo(1.859057915470373, 8);
    expect(c.p).toBeCloseTo(0.6986728582483067, 8);
  });
  it("one-sided greater: [low, null] and the closed-form p", () => {
    const c = one({ ...input, alternative: "greater" });
    expect(c.ci[0]).toBeCloseTo(-0.34639397202561084, 8);
    expect(c.ci[1]).toBeNull();
    expect(c.p).toBeCloseTo(0.41230465077678585, 6);
    expect(one({ ...input, alternative: "less" }).p).toBe(1);
  });
  it("is wider than the fixed-horizon interval, its p never smaller, and p < alpha exactly when 0 is outside", () => {
    const u = rng(7);
    for (let k = 0; k < 200; k++) {
      const n = 20 + Math.floor(u() * 50_000);
      const ys = normals(k, 2);
      const a: ArmSummary = { name: "a", n, sum: n * 10, sum_squares: n * 100 + (n - 1) * (1 + u() * 4) };
      const mb = 10 + (ys[0] as number) * 0.2;
      const b: ArmSummary = { name: "b", n, sum: n * mb, sum_squares: n * mb * mb + (n - 1) * (1 + u() * 4) };
      for (const alternative of ["two-sided", "greater", "less"] as const) {
        const fixed = one({ arms: [a, b], alternative });
        const seq = one({ arms: [a, b], alternative, sequential: true });
        expect(seq.p as number).toBeGreaterThanOrEqual((fixed.p as number) - 1e-12);
        if (alternative !== "less") expect(seq.ci[0] as number).toBeLessThan(fixed.ci[0] as number);
        if (alternative !== "greater") expect(seq.ci[1] as number).toBeGreaterThan(fixed.ci[1] as number);
        const excludes =
          (seq.ci[0] ?? Number.NEGATIVE_INFINITY) > 0 || (seq.ci[1] ?? Number.POSITIVE_INFINITY) < 0;
        if (Math.abs((seq.p as number) - 0.05) > 1e-9) expect(excludes).toBe((seq.p as number) < 0.05);
      }
    }
  });
});

describe("CUPED against a per-person reference", () => {
  // y = 2 + 0.8·x + noise, a treatment effect of 0.3 in arm b.
  const arm = (name: string, seed: number, n: number, lift: number) => {
    const x = normals(seed, n).map((v) => 5 + 2 * v);
    const noise = normals(seed + 1000, n);
    const y = x.map((xi, i) => 2 + 0.8 * xi + lift + (noise[i] as number));
    return { name, x, y };
  };
  const raw = [arm("a", 1, 400, 0), arm("b", 2, 380, 0.3), arm("c", 3, 420, 0.1)];
  const arms: ArmSummary[] = raw.map(({ name, x, y }) => ({
    ...meanArm(name, y),
    covariate: {
      sum: x.reduce((s, v) => s + v, 0),
      sum_squares: x.reduce((s, v) => s + v * v, 0),
      sum_products: x.reduce((s, v, i) => s + v * (y[i] as number), 0),
    },
  }));
  // The reference: θ from within-arm deviations pooled over the arms, z = y − θ(x − x̄), per-arm moments of z.
  let sxy = 0;
  let sxx = 0;
  for (const { x, y } of raw) {
    const mx = mean(x);
    const my = mean(y);
    x.forEach((xi, i) => {
      sxy += (xi - mx) * ((y[i] as number) - my);
      sxx += (xi - mx) ** 2;
    });
  }
  const theta = sxy / sxx;
  const xbar = mean(raw.flatMap((r) => r.x));
  const z = raw.map(({ x, y }) => y.map((yi, i) => yi - theta * ((x[i] as number) - xbar)));

  it("θ, the adjusted values, effects and standard errors match the per-person computation", () => {
    const r = analyzeSummaries({ ...base, metric: "mean", arms });
    expect(r.cuped_theta).toBeCloseTo(theta, 10);
    const [za, zb, zc] = z as [number[], number[], number[]];
    for (const [k, zv] of [
      [0, zb],
      [1, zc],
    ] as const) {
      const c = r.comparisons[k] as Comparison;
      expect(c.control_value).toBeCloseTo(mean(za), 10);
      expect(c.value).toBeCloseTo(mean(zv), 10);
      expect(c.effect).toBeCloseTo(mean(zv) - mean(za), 10);
      expect(c.se).toBeCloseTo(Math.sqrt(sampleVar(zv) / zv.length + sampleVar(za) / za.length), 10);
    }
    const rel = analyzeSummaries({ ...base, metric: "mean", arms, effect: "relative" })
      .comparisons[0] as Comparison;
    expect(rel.effect).toBeCloseTo(mean(zb) / mean(za) - 1, 10);
  });
  it("reduces the standard error against the unadjusted analysis", () => {
    const plain = one({ arms: arms.map(({ covariate: _, ...a }) => a) });
    const adjusted = one({ arms });
    expect(adjusted.se).toBeLessThan(plain.se * 0.7);
  });
});

describe("a ratio metric (delta method) against a per-person reference", () => {
  const u = rng(11);
  const person = (lift: number) => {
    const d = 1 + Math.floor(u() * 5);
    return { d, y: d * (2 + lift) * (0.5 + u()) };
  };
  const people = [
    Array.from({ length: 300 }, () => person(0)),
    Array.from({ length: 320 }, () => person(0.2)),
  ];
  const arms: ArmSummary[] = people.map((ps, i) => ({
    name: `arm${i}`,
    n: ps.length,
    sum: ps.reduce((s, p) => s + p.y, 0),
    sum_squares: ps.reduce((s, p) => s + p.y * p.y, 0),
    denominator: {
      sum: ps.reduce((s, p) => s + p.d, 0),
      sum_squares: ps.reduce((s, p) => s + p.d * p.d, 0),
      sum_products: ps.reduce((s, p) => s + p.d * p.y, 0),
    },
  }));
  it("Σy/Σd per arm, variance of the linearised (y − R·d)/d̄", () => {
    const c = analyzeSummaries({ ...base, metric: "ratio", arms }).comparisons[0] as Comparison;
    const [ra, rb] = people.map((ps) => {
      const r = ps.reduce((s, p) => s + p.y, 0) / ps.reduce((s, p) => s + p.d, 0);
      const dbar = mean(ps.map((p) => p.d));
      const lin = ps.map((p) => (p.y - r * p.d) / dbar);
      return { r, v: sampleVar(lin) / ps.length };
    }) as [{ r: number; v: number }, { r: number; v: number }];
    expect(c.control_value).toBeCloseTo(ra.r, 12);
    expect(c.value).toBeCloseTo(rb.r, 12);
    expect(c.se).toBeCloseTo(Math.sqrt(ra.v + rb.v), 10);
  });
});

describe("multiple testing", () => {
  it("Holm on a hand example: [0.01, 0.04, 0.03, 0.005] → [0.03, 0.06, 0.06, 0.02]", () => {
    const adj = adjustPValues([0.01, 0.04, 0.03, 0.005], "holm") as number[];
    for (const [i, x] of [0.03, 0.06, 0.06, 0.02].entries()) expect(adj[i]).toBeCloseTo(x, 12);
    expect(adjustPValues([0.01, null, 0.02], "holm")).toEqual([0.02, null, 0.02]);
  });
  // Benjamini & Hochberg (1995), section 4: 15 p-values; at q = 0.05 BH rejects 4, Bonferroni (and Holm) 3.
  const bh1995 = [
    0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.324, 0.4262, 0.5719, 0.6528,
    0.759, 1,
  ];
  it("Benjamini–Hochberg on the paper's own example: 4 discoveries; Holm: 3", () => {
    const bh = adjustPValues(bh1995, "benjamini-hochberg") as number[];
    expect(bh.filter((p) => p <= 0.05)).toHaveLength(4);
    expect((adjustPValues(bh1995, "holm") as number[]).filter((p) => p <= 0.05)).toHaveLength(3);
    // The definition itself, min over j ≥ i of m·p₍ⱼ₎/j (the list is sorted).
    const m = bh1995.length;
    for (let i = 0; i < m; i++)
      expect(bh[i]).toBeCloseTo(Math.min(1, ...bh1995.slice(i).map((p, k) => (m * p) / (i + k + 1))), 12);
  });
  it("the analysis adjusts over the variants: Holm by default with three arms, none with two", () => {
    const arms = [
      meanArm("a", [1, 2, 3, 4, 5]),
      meanArm("b", [2, 3, 4, 5, 9]),
      meanArm("c", [3, 4, 5, 6, 7]),
    ];
    const r = analyzeSummaries({ ...base, metric: "mean", arms });
    expect(r.adjustment).toBe("holm");
    const ps = r.comparisons.map((c) => (c as Comparison).p as number);
    const want = adjustPValues(ps, "holm");
    for (const [i, c] of r.comparisons.entries()) expect((c as Comparison).p_adjusted).toBe(want[i]);
    expect(analyzeSummaries({ ...base, metric: "mean", arms: arms.slice(0, 2) }).adjustment).toBe("none");
    expect(
      analyzeSummaries({ ...base, metric: "mean", arms, adjustment: "benjamini-hochberg" }).adjustment,
    ).toBe("benjamini-hochberg");
  });
});

describe("what cannot be computed says why; malformed sums are the caller's error", () => {
  const ok = meanArm("a", [1, 2, 3, 4]);
  const cases: [string, ArmSummary[], Partial<StatsInput>, RegExp][] = [
    ["n ≤ 1 in a variant", [ok, { name: "b", n: 1, sum: 3, sum_squares: 9 }], {}, /b has n = 1/],
    ["n = 0 (a variant with no data)", [ok, { name: "b", n: 0, sum: 0, sum_squares: 0 }], {}, /b has n = 0/],
    [
      "n ≤ 1 in the control",
      [
        { name: "a", n: 1, sum: 3, sum_squares: 9 },
        { ...ok, name: "b" },
      ],
      {},
      /control: arm a has n = 1/,
    ],
    ["zero variance in both arms", [meanArm("a", [2, 2, 2]), meanArm("b", [3, 3, 3])], {}, /zero variance/],
    [
      "a control mean of 0 with a relative effect",
      [meanArm("a", [-1, 1, 0]), { ...ok, name: "b" }],
      { effect: "relative" },
      /value is 0/,
    ],
    [
      "a ratio whose denominator sums to 0",
      [
        { ...ok, denominator: { sum: 0, sum_squares: 0, sum_products: 0 } },
        { ...ok, name: "b", denominator: { sum: 4, sum_squares: 4, sum_products: 10 } },
      ],
      { metric: "ratio" },
      /denominator sum of 0/,
    ],
  ];
  for (const [what, arms, extra, reason] of cases)
    it(`${what}: not computable, with the reason`, () => {
      const r = analyzeSummaries({ ...base, metric: "mean", arms, ...extra });
      const c = r.comparisons[0] as NotComputable;
      expect(c.computable).toBe(false);
      expect(c.reason).toMatch(reason);
      expect(c.verdict).toBe("not-computable");
      expect(JSON.stringify(r)).not.toMatch(/NaN|Infinity|null,null/);
    });
  it("one arm with zero variance is fine (Welch's dof from the other)", () => {
    const c = one({ arms: [meanArm("a", [2, 2, 2]), { ...ok, name: "b" }] });
    expect(c.computable).toBe(true);
    expect(c.dof).toBeCloseTo(3, 12);
  });
  it("a variance lost to rounding is 0, a negative one beyond rounding is an error naming the path", () => {
    const rounding = { name: "b", n: 3, sum: 3e6, sum_squares: 3e12 * (1 - 1e-12) };
    expect(one({ arms: [ok, rounding] }).computable).toBe(true);
    const bad: ArmSummary = { name: "b", n: 3, sum: 30, sum_squares: 100 };
    expect(() => one({ arms: [ok, bad] })).toThrow(UserError);
    expect(() => one({ arms: [ok, bad] })).toThrow("arms[1].sum_squares: less than sum²/n");
  });
  const schemaCases: [string, unknown, string][] = [
    [
      "conversions above n",
      {
        metric: "proportion",
        arms: [
          { name: "a", n: 10, sum: 3 },
          { name: "b", n: 10, sum: 11 },
        ],
      },
      "arms.1.sum",
    ],
    [
      "a negative sum of squares",
      { metric: "mean", arms: [{ name: "a", n: 2, sum: 0, sum_squares: -1 }, ok] },
      "arms.0.sum_squares",
    ],
    [
      "a mean without sums of squares",
      { metric: "mean", arms: [ok, { name: "b", n: 3, sum: 2 }] },
      "arms.1.sum_squares",
    ],
    ["a fractional n", { metric: "mean", arms: [ok, { ...ok, name: "b", n: 2.5 }] }, "arms.1.n"],
    ["one arm", { metric: "mean", arms: [ok] }, "arms"],
    ["two arms of one name", { metric: "mean", arms: [ok, ok] }, "arms.1.name"],
    [
      "weights of another length",
      { metric: "mean", arms: [ok, { ...ok, name: "b" }], weights: [1, 1, 1] },
      "weights",
    ],
    ["a zero weight", { metric: "mean", arms: [ok, { ...ok, name: "b" }], weights: [1, 0] }, "weights.1"],
    ["alpha 1", { metric: "mean", arms: [ok, { ...ok, name: "b" }], alpha: 1 }, "alpha"],
    [
      "sequential Bayesian",
      { metric: "mean", arms: [ok, { ...ok, name: "b" }], engine: "bayesian", sequential: true },
      "sequential",
    ],
    [
      "a covariate on one arm only",
      {
        metric: "mean",
        arms: [
          { ...ok, covariate: { sum: 1, sum_squares: 1, sum_products: 1 } },
          { ...ok, name: "b" },
        ],
      },
      "arms.1.covariate",
    ],
    [
      "a ratio without a denominator",
      { metric: "ratio", arms: [ok, { ...ok, name: "b" }] },
      "arms.0.denominator",
    ],
    ["an unknown metric", { metric: "median", arms: [ok, { ...ok, name: "b" }] }, "metric"],
    ["a prior sd of 0", { metric: "mean", arms: [ok, { ...ok, name: "b" }], prior: { sd: 0 } }, "prior.sd"],
    [
      "Infinity as a number",
      { metric: "mean", arms: [ok, { ...ok, name: "b", sum: Number.POSITIVE_INFINITY }] },
      "arms.1.sum",
    ],
  ];
  for (const [what, input, path] of schemaCases)
    it(`the schema refuses ${what}, naming ${path}`, () => {
      const r = statsInputSchema.safeParse(input);
      expect(r.success).toBe(false);
      expect(r.error?.issues[0]?.path.join(".")).toBe(path);
    });
  it("the schema fills the defaults", () => {
    const r = statsInputSchema.parse({ metric: "mean", arms: [ok, { ...ok, name: "b" }] });
    expect(r).toMatchObject({
      effect: "relative",
      engine: "frequentist",
      alternative: "two-sided",
      sequential: false,
      alpha: 0.05,
    });
    expect(r.adjustment).toBeUndefined();
    expect(
      statsInputSchema.parse({ metric: "mean", arms: [ok, { ...ok, name: "b" }], prior: { proper: true } })
        .prior,
    ).toEqual({ proper: true, mean: 0, sd: 0.3 });
  });
  it("huge sums give a not-computable comparison or finite numbers, never NaN or Infinity", () => {
    const big = [
      { name: "a", n: 2, sum: 1e300, sum_squares: 1e300 },
      { name: "b", n: 2, sum: -1e300, sum_squares: 1e308 },
    ];
    for (const engine of ["frequentist", "bayesian"] as const)
      for (const effect of ["absolute", "relative"] as const)
        expect(
          JSON.stringify(analyzeSummaries({ ...base, metric: "mean", arms: big, engine, effect })),
        ).not.toMatch(/NaN|Infinity/);
  });
});

describe("verdicts", () => {
  const arms = [meanArm("a", [1, 2, 3, 4, 5, 6]), meanArm("b", [7, 8, 9, 10, 11, 12])];
  it("a clear winner, a clear loser, and the SRM overriding both", () => {
    expect(one({ arms }).verdict).toBe("winner");
    expect(one({ arms: [arms[1], arms[0]] as ArmSummary[] }).verdict).toBe("loser");
    expect(one({ arms, alternative: "less" }).verdict).toBe("inconclusive");
    expect(one({ arms, engine: "bayesian" }).verdict).toBe("winner");
    const skewed = [
      meanArm(
        "a",
        Array.from({ length: 900 }, (_, i) => i % 7),
      ),
      meanArm(
        "b",
        Array.from({ length: 1100 }, (_, i) => i % 5),
      ),
    ];
    const r = analyzeSummaries({ ...base, metric: "mean", arms: skewed, weights: [1, 1] });
    expect(r.srm?.mismatch).toBe(true);
    expect(r.comparisons[0]?.verdict).toBe("srm-invalid");
  });
});
