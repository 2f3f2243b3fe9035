import type { Engine } from "../store/engine.js";
import { sql, tsParam } from "../store/sql.js";
import { type BudgetSpend, budgetPolicy, decideSpend, periodOf } from "./budget.js";
import type { PrivacyUnit } from "./noise-mechanisms.js";
import { add, formatRational, fromNumber, multiply, type Rational, rational, subtract } from "./rational.js";
import type { PrivacySettings } from "./settings.js";

/**
 * The privacy budget ledger (issue 17, item 3): what each caller spent, per period, in `privacy_budget_ledger`
 * (migration 13). Amounts are exact rationals stored as "num/den" and summed as such (budget.ts): never floating
 * point. A charge that would pass the budget is refused with the budget, what is spent and what was asked, and
 * writes nothing.
 */

/** A rational as the ledger stores it. */
function stored(r: Rational): string {
  return `${r.num}/${r.den}`;
}

function parsed(text: string): Rational {
  const m = /^(-?\d+)\/(\d+)$/.exec(text);
  if (!m) throw new Error(`privacy_budget_ledger: not an amount: ${text}`);
  return rational(BigInt(m[1] as string), BigInt(m[2] as string));
}

/** The spends of `key` in `period`, oldest first. */
export async function ledgerSpends(engine: Engine, key: string, period: string): Promise<BudgetSpend[]> {
  const r = await engine.query(
    sql`SELECT budget_key, period, unit, amount, ${sql.ident("at")} AS at FROM privacy_budget_ledger
         WHERE budget_key = ${key} AND period = ${period} ORDER BY ${sql.ident("at")}`,
  );
  return r
    .rows<{ budget_key: string; period: string; unit: string; amount: string; at: unknown }>()
    .map((row) => ({
      key: row.budget_key,
      period: row.period,
      unit: row.unit as PrivacyUnit,
      amount: parsed(row.amount),
      at: row.at instanceof Date ? row.at.toISOString() : String(row.at),
    }));
}

/**
 * What `key` spent in `period`, exactly: the ledger's amounts counted by value in SQL (a report's cost is the one
 * setting, so a few distinct amounts however many reports), multiplied and added here as rationals. Read at every
 * charge, so it must not grow with the reports charged (reading every spend cost 2–6 ms at 150 of them).
 */
export async function ledgerSpent(engine: Engine, key: string, period: string): Promise<Rational> {
  const r = await engine.query(
    sql`SELECT amount, count(*) AS n FROM privacy_budget_ledger
         WHERE budget_key = ${key} AND period = ${period} GROUP BY amount`,
  );
  let sum = rational(0n);
  for (const row of r.rows<{ amount: string; n: number | bigint }>())
    sum = add(sum, multiply(parsed(row.amount), rational(BigInt(row.n))));
  return sum;
}

const totalKey = (key: string, period: string) => `${key}\u0000${period}`;

/**
 * The spent totals of the charges made through one store, per key and period: each read from the ledger once, then
 * kept by the charges themselves. Only for a store no other process writes (`Store.exclusive`), whose ledger then
 * changes through these charges alone; it spares every charge the ledger read (1–2 ms of a 6 ms report). A total
 * kept too high (a charge whose enclosing transaction rolled back) refuses early; it never lets a report past the
 * budget.
 */
export class KnownSpends {
  private readonly totals = new Map<string, Rational>();

  async spent(engine: Engine, key: string, period: string): Promise<Rational> {
    const k = totalKey(key, period);
    const known = this.totals.get(k);
    if (known !== undefined) return known;
    const read = await ledgerSpent(engine, key, period);
    this.totals.set(k, read);
    return read;
  }

  /** A spend recorded in the ledger. */
  recorded(key: string, period: string, amount: Rational): void {
    const k = totalKey(key, period);
    const known = this.totals.get(k);
    if (known !== undefined) this.totals.set(k, add(known, amount));
  }
}

/** What a charge did: the ε spent and what is left of the period's budget. */
export interface Charge {
  readonly key: string;
  readonly period: string;
  readonly spent: string;
  readonly remaining: string;
}

/**
 * Charges one noisy report to `who`'s budget (the settings' ε per query, against `dp_budget` per `dp_period`):
 * records the spend, or refuses (UserError `privacy-budget-spent`, naming the budget, the spent and the asked)
 * with nothing written. Must run in a write session. `known`: the store's spent totals, where it keeps them.
 */
export async function chargeReport(
  engine: Engine,
  who: string,
  operation: string,
  settings: Pick<PrivacySettings, "dp_epsilon_per_query" | "dp_budget" | "dp_period">,
  at: Date = new Date(),
  known?: KnownSpends,
): Promise<Charge> {
  const policy = budgetPolicy("epsilon", fromNumber(Number(settings.dp_budget)), settings.dp_period);
  const cost = { unit: "epsilon" as const, amount: fromNumber(Number(settings.dp_epsilon_per_query)) };
  const period = periodOf(at, policy.period);
  const spent = known ? await known.spent(engine, who, period) : await ledgerSpent(engine, who, period);
  const decision = decideSpend(policy, who, spent, cost, at);
  if (!decision.ok) throw decision.error;
  await engine.run(
    sql`INSERT INTO privacy_budget_ledger (budget_key, period, unit, amount, operation, ${sql.ident("at")})
        VALUES (${who}, ${period}, ${"epsilon"}, ${stored(cost.amount)}, ${operation}, ${tsParam(at)})`,
  );
  known?.recorded(who, period, cost.amount);
  return {
    key: who,
    period,
    spent: formatRational(subtract(policy.total, decision.remaining)),
    remaining: formatRational(decision.remaining),
  };
}
