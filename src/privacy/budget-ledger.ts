import type { Engine } from "../store/engine.js";
import { sql, tsParam } from "../store/sql.js";
import { type BudgetSpend, budgetPolicy, decideSpend, periodOf } from "./budget.js";
import type { PrivacyUnit } from "./noise-mechanisms.js";
import {
  add,
  compare,
  formatRational,
  fromNumber,
  multiply,
  type Rational,
  rational,
  subtract,
} from "./rational.js";
import type { PrivacySettings } from "./settings.js";

/**
 * The privacy budget ledger (issue 17, item 3): what each caller spent, per period, in `privacy_budget_ledger`
 * (migration 13). Amounts are exact rationals stored as "num/den" and summed as such (budget.ts): never floating
 * point. A charge that would pass the budget is refused with the budget, what is spent and what was asked, and
 * writes nothing. Every report's ε is in the ledger before its answer leaves: charged then (`chargeReport`), or
 * recorded ahead after the key's previous report (`payAhead`, `useAhead`: the report leaves without a write).
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

/** How the ledger names an ε recorded ahead for a report not yet made (`payAhead`). */
export const PAID_AHEAD = "(paid ahead)";

/**
 * The spent totals of the charges made through one store, per key and period: each read from the ledger once, then
 * kept by the charges themselves; and the ε recorded ahead for a key's next report and not used yet. Only for a
 * store no other process writes (`Store.exclusive`), whose ledger then changes through these charges alone: it
 * spares every charge the ledger read, and a report that finds its ε recorded ahead the write. A total kept too
 * high (a charge whose enclosing transaction rolled back) refuses early; it never lets a report past the budget.
 */
export class KnownSpends {
  private readonly totals = new Map<string, Rational>();
  /** Rows recorded ahead and not used, per key and period: their amounts and times (a row is found by its time). */
  private readonly ahead = new Map<string, { amount: Rational; at: Date }[]>();
  /** The writes recording ahead a key's next ε (`payAhead`) under way, per key. */
  private readonly writing = new Map<string, Promise<unknown>>();

  async spent(engine: Engine, key: string, period: string): Promise<Rational> {
    const k = totalKey(key, period);
    const known = this.totals.get(k);
    if (known !== undefined) return known;
    const read = await ledgerSpent(engine, key, period);
    this.totals.set(k, read);
    return read;
  }

  /** A spend recorded in the ledger (`ahead`: for a report not yet made, at `at`). */
  recorded(key: string, period: string, amount: Rational, ahead?: Date): void {
    const k = totalKey(key, period);
    const known = this.totals.get(k);
    if (known !== undefined) this.totals.set(k, add(known, amount));
    if (ahead) this.ahead.set(k, [...(this.ahead.get(k) ?? []), { amount, at: ahead }]);
  }

  /** Whether an ε of `amount` is recorded ahead for `key` in `period`. */
  hasAhead(key: string, period: string, amount: Rational): boolean {
    return this.aheadIndex(key, period, amount) >= 0;
  }

  private aheadIndex(key: string, period: string, amount: Rational): number {
    return (this.ahead.get(totalKey(key, period)) ?? []).findIndex((r) => compare(r.amount, amount) === 0);
  }

  /** A key's write recording ahead its next ε (`payAhead`), while it is under way. */
  writingAhead(key: string, write: Promise<unknown>): void {
    this.writing.set(key, write);
    write.finally(() => {
      if (this.writing.get(key) === write) this.writing.delete(key);
    });
  }

  /** Settles once the key's write recording ahead, if one is under way, is done. */
  async aheadWritten(key: string): Promise<void> {
    await this.writing.get(key);
  }

  /** Takes a row recorded ahead of `amount` for a report being made: its time, or null when there is none. */
  takeAhead(key: string, period: string, amount: Rational): Date | null {
    const i = this.aheadIndex(key, period, amount);
    if (i < 0) return null;
    const [row] = this.ahead.get(totalKey(key, period))?.splice(i, 1) ?? [];
    return row?.at ?? null;
  }
}

/** What a charge did: the ε spent and what is left of the period's budget. */
export interface Charge {
  readonly key: string;
  readonly period: string;
  readonly spent: string;
  readonly remaining: string;
}

type DpSettings = Pick<PrivacySettings, "dp_epsilon_per_query" | "dp_budget" | "dp_period">;

/** The policy, cost and period of one report under the settings, at `at`. */
function reportCost(settings: DpSettings, at: Date) {
  const policy = budgetPolicy("epsilon", fromNumber(Number(settings.dp_budget)), settings.dp_period);
  const cost = { unit: "epsilon" as const, amount: fromNumber(Number(settings.dp_epsilon_per_query)) };
  return { policy, cost, period: periodOf(at, policy.period) };
}

function insertSpend(
  engine: Engine,
  who: string,
  period: string,
  amount: Rational,
  operation: string,
  at: Date,
): Promise<void> {
  return engine.run(
    sql`INSERT INTO privacy_budget_ledger (budget_key, period, unit, amount, operation, ${sql.ident("at")})
        VALUES (${who}, ${period}, ${"epsilon"}, ${stored(amount)}, ${operation}, ${tsParam(at)})`,
  );
}

/** A row recorded ahead (of `amount`, at `rowAt`) and used by a report: named after it now (`operation`, `at`). */
function relabel(
  engine: Engine,
  who: string,
  period: string,
  row: { amount: Rational; at: Date },
  operation: string,
  at: Date,
) {
  return engine.run(
    engine.dialect.updateWhere(
      "privacy_budget_ledger",
      sql`operation = ${operation}, ${sql.ident("at")} = ${tsParam(at)}`,
      sql`budget_key = ${who} AND period = ${period} AND operation = ${PAID_AHEAD} AND amount = ${stored(row.amount)}
          AND ${sql.ident("at")} = ${tsParam(row.at)}`,
    ),
  );
}

/**
 * Charges one noisy report to `who`'s budget (the settings' ε per query, against `dp_budget` per `dp_period`):
 * records the spend, or refuses (UserError `privacy-budget-spent`, naming the budget, the spent and the asked)
 * with nothing written. Must run in a write session. `known`: the store's spent totals, where it keeps them; an ε
 * recorded ahead there for this report is used (the row renamed after it) rather than another recorded.
 */
export async function chargeReport(
  engine: Engine,
  who: string,
  operation: string,
  settings: DpSettings,
  at: Date = new Date(),
  known?: KnownSpends,
): Promise<Charge> {
  const { policy, cost, period } = reportCost(settings, at);
  const spent = known ? await known.spent(engine, who, period) : await ledgerSpent(engine, who, period);
  const ahead = known?.takeAhead(who, period, cost.amount) ?? null;
  if (ahead) {
    await relabel(engine, who, period, { amount: cost.amount, at: ahead }, operation, at);
    return {
      key: who,
      period,
      spent: formatRational(spent),
      remaining: formatRational(subtract(policy.total, spent)),
    };
  }
  const decision = decideSpend(policy, who, spent, cost, at);
  if (!decision.ok) throw decision.error;
  await insertSpend(engine, who, period, cost.amount, operation, at);
  known?.recorded(who, period, cost.amount);
  return {
    key: who,
    period,
    spent: formatRational(subtract(policy.total, decision.remaining)),
    remaining: formatRational(decision.remaining),
  };
}

/**
 * A report released without a write: the ε recorded ahead for it (`payAhead`) is taken, and the row is renamed
 * after it later, by `payAhead`. Null when none is recorded ahead: the report is to be charged (`chargeReport`).
 */
export function useAhead(
  known: KnownSpends,
  who: string,
  operation: string,
  settings: DpSettings,
  at: Date = new Date(),
): UsedAhead | null {
  const { cost, period } = reportCost(settings, at);
  const rowAt = known.takeAhead(who, period, cost.amount);
  return rowAt ? { operation, period, amount: cost.amount, rowAt, at } : null;
}

/** A row recorded ahead that a report used (`useAhead`), to be renamed after it. */
export interface UsedAhead {
  readonly operation: string;
  readonly period: string;
  readonly amount: Rational;
  readonly rowAt: Date;
  readonly at: Date;
}

/**
 * After a noisy report is released, off its path: the row it used renamed after it (`used`), and the ε of `who`'s
 * next report recorded ahead — if none is yet and the budget has room for it after everything recorded — so that
 * the next report leaves without waiting for a write (`useAhead`). An ε recorded ahead is spent: at the period's
 * end one report's ε may go unused (the price of never releasing a report that was not recorded first).
 */
export async function payAhead(
  engine: Engine,
  who: string,
  settings: DpSettings,
  known: KnownSpends,
  used?: UsedAhead,
  at: Date = new Date(),
): Promise<void> {
  if (used)
    await relabel(engine, who, used.period, { amount: used.amount, at: used.rowAt }, used.operation, used.at);
  const { policy, cost, period } = reportCost(settings, at);
  if (known.hasAhead(who, period, cost.amount)) return;
  const decision = decideSpend(policy, who, await known.spent(engine, who, period), cost, at);
  if (!decision.ok) return;
  await insertSpend(engine, who, period, cost.amount, PAID_AHEAD, at);
  known.recorded(who, period, cost.amount, at);
}
