import { describe, expect, it } from "vitest";
import { UserError } from "../errors.js";
import { budgetPolicy, decideSpend, PrivacyBudget, periodOf, spentIn } from "./budget.js";
import { noisyCount, noisyCountZcdp, type PrivacyCost } from "./noise-mechanisms.js";
import { seededRandomSource } from "./random.js";
import { fromNumber, rational } from "./rational.js";

const eps = (x: number): PrivacyCost => ({ unit: "epsilon", amount: fromNumber(x) });

/** A clock the test moves by hand. */
function clockAt(iso: string): { now: () => Date; set: (iso: string) => void } {
  let t = new Date(iso);
  return { now: () => t, set: (s) => (t = new Date(s)) };
}

function refusal(f: () => unknown): UserError {
  try {
    f();
  } catch (e) {
    if (e instanceof UserError) return e;
    throw e;
  }
  throw new Error("expected a refusal");
}

describe("privacy budget", () => {
  it("spends ε exactly: 0.1 + 0.2 fill a budget of 0.3 to the last digit", () => {
    const clock = clockAt("2025-06-10T12:00:00Z");
    const budget = new PrivacyBudget(budgetPolicy("epsilon", 0.3, "month"), { clock: clock.now });
    budget.spend("analyst:ana", eps(0.1));
    const second = budget.spend("analyst:ana", eps(0.2), "KPI report");
    expect(second).toEqual({
      key: "analyst:ana",
      period: "2025-06",
      unit: "epsilon",
      amount: rational(1, 5),
      at: "2025-06-10T12:00:00.000Z",
      purpose: "KPI report",
    });
    expect(budget.remaining("analyst:ana")).toEqual(rational(0));
  });

  it("refuses once spent, showing the budget, what is spent and what was asked, and records nothing", () => {
    const clock = clockAt("2025-06-10T12:00:00Z");
    const budget = new PrivacyBudget(budgetPolicy("epsilon", 1, "month"), { clock: clock.now });
    budget.spend("analyst:ana", eps(0.9));
    const e = refusal(() => budget.spend("analyst:ana", eps(0.2)));
    expect(e.code).toBe("privacy-budget-spent");
    expect(e.where).toBe('privacy budget "analyst:ana" (2025-06)');
    expect(e.reason).toBe(
      "budget ε = 1 per month, 0.9 spent, this release asks 0.2: only 0.1 is left, so it is refused; " +
        "it renews next month",
    );
    expect(budget.spends).toHaveLength(1);
    // What is left can still be spent, and then nothing more.
    budget.spend("analyst:ana", eps(0.1));
    expect(refusal(() => budget.spend("analyst:ana", eps(0.000001))).reason).toContain("nothing is left");
  });

  it("keeps keys apart", () => {
    const budget = new PrivacyBudget(budgetPolicy("epsilon", 1, "day"), {
      clock: () => new Date("2025-01-01"),
    });
    budget.spend("a", eps(1));
    expect(budget.remaining("b")).toEqual(rational(1));
    budget.spend("b", eps(0.5));
    expect(budget.spent("a")).toEqual(rational(1));
  });

  it("starts afresh in the next period (UTC), and the old period's spends stay on record", () => {
    const clock = clockAt("2025-06-30T23:59:59.999Z");
    const budget = new PrivacyBudget(budgetPolicy("epsilon", 1, "month"), { clock: clock.now });
    budget.spend("k", eps(1));
    expect(() => budget.spend("k", eps(0.5))).toThrow(UserError);
    clock.set("2025-07-01T00:00:00Z");
    expect(budget.remaining("k")).toEqual(rational(1));
    expect(budget.spend("k", eps(0.5)).period).toBe("2025-07");
    expect(budget.spends.map((s) => s.period)).toEqual(["2025-06", "2025-07"]);
  });

  it("a lifetime budget never renews", () => {
    const clock = clockAt("2025-06-30T00:00:00Z");
    const budget = new PrivacyBudget(budgetPolicy("rho", 0.5, "lifetime"), { clock: clock.now });
    budget.spend("k", { unit: "rho", amount: rational(1, 2) });
    clock.set("2031-01-01T00:00:00Z");
    const e = refusal(() => budget.spend("k", { unit: "rho", amount: rational(1, 100) }));
    expect(e.reason).toBe(
      "budget ρ = 0.5 per lifetime, 0.5 spent, this release asks 0.01: nothing is left, so it is refused",
    );
  });

  it("adds ρ under zCDP, charging exactly what the mechanism reports", () => {
    const budget = new PrivacyBudget(budgetPolicy("rho", 0.1, "week"), {
      clock: () => new Date("2025-03-05"),
    });
    const source = seededRandomSource(1);
    for (let i = 0; i < 4; i++) budget.spend("k", noisyCountZcdp(100, 0.025, source).cost);
    expect(budget.remaining("k")).toEqual(rational(0));
    expect(refusal(() => budget.spend("k", noisyCountZcdp(100, 0.025, source).cost)).code).toBe(
      "privacy-budget-spent",
    );
  });

  it("refuses a release in the other unit rather than convert it", () => {
    const budget = new PrivacyBudget(budgetPolicy("epsilon", 1, "day"));
    const e = refusal(() => budget.spend("k", noisyCountZcdp(5, 0.1, seededRandomSource(2)).cost));
    expect(e.code).toBe("privacy-budget-unit");
    expect(e.reason).toContain("counts ε");
    expect(budget.spend("k", noisyCount(5, 0.1, seededRandomSource(2)).cost).amount).toEqual(rational(1, 10));
  });

  it("is state a ledger table can hold: reloading the rows gives the same remaining budget", () => {
    const clock = clockAt("2025-06-10T12:00:00Z");
    const policy = budgetPolicy("epsilon", 2, "year");
    const first = new PrivacyBudget(policy, { clock: clock.now });
    first.spend("k", eps(0.75));
    first.spend("other", eps(1));
    const rows = JSON.parse(JSON.stringify(first.spends, (_k, v) => (typeof v === "bigint" ? String(v) : v)));
    const reloaded = new PrivacyBudget(policy, {
      clock: clock.now,
      spends: rows.map((r: { amount: { num: string; den: string } }) => ({
        ...r,
        amount: rational(BigInt(r.amount.num), BigInt(r.amount.den)),
      })),
    });
    expect(reloaded.remaining("k")).toEqual(rational(5, 4));
    expect(spentIn(reloaded.spends, "other", "2025")).toEqual(rational(1));
  });

  it("refuses to count a ledger whose spends are in the other unit", () => {
    const row = {
      key: "k",
      period: "2025",
      unit: "rho" as const,
      amount: rational(1, 10),
      at: "2025-01-01T00:00:00Z",
    };
    const e = refusal(() => new PrivacyBudget(budgetPolicy("epsilon", 1, "year"), { spends: [row] }));
    expect(e.code).toBe("privacy-budget-unit");
  });

  it("decideSpend is pure: it answers without recording", () => {
    const policy = budgetPolicy("epsilon", 1, "day");
    const at = new Date("2025-02-03T10:00:00Z");
    const yes = decideSpend(policy, "k", rational(1, 2), eps(0.5), at);
    expect(yes.ok && yes.remaining).toEqual(rational(0));
    const no = decideSpend(policy, "k", rational(1, 2), eps(0.6), at);
    expect(no.ok).toBe(false);
  });
});

describe("budget settings", () => {
  it("refuse a total that is not a positive, finite number up to 1000", () => {
    for (const total of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 1001]) {
      const e = refusal(() => budgetPolicy("epsilon", total, "month"));
      expect(e.code).toBe("bad-privacy-budget");
      expect(e.where).toBe("epsilon budget");
    }
    expect(refusal(() => budgetPolicy("rho", 1, "fortnight" as "week")).reason).toContain("fortnight");
  });
});

describe("periods", () => {
  it("are UTC days, ISO weeks, months and years", () => {
    const at = new Date("2025-06-10T23:30:00-02:00"); // 2025-06-11T01:30Z
    expect(periodOf(at, "day")).toBe("2025-06-11");
    expect(periodOf(at, "month")).toBe("2025-06");
    expect(periodOf(at, "year")).toBe("2025");
    expect(periodOf(at, "lifetime")).toBe("lifetime");
  });

  it("numbers weeks as ISO 8601 does, across year ends", () => {
    const cases: [string, string][] = [
      ["2021-01-03", "2020-W53"], // a Sunday still in the last week of 2020
      ["2021-01-04", "2021-W01"],
      ["2024-12-30", "2025-W01"], // a Monday already in the first week of 2025
      ["2025-06-10", "2025-W24"],
      ["2026-12-31", "2026-W53"],
      ["2027-01-01", "2026-W53"],
    ];
    for (const [day, week] of cases) expect(periodOf(new Date(`${day}T12:00:00Z`), "week")).toBe(week);
  });
});
