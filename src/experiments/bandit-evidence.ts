import { timeAt } from "../activation/engagement.js";
import { PURCHASE_SQL } from "../analytics/summaries.js";
import { UserError } from "../errors.js";
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import type { Experiment } from "./experiments.js";
import type { MetricSpec } from "./metric-spec.js";
import type { ArmSummary } from "./stats/types.js";
import { HOLDOUT_VARIANT } from "./variants.js";

/**
 * A bandit's evidence (issue 20, item 4): per arm and per allocation period, the people assigned (each once, in
 * their earliest assignment; the held-out left out) and Σy, Σy² of the metric y per person, counted from their
 * exposure (their assignment) as metrics.ts counts them (a fixed window only for the people whose window has
 * ended by the as-of time). All in SQL; TypeScript gets one row per arm and period.
 *
 * Periods: the allocation in force when a person was assigned. `boundaries` are the effective times of the bandit's
 * allocations in order; period 0 is before the first (the planned split), period i after the i-th.
 *
 * The metrics a bandit reads here are the per-person ones: conversion (an order, or a named event), revenue,
 * orders and events. The bandit's update reads the pooled sums from metrics.ts (`metricSums`); this reader gives
 * the same sums split by period (for the period-stratified estimate) until metrics.ts can group by period;
 * `ArmSumsReader` is the seam.
 */
export type ArmSumsReader = (
  engine: Engine,
  experiment: Experiment,
  metric: MetricSpec,
  options: { readonly asOf: Date; readonly boundaries: readonly Date[] },
) => Promise<ArmSummary[][]>;

const time = (engine: Engine, d: Date): Sql => timeAt(engine, d.getTime());

/**
 * y per person for the metric's measure over [assigned_at + start, assigned_at + start + length) (up to the as-of
 * time without a length), as metrics.ts counts it: purchases only (PURCHASE_SQL).
 */
function outcomeSql(engine: Engine, metric: MetricSpec, asOf: Date): { from: Sql; value: Sql } {
  const d = engine.dialect;
  const startS = metric.window.startMs / 1000;
  const lengthS = metric.window.lengthMs === null ? null : metric.window.lengthMs / 1000;
  const within = (ts: Sql): Sql => {
    const t = d.epochSeconds(ts);
    const a = d.epochSeconds(sql`a.assigned_at`);
    const upper = lengthS === null ? sql`` : sql` AND ${t} < ${a} + ${sql.param(startS + lengthS, "number")}`;
    return sql`${t} >= ${a} + ${sql.param(startS, "number")}${upper} AND ${ts} <= ${time(engine, asOf)}`;
  };
  const m = metric.numerator;
  switch (m.kind) {
    case "revenue":
    case "orders": {
      const per = m.kind === "revenue" ? sql`sum(coalesce(o.total, 0))` : sql`count(*)`;
      return {
        from: sql`SELECT a.customer_id AS customer_id, ${per} AS v FROM assigned a
                    JOIN orders o ON o.customer_id = a.customer_id AND ${within(sql`o.ts`)} AND ${PURCHASE_SQL}
                   GROUP BY a.customer_id`,
        value: sql`v`,
      };
    }
    case "events": {
      const name = m.event === "*" ? sql`` : sql` AND e.event = ${m.event}`;
      return {
        from: sql`SELECT a.customer_id AS customer_id, count(*) AS v FROM assigned a
                    JOIN events e ON e.customer_id = a.customer_id AND ${within(sql`e.ts`)}${name}
                   GROUP BY a.customer_id`,
        value: sql`v`,
      };
    }
    default:
      throw new UserError(
        "bad-bandit-metric",
        `a bandit optimises a conversion (an order or an event), revenue, orders or events per person, not ${metric.name}`,
        "metric",
      );
  }
}

/** The bandit's own reader of per-arm, per-period sums (see the module's comment). */
export const banditArmSums: ArmSumsReader = async (engine, experiment, metric, { asOf, boundaries }) => {
  const { from, value } = outcomeSql(engine, metric, asOf);
  const y =
    metric.statistic === "proportion"
      ? sql`CASE WHEN coalesce(y.${value}, 0) > 0 THEN 1.0 ELSE 0.0 END`
      : sql`${engine.dialect.cast(sql`coalesce(y.${value}, 0)`, "number")}`;
  // A fixed window counts only the people whose window has ended by the as-of time (as metrics.ts does).
  const { startMs, lengthMs } = metric.window;
  const ended =
    lengthMs === null
      ? sql``
      : sql` AND ${engine.dialect.epochSeconds(sql`assigned_at`)} + ${sql.param((startMs + lengthMs) / 1000, "number")} <= ${sql.param(asOf.getTime() / 1000, "number")}`;
  const period = boundaries.length
    ? sql`CASE ${sql.join(
        boundaries.map((b, i) => sql`WHEN a.assigned_at < ${time(engine, b)} THEN ${sql.raw(String(i))}`),
        sql` `,
      )} ELSE ${sql.raw(String(boundaries.length))} END`
    : sql`0`;
  const r = await engine.query(
    sql`WITH assigned AS (
          SELECT customer_id, variant, assigned_at FROM (
            SELECT customer_id, variant, assigned_at,
                   row_number() OVER (PARTITION BY customer_id ORDER BY assigned_at, variant) AS rn
              FROM experiment_assignments
             WHERE experiment_id = ${experiment.id} AND assigned_at <= ${time(engine, asOf)}
               AND customer_id IS NOT NULL) x
           WHERE rn = 1 AND variant <> ${HOLDOUT_VARIANT}${ended})
        SELECT q.variant AS variant, q.period AS period, count(*) AS n, sum(q.y) AS s, sum(q.y * q.y) AS ss
          FROM (SELECT a.variant AS variant, ${period} AS period, ${y} AS y
                  FROM assigned a LEFT JOIN (${from}) y ON y.customer_id = a.customer_id) q
         GROUP BY q.variant, q.period`,
  );
  const periods = boundaries.length + 1;
  const out: ArmSummary[][] = Array.from({ length: periods }, () =>
    experiment.variants.map((v) => ({ name: v.name, n: 0, sum: 0, sum_squares: 0 })),
  );
  for (const row of r.rows<Record<string, unknown>>()) {
    const p = Number(row.period);
    const arm = experiment.variants.findIndex((v) => v.name === row.variant);
    // An assignment to a variant the experiment no longer lists cannot happen (variants are fixed): skip it.
    if (arm < 0 || !(p >= 0 && p < periods)) continue;
    (out[p] as ArmSummary[])[arm] = {
      name: row.variant as string,
      n: Number(row.n),
      sum: Number(row.s ?? 0),
      sum_squares: Number(row.ss ?? 0),
    };
  }
  return out;
};

/** The sums of every period together, per arm. */
export function pooledArms(
  periods: readonly (readonly ArmSummary[])[],
  names: readonly string[],
): ArmSummary[] {
  return names.map((name, i) => {
    let n = 0;
    let sum = 0;
    let ss = 0;
    for (const p of periods) {
      const a = p[i];
      if (!a) continue;
      n += a.n;
      sum += a.sum;
      ss += a.sum_squares ?? 0;
    }
    return { name, n, sum, sum_squares: ss };
  });
}
