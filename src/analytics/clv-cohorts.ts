/**
 * P(alive) by first-purchase cohort: the customers with a stored prediction (`customer_clv`) grouped by the
 * month, quarter or year of their first purchase, with their mean probability of still being active (and mean
 * CLV and expected purchases), each cohort a count of people through the k-gate. The engine reduces the
 * customers to one row per first purchase day; the days are put in their calendar periods here.
 */
import { isSmall, suppressPartition } from "../privacy/k-gate.js";
import type { Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";
import { CLV_TABLE } from "./clv-predict.js";
import { storedValueTime } from "./stored-values.js";
import { daySql, PURCHASE_SQL, SECONDS_PER_DAY } from "./summaries.js";

export const COHORT_PERIODS = ["month", "quarter", "year"] as const;
export type CohortPeriod = (typeof COHORT_PERIODS)[number];

export interface Cohort {
  /** `2025`, `2025-Q3` or `2025-07`. */
  readonly cohort: string;
  /** The period's first day (ISO date). */
  readonly start: string;
  /** Null when suppressed, with every mean. */
  readonly customers: number | null;
  readonly meanPAlive: number | null;
  readonly meanClv: number | null;
  readonly meanExpectedPurchases: number | null;
  readonly suppressed: boolean;
}

export interface CohortReport {
  /** When the predictions were written. */
  readonly scoredAt: string;
  readonly period: CohortPeriod;
  /** Customers with a prediction and a first purchase; null when the whole report is suppressed. */
  readonly customers: number | null;
  readonly meanPAlive: number | null;
  /** Oldest first; periods in which nobody made a first purchase are left out. */
  readonly cohorts: readonly Cohort[];
  readonly suppressed: boolean;
  readonly minGroup: number;
}

/** The calendar period of a UTC day number: its label and first day. */
export function periodOf(day: number, period: CohortPeriod): { cohort: string; start: string } {
  const date = new Date(day * SECONDS_PER_DAY * 1000);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  const pad = (n: number) => String(n).padStart(2, "0");
  if (period === "year") return { cohort: String(year), start: `${year}-01-01` };
  if (period === "month")
    return { cohort: `${year}-${pad(month + 1)}`, start: `${year}-${pad(month + 1)}-01` };
  const q = Math.floor(month / 3);
  return { cohort: `${year}-Q${q + 1}`, start: `${year}-${pad(q * 3 + 1)}-01` };
}

interface Sums {
  n: number;
  pAlive: number;
  clv: number;
  expected: number;
}

/** P(alive) and CLV by first-purchase cohort, under `minGroup` suppressed; null when no predictions are stored. */
export async function pAliveByCohort(
  engine: Engine,
  opts: { readonly period: CohortPeriod; readonly minGroup: number },
): Promise<CohortReport | null> {
  const scoredAt = await storedValueTime(engine, "p_alive", CLV_TABLE);
  if (scoredAt === null) return null;
  const rows = (
    await engine.query(
      sql`SELECT f.first_day AS day, count(*) AS n, sum(c.p_alive) AS p_alive, sum(c.clv) AS clv,
                 sum(c.expected_purchases) AS expected
            FROM ${sql.ident(CLV_TABLE)} c
            JOIN (SELECT o.customer_id, min(${daySql(engine, sql`o.ts`)}) AS first_day
                    FROM orders o
                   WHERE o.customer_id IS NOT NULL AND ${PURCHASE_SQL}
                   GROUP BY o.customer_id) f ON f.customer_id = c.customer_id
           GROUP BY f.first_day`,
    )
  ).rows<{ day: number; n: number; p_alive: number; clv: number; expected: number }>();
  const periods = new Map<string, Sums & { start: string }>();
  for (const r of rows) {
    const { cohort, start } = periodOf(Number(r.day), opts.period);
    const s = periods.get(cohort) ?? { start, n: 0, pAlive: 0, clv: 0, expected: 0 };
    s.n += Number(r.n);
    s.pAlive += Number(r.p_alive);
    s.clv += Number(r.clv);
    s.expected += Number(r.expected);
    periods.set(cohort, s);
  }
  const ordered = [...periods].sort(([, a], [, b]) => (a.start < b.start ? -1 : 1));
  const customers = ordered.reduce((t, [, s]) => t + s.n, 0);
  const pAlive = ordered.reduce((t, [, s]) => t + s.pAlive, 0);
  // The cohorts divide the customers, whose number is shown: complementary suppression.
  const gate = suppressPartition(
    ordered.map(([, s]) => s.n),
    opts.minGroup,
  );
  const hideAll = gate.totalHidden || isSmall(customers, opts.minGroup);
  const cohorts = ordered.map(([cohort, s], i): Cohort => {
    const hidden = hideAll || gate.hidden[i] === true;
    return {
      cohort,
      start: s.start,
      customers: hidden ? null : s.n,
      meanPAlive: hidden ? null : s.pAlive / s.n,
      meanClv: hidden ? null : s.clv / s.n,
      meanExpectedPurchases: hidden ? null : s.expected / s.n,
      suppressed: hidden,
    };
  });
  return {
    scoredAt: scoredAt.toISOString(),
    period: opts.period,
    customers: hideAll ? null : customers,
    meanPAlive: hideAll || customers === 0 ? null : pAlive / customers,
    cohorts,
    suppressed: hideAll,
    minGroup: opts.minGroup,
  };
}
