/**
 * Key figures per group of customers, as of a date:
 * - customers, and their share of the whole base (every customer in `customers`);
 * - buyers (customers with a purchase), orders, revenue;
 * - average order value = revenue / orders; purchase frequency = orders / buyers;
 * - average predicted CLV over the group's customers that `clv predict` scored (null before it ran);
 * - the average of each prediction Tessera holds per customer (churn risk, each launch propensity: issue 19,
 *   item 5) over the group's scored customers: an expected share (of the group who will leave, who will buy);
 * - by segment, what the last budget plan by segment planned for it (spend, expected ROI);
 * - conversion rate = converted sessions / sessions, where a session is a (customer, UTC day) with at least
 *   one page, screen or track event, and it converts when the customer made a purchase that day (null when
 *   the group has no events).
 * One statement: per-customer aggregates of orders and events are joined to the grouping and summed.
 */

import { loadPlan } from "../predict/budget-store.js";
import { isSmall, sizeHidden, suppressPartition } from "../privacy/k-gate.js";
import { DEFAULT_MIN_GROUP, suppress } from "../privacy/small-groups.js";
import { gatedSegmentSizes } from "../segments/membership-reports.js";
import { listSegments } from "../segments/segment-store.js";
import { listPredictions } from "../store/computed.js";
import type { Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";
import { CLV_TABLE } from "./clv-predict.js";
import { type GroupBy, groupingRelation } from "./grouping.js";
import { defaultAsOf } from "./rfm.js";
import { daySql, PURCHASE_SQL } from "./summaries.js";

export interface KpiOptions {
  readonly asOf?: Date;
  readonly by?: GroupBy;
  readonly minGroup?: number;
}

export interface Kpis {
  readonly group: string;
  readonly customers: number | null;
  readonly shareOfBase: number | null;
  readonly buyers: number | null;
  readonly orders: number | null;
  readonly revenue: number | null;
  readonly averageOrderValue: number | null;
  readonly purchaseFrequency: number | null;
  readonly averageClv: number | null;
  readonly sessions: number | null;
  readonly conversionRate: number | null;
  /** Averages of the predictions held per customer, by computed value name (`churn_risk`, `propensity.…`). */
  readonly predictions: Readonly<Record<string, number | null>> | null;
  /** By segment: the spend and expected ROI the last budget plan by segment gave the segment (else null). */
  readonly plannedSpend: number | null;
  readonly plannedRoi: number | null;
  readonly suppressed: boolean;
}

export interface KpiReport {
  readonly asOf: string;
  readonly by: string;
  /** Every customer in the base (the denominator of shareOfBase); null when fewer than k. */
  readonly base: number | null;
  /** The k of the k-gate this report went through. */
  readonly minGroup: number;
  /** True when `clv predict` has scored customers (averageClv is then filled). */
  readonly clvAvailable: boolean;
  /** The predictions averaged per group (computed values of the churn and propensity models), in column order. */
  readonly predictions: readonly string[];
  /** When the budget plan shown beside segments was made (null when none is shown). */
  readonly plannedAt: string | null;
  readonly groups: readonly Kpis[];
}

/** `tessera kpis`: the figures for each group of `by` (one group of everyone by default). */
export async function kpis(engine: Engine, opts: KpiOptions = {}): Promise<KpiReport> {
  const asOf = opts.asOf ?? (await defaultAsOf(engine));
  const by = opts.by ?? { kind: "all" };
  const grouping = await groupingRelation(engine, by, asOf);
  const minGroup = opts.minGroup ?? DEFAULT_MIN_GROUP;
  const clvAvailable = (await engine.tableColumns(CLV_TABLE)).includes("clv");
  const d = engine.dialect;
  const epochO = d.epochSeconds(sql`o.ts`);
  const epochE = d.epochSeconds(sql`e.ts`);
  const asOfSeconds = asOf.getTime() / 1000;
  const clvJoin = clvAvailable
    ? sql`LEFT JOIN ${sql.ident(CLV_TABLE)} cl ON cl.customer_id = g.customer_id`
    : sql.empty;
  const predictions = await listPredictions(engine);
  const predictionJoins = sql.join(
    predictions.map(
      (p, i) =>
        sql`LEFT JOIN ${sql.ident(p.table)} ${sql.ident(`pr${i}`)} ON ${sql.ident(`pr${i}`)}.customer_id = g.customer_id`,
    ),
    sql` `,
  );
  const predictionAverages = predictions.map(
    (p, i) => sql`, avg(${sql.ident(`pr${i}`)}.${sql.ident(p.column)}) AS ${sql.ident(`avg_pr${i}`)}`,
  );
  const r = await engine.query(
    sql`WITH ord AS (
          SELECT o.customer_id, count(*) AS orders, sum(o.total) AS revenue FROM orders o
           WHERE o.customer_id IS NOT NULL AND ${PURCHASE_SQL} AND ${epochO} <= ${asOfSeconds}
           GROUP BY o.customer_id
        ), purchase_days AS (
          SELECT DISTINCT o.customer_id, ${daySql(engine, sql`o.ts`)} AS day FROM orders o
           WHERE o.customer_id IS NOT NULL AND ${PURCHASE_SQL} AND ${epochO} <= ${asOfSeconds}
        ), sessions AS (
          SELECT DISTINCT e.customer_id, ${daySql(engine, sql`e.ts`)} AS day FROM events e
           WHERE e.customer_id IS NOT NULL AND e.type IN ('page', 'screen', 'track') AND ${epochE} <= ${asOfSeconds}
        ), sess AS (
          SELECT s.customer_id, count(*) AS sessions, count(p.day) AS converted
            FROM sessions s LEFT JOIN purchase_days p ON p.customer_id = s.customer_id AND p.day = s.day
           GROUP BY s.customer_id
        )
        SELECT g.grp, count(*) AS customers, count(ord.customer_id) AS buyers,
               coalesce(sum(ord.orders), 0) AS orders, coalesce(sum(ord.revenue), 0) AS revenue,
               sum(sess.sessions) AS sessions, sum(sess.converted) AS converted,
               ${clvAvailable ? sql`avg(cl.clv)` : sql`NULL`} AS avg_clv ${sql.join(predictionAverages, sql` `)}
          FROM (${grouping.sql}) g
          LEFT JOIN ord ON ord.customer_id = g.customer_id
          LEFT JOIN sess ON sess.customer_id = g.customer_id
          ${clvJoin}
          ${predictionJoins}
         GROUP BY g.grp ORDER BY customers DESC, g.grp`,
  );
  const base = Number((await engine.query("SELECT count(*) AS n FROM customers")).column("n")[0]);
  const rows = r.rows<{
    grp: string;
    customers: number;
    buyers: number;
    orders: number;
    revenue: number;
    sessions: number | null;
    converted: number | null;
    avg_clv: number | null;
    [average: `avg_pr${number}`]: number | null;
  }>();
  const plan = by.kind === "segment" ? await loadPlan(engine) : null;
  const planned = new Map((plan?.by === "segment" ? plan.segments : []).map((l) => [l.name, l]));
  // By segment, a group's customers are the segment's size: hidden wherever segment list hides it, so that the
  // two reports side by side give nothing away (list's complements included).
  const listed = by.kind === "segment" ? await segmentsHidden(engine, minGroup) : new Set<string>();
  const gate = kpiGate(
    rows.map((g) => ({ customers: Number(g.customers), buyers: Number(g.buyers) })),
    base,
    minGroup,
    rows.map((g) => listed.has(String(g.grp))),
  );
  const groups = rows.map((g, i) => {
    const customers = Number(g.customers);
    const orders = Number(g.orders);
    const buyers = Number(g.buyers);
    const revenue = Number(g.revenue);
    const sessions = g.sessions === null ? 0 : Number(g.sessions);
    const row = suppress(
      {
        group: String(g.grp),
        customers,
        shareOfBase: base > 0 ? customers / base : null,
        buyers,
        orders,
        revenue,
        averageOrderValue: orders > 0 ? revenue / orders : null,
        purchaseFrequency: buyers > 0 ? orders / buyers : null,
        averageClv: g.avg_clv === null ? null : Number(g.avg_clv),
        sessions,
        conversionRate: sessions > 0 ? Number(g.converted) / sessions : null,
        predictions: predictions.length
          ? Object.fromEntries(
              predictions.map((p, j) => {
                const v = g[`avg_pr${j}`];
                return [p.name, v === null || v === undefined ? null : Number(v)];
              }),
            )
          : null,
        // Stored as the plan showed it: a segment the plan suppressed has no figures here either.
        plannedSpend:
          planned.get(String(g.grp))?.suppressed === false
            ? (planned.get(String(g.grp))?.spend ?? null)
            : null,
        plannedRoi: planned.get(String(g.grp))?.roi ?? null,
      },
      customers,
      minGroup,
      [
        "customers",
        "shareOfBase",
        "buyers",
        "orders",
        "revenue",
        "averageOrderValue",
        "purchaseFrequency",
        "averageClv",
        "sessions",
        "conversionRate",
        "predictions",
        "plannedSpend",
        "plannedRoi",
      ],
      gate.groups[i] === true,
    );
    // A group shown, but too few buyers in it (or non-buyers): the buyers' figures are not.
    return gate.buyers[i] === true && !row.suppressed
      ? {
          ...row,
          buyers: null,
          orders: null,
          revenue: null,
          averageOrderValue: null,
          purchaseFrequency: null,
          conversionRate: null,
          suppressed: true,
        }
      : row;
  });
  return {
    asOf: asOf.toISOString(),
    by: grouping.label,
    base: gate.base ? null : base,
    minGroup,
    clvAvailable,
    predictions: predictions.map((p) => p.name),
    plannedAt: planned.size ? (plan?.plannedAt ?? null) : null,
    groups,
  };
}

/** The names of the segments whose size segment list hides (groups by segment are named by the segment's name). */
async function segmentsHidden(engine: Engine, k: number): Promise<Set<string>> {
  const { hidden } = await gatedSegmentSizes(engine, k);
  return new Set((await listSegments(engine)).filter((s) => hidden.has(s.id)).map((s) => s.name));
}

/**
 * The k-gate of a KPI report: a group is hidden when it, or the rest of the base, is small; its buyers' figures
 * when its buyers or its non-buyers are. When the groups divide the base (their sizes add up to it: a trait, an
 * RFM segment, a cluster), the base minus the other groups would give a hidden one back, and the buyers of one
 * group are the buyers of the base (`kpis` without `--by`) minus the others': complementary suppression on both.
 */
export function kpiGate(
  groups: readonly { customers: number; buyers: number }[],
  base: number,
  k: number,
  alsoHidden: readonly boolean[] = [],
): { groups: boolean[]; buyers: boolean[]; base: boolean } {
  const hidden = groups.map((g, i) => alsoHidden[i] === true || sizeHidden(g.customers, base, k));
  const buyers = groups.map((g) => isSmall(g.buyers, k) || isSmall(g.customers - g.buyers, k));
  let baseHidden = isSmall(base, k);
  if (groups.reduce((n, g) => n + g.customers, 0) === base) {
    const p = suppressPartition(
      groups.map((g) => g.customers),
      k,
      hidden,
    );
    p.hidden.forEach((h, i) => {
      if (h) hidden[i] = true;
    });
    if (p.totalHidden) baseHidden = true;
    const b = suppressPartition(
      groups.map((g) => g.buyers),
      k,
      groups.map((_, i) => buyers[i] === true || hidden[i] === true),
    );
    b.hidden.forEach((h, i) => {
      if (h) buyers[i] = true;
    });
  }
  if (baseHidden) hidden.fill(true);
  return { groups: hidden, buyers, base: baseHidden };
}
