/**
 * Per-customer features for the response models, built in SQL (one row per customer, every raw row aggregated in
 * the engine) and read as columns into a row-major Float64Array. A cut-off is an instant: rows strictly before it
 * are the past; a label window is [cut-off, cut-off + horizon).
 */
import { PURCHASE_SQL } from "../analytics/summaries.js";
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import { listTraits } from "../store/trait-registry.js";
import type { Matrix } from "./logistic.js";

export const DAY_MS = 86_400_000;

/** An instant as a bound timestamp. */
export function at(t: Date): Sql {
  return sql.param(t.toISOString().replace("T", " ").replace("Z", ""), "timestamp");
}

/** A numeric result column as a Float64Array (NULL → `missing`). */
export function floats(values: readonly unknown[], missing = 0): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = v === null || v === undefined ? missing : Number(v);
  }
  return out;
}

/** Columns into one row-major matrix. */
export function toMatrix(columns: readonly Float64Array[], n: number): Matrix {
  const p = columns.length;
  const x = new Float64Array(n * p);
  for (let j = 0; j < p; j++) {
    const c = columns[j] as Float64Array;
    for (let i = 0; i < n; i++) x[i * p + j] = c[i] as number;
  }
  return { n, p, x };
}

/** Per-customer event counts in the 30 and 90 days before the cut-off, and days since the last event (≤ 365). */
export function engagementSql(cutoff: Date): Sql {
  const c = at(cutoff);
  const d30 = at(new Date(cutoff.getTime() - 30 * DAY_MS));
  const d90 = at(new Date(cutoff.getTime() - 90 * DAY_MS));
  const d365 = at(new Date(cutoff.getTime() - 365 * DAY_MS));
  return sql`SELECT customer_id,
                    sum(CASE WHEN ts >= ${d30} THEN 1 ELSE 0 END) AS events_30d,
                    sum(CASE WHEN ts >= ${d90} THEN 1 ELSE 0 END) AS events_90d,
                    max(ts) AS last_event
               FROM events
              WHERE customer_id IS NOT NULL AND ts >= ${d365} AND ts < ${c}
              GROUP BY customer_id`;
}

/** What a customer must have bought to count as a buyer of the target (a category, maybe within a price band). */
export interface Target {
  /** order_items.category, exactly as stored. */
  readonly category?: string;
  /** A word the item's description contains (case-insensitive), for data without categories. */
  readonly keyword?: string;
  /** Unit price band [low, high] (inclusive), for a new product described by its category and price. */
  readonly priceBand?: readonly [number, number];
}

/** SQL condition on an order_items row `i`: the line is the target's. */
export function targetSql(engine: Engine, t: Target): Sql {
  const parts: Sql[] = [];
  if (t.category !== undefined) parts.push(sql`i.category = ${t.category}`);
  if (t.keyword !== undefined)
    parts.push(
      engine.dialect.contains(sql`lower(coalesce(i.description, ''))`, sql`${t.keyword.toLowerCase()}`),
    );
  if (t.priceBand !== undefined)
    parts.push(sql`i.unit_price >= ${t.priceBand[0]} AND i.unit_price <= ${t.priceBand[1]}`);
  return parts.length === 0 ? sql`1 = 0` : sql.join(parts, " AND ");
}

/** A categorical trait and the levels one-hot encoded. */
interface TraitLevels {
  readonly column: string;
  readonly name: string;
  readonly levels: readonly string[];
}

/**
 * A few categorical traits worth one-hot encoding: text, not personal data, not a sensitive category, 2–30
 * distinct values; up to `maxTraits`, each with its `maxLevels` most common levels.
 */
export async function categoricalTraits(
  engine: Engine,
  maxTraits = 4,
  maxLevels = 6,
): Promise<TraitLevels[]> {
  const out: TraitLevels[] = [];
  for (const t of await listTraits(engine)) {
    if (out.length >= maxTraits) break;
    if (t.type !== "string" || t.pii || t.category === "sensitive" || t.sourceColumn === null) continue;
    const col = sql.ident(t.sourceColumn);
    const r = await engine.query(
      sql`SELECT ${col} AS v, count(*) AS n FROM customers WHERE ${col} IS NOT NULL GROUP BY ${col} ORDER BY n DESC, v`,
    );
    const values = r.column("v") as string[];
    if (values.length < 2 || values.length > 30) continue;
    out.push({ column: t.sourceColumn, name: t.name, levels: values.slice(0, maxLevels) });
  }
  return out;
}

/** Top categories by spend before the cut-off (the affinity columns). */
export async function topCategories(engine: Engine, cutoff: Date, limit = 12): Promise<string[]> {
  const r = await engine.query(
    sql`SELECT category AS v, sum(quantity * unit_price) AS w FROM order_items
         WHERE customer_id IS NOT NULL AND category IS NOT NULL AND quantity > 0 AND ts < ${at(cutoff)}
         GROUP BY category ORDER BY w DESC, v LIMIT ${sql.param(limit, "integer")}`,
  );
  return r.column("v") as string[];
}

/** The shape of the propensity features: fixed once at fit time so scoring builds the same columns. */
export interface PropensityLayout {
  readonly categories: readonly string[];
  readonly traits: readonly TraitLevels[];
}

export interface PropensityRows {
  readonly ids: string[];
  readonly names: string[];
  readonly matrix: Matrix;
  /** Bought the target in [cut-off, cut-off + horizon) (only with a label window). */
  readonly label: Uint8Array;
  /** The baseline "bought the most in the past": spend before the cut-off (frequency breaks ties). */
  readonly pastSpend: Float64Array;
}

/**
 * The propensity features of every known customer (a purchase or an event before the cut-off) who has not bought
 * the target before it, in customer-id order. Columns: RFM (log recency, log orders, log spend, log mean order,
 * bought at all), category shares of spend (`layout.categories`), distinct categories, engagement (events in 30 and
 * 90 days, days since the last event), one-hot trait levels.
 */
export async function propensityRows(
  engine: Engine,
  target: Target,
  layout: PropensityLayout,
  cutoff: Date,
  horizonDays: number,
): Promise<PropensityRows> {
  const d = engine.dialect;
  const c = at(cutoff);
  const end = at(new Date(cutoff.getTime() + horizonDays * DAY_MS));
  const isTarget = targetSql(engine, target);
  const cutEpoch = cutoff.getTime() / 1000;
  const shares = layout.categories.map(
    (_cat, k) =>
      sql`coalesce(l.s${sql.raw(String(k))}, 0) / CASE WHEN coalesce(l.spend, 0) > 0 THEN l.spend ELSE 1 END AS cat_${sql.raw(String(k))}`,
  );
  const lineAggs = layout.categories.map(
    (cat, k) =>
      sql`sum(CASE WHEN i.category = ${cat} AND i.ts < ${c} THEN i.quantity * i.unit_price ELSE 0 END) AS s${sql.raw(String(k))}`,
  );
  const traitCols: Sql[] = [];
  const traitNames: string[] = [];
  for (const t of layout.traits)
    for (const v of t.levels) {
      traitCols.push(
        sql`CASE WHEN cu.${sql.ident(t.column)} = ${v} THEN 1 ELSE 0 END AS ${sql.ident(`t_${traitNames.length}`)}`,
      );
      traitNames.push(`${t.name}=${v}`);
    }
  const lastPurchase = d.epochSeconds(sql`o.last_ts`);
  const lastEvent = d.epochSeconds(sql`e.last_event`);
  const r = await engine.query(
    sql`WITH o AS (
          SELECT o.customer_id, count(*) AS orders, sum(o.total) AS spend, max(o.ts) AS last_ts
            FROM orders o WHERE o.customer_id IS NOT NULL AND ${PURCHASE_SQL} AND o.ts < ${c}
           GROUP BY o.customer_id
        ), l AS (
          SELECT i.customer_id,
                 sum(CASE WHEN i.ts < ${c} AND i.quantity > 0 THEN i.quantity * i.unit_price ELSE 0 END) AS spend,
                 count(DISTINCT CASE WHEN i.ts < ${c} AND i.quantity > 0 THEN i.category END) AS categories,
                 sum(CASE WHEN i.ts < ${c} AND i.quantity > 0 AND ${isTarget} THEN 1 ELSE 0 END) AS before_n,
                 sum(CASE WHEN i.ts >= ${c} AND i.ts < ${end} AND i.quantity > 0 AND ${isTarget} THEN 1 ELSE 0 END) AS after_n
                 ${lineAggs.length ? sql`, ${sql.join(lineAggs)}` : sql.empty}
            FROM order_items i WHERE i.customer_id IS NOT NULL AND i.ts < ${end}
           GROUP BY i.customer_id
        ), e AS (${engagementSql(cutoff)})
        SELECT cu.customer_id,
               CASE WHEN o.last_ts IS NULL THEN NULL ELSE (${cutEpoch} - ${lastPurchase}) / 86400.0 END AS recency,
               coalesce(o.orders, 0) AS orders, coalesce(o.spend, 0) AS spend,
               coalesce(l.categories, 0) AS categories,
               coalesce(e.events_30d, 0) AS events_30d, coalesce(e.events_90d, 0) AS events_90d,
               CASE WHEN e.last_event IS NULL THEN NULL ELSE (${cutEpoch} - ${lastEvent}) / 86400.0 END AS event_recency,
               CASE WHEN coalesce(l.after_n, 0) > 0 THEN 1 ELSE 0 END AS label
               ${shares.length ? sql`, ${sql.join(shares)}` : sql.empty}
               ${traitCols.length ? sql`, ${sql.join(traitCols)}` : sql.empty}
          FROM customers cu
          LEFT JOIN o ON o.customer_id = cu.customer_id
          LEFT JOIN l ON l.customer_id = cu.customer_id
          LEFT JOIN e ON e.customer_id = cu.customer_id
         WHERE (o.customer_id IS NOT NULL OR e.customer_id IS NOT NULL) AND coalesce(l.before_n, 0) = 0
         ORDER BY cu.customer_id`,
  );
  const n = r.rowCount;
  const recency = floats(r.column("recency"), -1);
  const orders = floats(r.column("orders"));
  const spend = floats(r.column("spend"));
  const eventRecency = floats(r.column("event_recency"), -1);
  const logOr = (v: Float64Array, none: number) => v.map((x) => (x < 0 ? none : Math.log1p(x)));
  const columns: Float64Array[] = [
    logOr(recency, Math.log1p(730)),
    orders.map((x) => (x > 0 ? 1 : 0)),
    orders.map(Math.log1p),
    spend.map((x) => Math.log1p(Math.max(0, x))),
    spend.map((x, i) => Math.log1p(Math.max(0, x) / Math.max(1, orders[i] as number))),
    floats(r.column("categories")).map(Math.log1p),
    floats(r.column("events_30d")).map(Math.log1p),
    floats(r.column("events_90d")).map(Math.log1p),
    logOr(eventRecency, Math.log1p(365)),
  ];
  const names = [
    "log_recency_days",
    "has_purchased",
    "log_orders",
    "log_spend",
    "log_mean_order",
    "log_categories",
    "log_events_30d",
    "log_events_90d",
    "log_days_since_event",
  ];
  layout.categories.forEach((cat, k) => {
    columns.push(floats(r.column(`cat_${k}`)));
    names.push(`share:${cat}`);
  });
  traitNames.forEach((t, k) => {
    columns.push(floats(r.column(`t_${k}`)));
    names.push(t);
  });
  const pastSpend = new Float64Array(n);
  for (let i = 0; i < n; i++) pastSpend[i] = Math.max(0, spend[i] as number) + (orders[i] as number) * 1e-9;
  return {
    ids: r.column("customer_id") as string[],
    names,
    matrix: toMatrix(columns, n),
    label: Uint8Array.from(floats(r.column("label"))),
    pastSpend,
  };
}
