/**
 * Key figures per group of customers, as of a date:
 * - customers, and their share of the whole base (every customer in `customers`);
 * - buyers (customers with a purchase), orders, revenue;
 * - average order value = revenue / orders; purchase frequency = orders / buyers;
 * - average predicted CLV over the group's customers that `clv predict` scored (null before it ran);
 * - conversion rate = converted sessions / sessions, where a session is a (customer, UTC day) with at least
 *   one page, screen or track event, and it converts when the customer made a purchase that day (null when
 *   the group has no events).
 * One statement: per-customer aggregates of orders and events are joined to the grouping and summed.
 */

import { DEFAULT_MIN_GROUP, suppress } from "../privacy/small-groups.js";
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
  readonly suppressed: boolean;
}

export interface KpiReport {
  readonly asOf: string;
  readonly by: string;
  /** Every customer in the base (the denominator of shareOfBase). */
  readonly base: number;
  /** True when `clv predict` has scored customers (averageClv is then filled). */
  readonly clvAvailable: boolean;
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
               ${clvAvailable ? sql`avg(cl.clv)` : sql`NULL`} AS avg_clv
          FROM (${grouping.sql}) g
          LEFT JOIN ord ON ord.customer_id = g.customer_id
          LEFT JOIN sess ON sess.customer_id = g.customer_id
          ${clvJoin}
         GROUP BY g.grp ORDER BY customers DESC, g.grp`,
  );
  const base = Number((await engine.query("SELECT count(*) AS n FROM customers")).column("n")[0]);
  const groups = r
    .rows<{
      grp: string;
      customers: number;
      buyers: number;
      orders: number;
      revenue: number;
      sessions: number | null;
      converted: number | null;
      avg_clv: number | null;
    }>()
    .map((g) => {
      const customers = Number(g.customers);
      const orders = Number(g.orders);
      const buyers = Number(g.buyers);
      const revenue = Number(g.revenue);
      const sessions = g.sessions === null ? 0 : Number(g.sessions);
      return suppress(
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
        ],
      );
    });
  return { asOf: asOf.toISOString(), by: grouping.label, base, clvAvailable, groups };
}
