import { afterEach, describe, expect, it } from "vitest";
import { TEST_ENGINES } from "../../test/engines.js";
import { isUserError } from "../errors.js";
import { openSession } from "../store/open-store.js";
import { sql } from "../store/sql.js";
import type { Session } from "../store/store.js";
import { spentIn } from "./budget.js";
import {
  chargeReport,
  KnownSpends,
  ledgerSpends,
  ledgerSpent,
  PAID_AHEAD,
  payAhead,
  useAhead,
} from "./budget-ledger.js";
import { noisyCounts, noisyGatedCounts } from "./dp-release.js";
import { seededRandomSource } from "./random.js";
import { formatRational } from "./rational.js";

const SETTINGS = { dp_epsilon_per_query: "0.3", dp_budget: "1", dp_period: "month" as const };
const JUNE = new Date("2026-06-15T12:00:00Z");

describe.each(TEST_ENGINES)("the privacy budget ledger on $name", ({ location }) => {
  let engine: Session | undefined;
  afterEach(() => {
    engine?.close();
    engine = undefined;
  });

  it("charges each report ε exactly, refuses the one that would pass the budget (showing it), and writes nothing then", async () => {
    engine = await openSession(location());
    const e = engine;
    // 0.3 three times is 0.9 exactly (rationals, not 0.8999…); a fourth would be 1.2 > 1.
    for (const left of ["0.7", "0.4", "0.1"])
      expect(await chargeReport(e, "key k1", "kpis", SETTINGS, JUNE)).toMatchObject({
        key: "key k1",
        period: "2026-06",
        remaining: left,
      });
    const refused = await chargeReport(e, "key k1", "kpis", SETTINGS, JUNE).catch((x: unknown) => x);
    expect(isUserError(refused)).toBe(true);
    expect((refused as Error).message).toContain("budget ε = 1 per month, 0.9 spent, this release asks 0.3");
    expect(await ledgerSpends(e, "key k1", "2026-06")).toHaveLength(3);
    // Another caller, and the same caller next month, have budgets of their own.
    expect((await chargeReport(e, "key k2", "kpis", SETTINGS, JUNE)).remaining).toBe("0.7");
    expect((await chargeReport(e, "key k1", "kpis", SETTINGS, new Date("2026-07-01T00:00:00Z"))).period).toBe(
      "2026-07",
    );
    const spends = await ledgerSpends(e, "key k1", "2026-06");
    expect(spends.map((s) => [s.unit, `${s.amount.num}/${s.amount.den}`])).toEqual([
      ["epsilon", "3/10"],
      ["epsilon", "3/10"],
      ["epsilon", "3/10"],
    ]);
  });

  it("adds spends of different amounts exactly (the setting changed within the period)", async () => {
    engine = await openSession(location());
    const e = engine;
    for (const epsilon of ["0.3", "0.3", "0.25", "0.05"])
      await chargeReport(e, "key k3", "kpis", { ...SETTINGS, dp_epsilon_per_query: epsilon }, JUNE);
    // 0.3 + 0.3 + 0.25 + 0.05 = 0.9: what every spend read one by one adds up to.
    expect(formatRational(await ledgerSpent(e, "key k3", "2026-06"))).toBe("0.9");
    expect(await ledgerSpent(e, "key k3", "2026-06")).toEqual(
      spentIn(await ledgerSpends(e, "key k3", "2026-06"), "key k3", "2026-06"),
    );
    const refused = await chargeReport(
      e,
      "key k3",
      "kpis",
      { ...SETTINGS, dp_epsilon_per_query: "0.2" },
      JUNE,
    ).catch((x: unknown) => x);
    expect((refused as Error).message).toContain("0.9 spent, this release asks 0.2");
    expect(formatRational(await ledgerSpent(e, "key k3", "2026-07"))).toBe("0");
  });

  it("keeps a store's spent totals as the ledger has them: read once, then added to by each charge", async () => {
    engine = await openSession(location());
    const e = engine;
    // Spent before the totals were kept: read from the ledger at the first charge.
    await chargeReport(e, "key k4", "kpis", SETTINGS, JUNE);
    const known = new KnownSpends();
    for (const left of ["0.4", "0.1"])
      expect((await chargeReport(e, "key k4", "kpis", SETTINGS, JUNE, known)).remaining).toBe(left);
    expect(await known.spent(e, "key k4", "2026-06")).toEqual(await ledgerSpent(e, "key k4", "2026-06"));
    const refused = await chargeReport(e, "key k4", "kpis", SETTINGS, JUNE, known).catch((x: unknown) => x);
    expect((refused as Error).message).toContain("0.9 spent, this release asks 0.3");
    expect(formatRational(await ledgerSpent(e, "key k4", "2026-06"))).toBe("0.9");
  });

  it("records the next report's ε ahead, and a report uses it: renamed after it, never past the budget", async () => {
    engine = await openSession(location());
    const e = engine;
    const rows = async () =>
      (
        await e.query(
          sql`SELECT operation, amount FROM privacy_budget_ledger WHERE budget_key = 'key k6' ORDER BY "at"`,
        )
      ).rows<{ operation: string; amount: string }>();
    const known = new KnownSpends();
    const at = (minute: number) => new Date(JUNE.getTime() + minute * 60_000);
    expect((await chargeReport(e, "key k6", "kpis", SETTINGS, at(0), known)).remaining).toBe("0.7");
    await payAhead(e, "key k6", SETTINGS, known, undefined, at(1));
    expect(await rows()).toEqual([
      { operation: "kpis", amount: "3/10" },
      { operation: PAID_AHEAD, amount: "3/10" },
    ]);
    // The second report finds its ε recorded: nothing is written before it leaves; after, its row is named after it
    // and the third report's ε recorded ahead.
    const second = useAhead(known, "key k6", "segment.list", SETTINGS, at(2));
    expect(second).not.toBeNull();
    await payAhead(e, "key k6", SETTINGS, known, second ?? undefined, at(3));
    const third = useAhead(known, "key k6", "segment.show", SETTINGS, at(4));
    expect(third).not.toBeNull();
    // 0.9 is recorded: a fourth report's 0.3 would pass the budget of 1, so none is recorded ahead.
    await payAhead(e, "key k6", SETTINGS, known, third ?? undefined, at(5));
    expect(await rows()).toEqual([
      { operation: "kpis", amount: "3/10" },
      { operation: "segment.list", amount: "3/10" },
      { operation: "segment.show", amount: "3/10" },
    ]);
    expect(useAhead(known, "key k6", "kpis", SETTINGS, at(6))).toBeNull();
    const refused = await chargeReport(e, "key k6", "kpis", SETTINGS, at(6), known).catch((x: unknown) => x);
    expect((refused as Error).message).toContain("0.9 spent, this release asks 0.3");
  });

  it("charges a report with the ε recorded ahead for it when the report did not find it in time", async () => {
    engine = await openSession(location());
    const e = engine;
    const known = new KnownSpends();
    await payAhead(e, "key k7", SETTINGS, known, undefined, JUNE);
    // Charged the usual way (the ahead row was being written when the report began): the row is used, not a second.
    const charge = await chargeReport(e, "key k7", "kpis", SETTINGS, new Date(JUNE.getTime() + 1000), known);
    expect(charge.remaining).toBe("0.7");
    const ledger = (
      await e.query(sql`SELECT operation FROM privacy_budget_ledger WHERE budget_key = 'key k7'`)
    ).column("operation");
    expect(ledger).toEqual(["kpis"]);
  });
});

describe("noisy counts of a report", () => {
  it("are unbiased, never negative, and noisier when a person may be in several cells", () => {
    const source = seededRandomSource(7);
    const draws = (perPerson: number) =>
      Array.from({ length: 4000 }, () => noisyCounts([500], 1, perPerson, source)[0] as number);
    const one = draws(1);
    const four = draws(4);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const variance = (xs: number[]) => mean(xs.map((x) => (x - mean(xs)) ** 2));
    // Discrete Laplace of scale 1/ε: variance 2e^{-ε}/(1 − e^{-ε})² ≈ 1.84 at ε = 1; at ε/4 it is ≈ 31.
    expect(Math.abs(mean(one) - 500)).toBeLessThan(0.2);
    expect(variance(one)).toBeGreaterThan(1.4);
    expect(variance(one)).toBeLessThan(2.4);
    expect(variance(four) / variance(one)).toBeGreaterThan(10);
    expect(Math.min(...noisyCounts(Array(200).fill(0), 0.5, 1, source))).toBe(0);
  });

  it("pass the k-gate after the noise: a noisy count of 1 to k−1 is suppressed", () => {
    const source = seededRandomSource(11);
    for (let i = 0; i < 200; i++) {
      const [small, big] = noisyGatedCounts([3, 400], 1, 10, 1, source);
      expect(small === null || small === 0 || (small as number) >= 10).toBe(true);
      expect(big).not.toBeNull();
    }
  });
});
