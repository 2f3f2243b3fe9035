/**
 * A privacy budget per key (an analyst, a data set, an API client) and period: every noisy release spends part
 * of it, and once it is spent further releases are refused until the next period.
 *
 * Accounting is exact (rationals) and simple: under pure DP the ε of releases add up (basic composition); under
 * zero-concentrated DP the ρ add up (zCDP composes additively, Bun & Steinke 2016). A budget counts one unit;
 * a release in the other unit is refused rather than converted, since ρ-zCDP has no pure-ε equivalent.
 *
 * The state is a list of spends, one row each, so a ledger table can back it later: read the key's spends for
 * the period, `decideSpend`, insert the row, in one transaction. Nothing here touches a database or the clock
 * directly (the clock is injected).
 */
import { UserError } from "../errors.js";
import type { PrivacyCost, PrivacyUnit } from "./noise-mechanisms.js";
import {
  add,
  compare,
  formatRational,
  fromNumber,
  type Rational,
  rational,
  subtract,
  ZERO,
} from "./rational.js";

/** How often a budget starts afresh, in UTC: a calendar day, ISO week, month or year, or never. */
export type BudgetPeriod = "day" | "week" | "month" | "year" | "lifetime";

export interface BudgetPolicy {
  readonly unit: PrivacyUnit;
  /** What each key may spend per period. */
  readonly total: Rational;
  readonly period: BudgetPeriod;
}

/** One spend, as a ledger row holds it. */
export interface BudgetSpend {
  readonly key: string;
  /** The period it counts against (`periodOf`): "2025-06-02", "2025-W23", "2025-06", "2025" or "lifetime". */
  readonly period: string;
  readonly unit: PrivacyUnit;
  readonly amount: Rational;
  /** ISO 8601 time of the spend. */
  readonly at: string;
  readonly purpose?: string;
}

export type SpendDecision =
  | { readonly ok: true; readonly spend: BudgetSpend; readonly remaining: Rational }
  | { readonly ok: false; readonly error: UserError };

const SYMBOL: Record<PrivacyUnit, string> = { epsilon: "ε", rho: "ρ" };

/** Budget totals beyond this are not budgets (ε = 1000 protects nobody). */
const MAX_TOTAL = 1000;

/** A policy from user settings, checked: the total must be a positive, finite number no larger than 1000. */
export function budgetPolicy(
  unit: PrivacyUnit,
  total: number | Rational,
  period: BudgetPeriod,
): BudgetPolicy {
  const where = `${unit} budget`;
  if (typeof total === "number" && !Number.isFinite(total)) {
    throw new UserError("bad-privacy-budget", `must be a finite number, got ${total}`, where);
  }
  const t = typeof total === "number" ? fromNumber(total) : rational(total.num, total.den);
  if (t.num <= 0n) {
    throw new UserError("bad-privacy-budget", `must be greater than 0, got ${formatRational(t)}`, where);
  }
  if (compare(t, rational(MAX_TOTAL)) > 0) {
    throw new UserError(
      "bad-privacy-budget",
      `must be at most ${MAX_TOTAL}, got ${formatRational(t)}`,
      where,
    );
  }
  if (!["day", "week", "month", "year", "lifetime"].includes(period)) {
    throw new UserError("bad-privacy-budget", `unknown period ${String(period)}`, where);
  }
  return { unit, total: t, period };
}

const pad = (n: number, width = 2): string => String(n).padStart(width, "0");

/** The period an instant falls in, in UTC. Weeks are ISO 8601 weeks (Monday first; week 1 holds 4 January). */
export function periodOf(at: Date, period: BudgetPeriod): string {
  if (Number.isNaN(at.getTime())) throw new RangeError("periodOf: invalid date");
  const y = at.getUTCFullYear();
  switch (period) {
    case "day":
      return `${y}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())}`;
    case "month":
      return `${y}-${pad(at.getUTCMonth() + 1)}`;
    case "year":
      return String(y);
    case "lifetime":
      return "lifetime";
    case "week": {
      // The ISO week and its year are those of the week's Thursday.
      const day = Date.UTC(y, at.getUTCMonth(), at.getUTCDate());
      const weekday = (new Date(day).getUTCDay() + 6) % 7;
      const thursday = new Date(day + (3 - weekday) * 86_400_000);
      const isoYear = thursday.getUTCFullYear();
      const week = 1 + Math.floor((thursday.getTime() - Date.UTC(isoYear, 0, 1)) / (7 * 86_400_000));
      return `${isoYear}-W${pad(week)}`;
    }
  }
}

/** What `key` has spent in `period` (spends of other keys and periods are ignored). */
export function spentIn(spends: Iterable<BudgetSpend>, key: string, period: string): Rational {
  let sum = ZERO;
  for (const s of spends) if (s.key === key && s.period === period) sum = add(sum, s.amount);
  return sum;
}

/**
 * Whether `cost` fits in what is left of the budget, given what `key` already spent this period. Pure: the
 * caller records the returned spend. A refusal says the budget, what is spent and what was asked.
 */
export function decideSpend(
  policy: BudgetPolicy,
  key: string,
  spent: Rational,
  cost: PrivacyCost,
  at: Date,
  purpose?: string,
): SpendDecision {
  if (cost.amount.num <= 0n) throw new RangeError("decideSpend: a release costs more than 0");
  const period = periodOf(at, policy.period);
  const where = `privacy budget "${key}" (${period})`;
  const sym = SYMBOL[policy.unit];
  if (cost.unit !== policy.unit) {
    return {
      ok: false,
      error: new UserError(
        "privacy-budget-unit",
        `this budget counts ${sym} (${policy.unit}); the release spends ${SYMBOL[cost.unit]} (${cost.unit})`,
        where,
      ),
    };
  }
  const after = add(spent, cost.amount);
  if (compare(after, policy.total) > 0) {
    const left = subtract(policy.total, spent);
    const leftText = left.num > 0n ? `only ${formatRational(left)} is left` : "nothing is left";
    const next = policy.period === "lifetime" ? "" : `; it renews next ${policy.period}`;
    return {
      ok: false,
      error: new UserError(
        "privacy-budget-spent",
        `budget ${sym} = ${formatRational(policy.total)} per ${policy.period}, ${formatRational(spent)} spent, ` +
          `this release asks ${formatRational(cost.amount)}: ${leftText}, so it is refused${next}`,
        where,
      ),
    };
  }
  const spend: BudgetSpend = {
    key,
    period,
    unit: cost.unit,
    amount: cost.amount,
    at: at.toISOString(),
    ...(purpose === undefined ? {} : { purpose }),
  };
  return { ok: true, spend, remaining: subtract(policy.total, after) };
}

/**
 * A budget held in memory: the spends so far (e.g. read from the ledger) plus those made through it. `spend`
 * throws the refusal; `decide` only answers.
 */
export class PrivacyBudget {
  private readonly rows: BudgetSpend[];
  private readonly clock: () => Date;

  constructor(
    readonly policy: BudgetPolicy,
    options: { readonly clock?: () => Date; readonly spends?: Iterable<BudgetSpend> } = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.rows = [...(options.spends ?? [])];
    // Spends in the other unit (from before a change of setting) cannot be counted against this budget, nor ignored.
    const foreign = this.rows.find((r) => r.unit !== policy.unit);
    if (foreign) {
      throw new UserError(
        "privacy-budget-unit",
        `this budget counts ${SYMBOL[policy.unit]} (${policy.unit}) but the ledger holds spends in ` +
          `${SYMBOL[foreign.unit]} (${foreign.unit}); start a new ledger or keep the unit`,
        `privacy budget "${foreign.key}" (${foreign.period})`,
      );
    }
  }

  /** Every spend, oldest first: what a ledger table would hold. */
  get spends(): readonly BudgetSpend[] {
    return this.rows;
  }

  /** What `key` has spent in the current period. */
  spent(key: string): Rational {
    return spentIn(this.rows, key, periodOf(this.clock(), this.policy.period));
  }

  /** What `key` may still spend in the current period. */
  remaining(key: string): Rational {
    return subtract(this.policy.total, this.spent(key));
  }

  /** Whether `cost` would be accepted now, without spending it. */
  decide(key: string, cost: PrivacyCost, purpose?: string): SpendDecision {
    return decideSpend(this.policy, key, this.spent(key), cost, this.clock(), purpose);
  }

  /** Spends `cost` for `key`, or throws the refusal (a UserError) and records nothing. */
  spend(key: string, cost: PrivacyCost, purpose?: string): BudgetSpend {
    // One clock reading for both the period and the row, so a spend at midnight cannot straddle two periods.
    const now = this.clock();
    const decision = decideSpend(
      this.policy,
      key,
      spentIn(this.rows, key, periodOf(now, this.policy.period)),
      cost,
      now,
      purpose,
    );
    if (!decision.ok) throw decision.error;
    this.rows.push(decision.spend);
    return decision.spend;
  }
}
