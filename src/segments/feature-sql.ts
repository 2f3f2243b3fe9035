import type { Dialect } from "../store/engine.js";
import { Binder } from "./binder.js";
import { type EventFeature, eventSlicesSql } from "./event-slices.js";
import type { Feature, FeatureSet } from "./leaf-features.js";
import type { SchemaContext } from "./schema-context.js";
import { type ResolvedWindow, windowTests } from "./window.js";

const ts = (d: Date) => d.toISOString().replace("T", " ").replace("Z", "");

/** The source tables besides events that features are aggregated from. */
export type SourceTable = "orders" | "order_items" | "consents";

export interface FeatureTableOptions {
  /** SQL selecting the customer ids to build rows for (all customers without it). */
  readonly customerFilter?: string;
  /**
   * A subquery yielding the event features (customer_id and one column per event feature) to read instead of
   * scanning events: an incremental refresh brings the stored counts forward itself (src/segments/incremental.ts).
   * Its parameters are those already in `binder`.
   */
  readonly eventValues?: string;
  /** The binder to go on numbering parameters from (one whose values a subquery above already uses). */
  readonly binder?: Binder;
  /**
   * A stored feature table to take the order, order-line and consent features from, except for the customers of
   * `recompute` (SQL selecting distinct customer ids, per source table), whose values are computed anew: an
   * incremental refresh recomputes only what new rows, leaving windows or late data can have changed.
   */
  readonly stored?: {
    readonly table: string;
    readonly recompute: Readonly<Record<SourceTable, string>>;
  };
}

/**
 * The query that builds the feature table: one row per customer, one column per feature, in one pass over each
 * raw table (events, orders, order lines, consents), plus the computed values the predicates read (kept so that
 * an incremental refresh can tell whose value a producer changed). Every customer is a row, with or without
 * activity. Traits are not copied in: the predicates read them from `customers` (`featureRowsSql`), since
 * writing a million rows of e-mail addresses and phone numbers into a stored table costs more than the join.
 */
export function featureTableSql(
  d: Dialect,
  features: FeatureSet,
  schema: SchemaContext,
  asOf: Date,
  opts: FeatureTableOptions = {},
): { sql: string; params: Binder["values"] } {
  const { customerFilter, eventValues, stored } = opts;
  /** A source table's feature as computed, or (with `stored`) as stored for the customers not recomputed. */
  const kept = (table: SourceTable, expr: string, out: string) =>
    stored
      ? `CASE WHEN rc_${table}.customer_id IS NOT NULL THEN ${expr} ELSE s.${out} END AS ${out}`
      : `${expr} AS ${out}`;
  const used = new Set<SourceTable>();
  const b = opts.binder ?? new Binder(d);
  const q = d.quoteIdent;
  const asOfParam = () => b.bind(ts(asOf), "timestamp");
  const inWindow = (w: ResolvedWindow | undefined, column: string) => windowTests(b, w, column, asOf);
  const filter = (conds: string[]) => (conds.length ? ` FILTER (WHERE ${conds.join(" AND ")})` : "");

  const eventFeatures: { feature: EventFeature; column: string }[] = [];
  const ordersByTotal: string[] = [];
  const ordersByLines: string[] = [];
  const lineSets = new Map<string, { categories: readonly string[] | undefined; index: number }>();
  const consents: string[] = [];
  const outer: string[] = [];
  const lineCols: string[] = [];
  for (const { feature: f, column } of features.features()) {
    const out = q(column);
    if (f.kind === "event") {
      eventFeatures.push({ feature: f, column });
      // 0, not missing, for a customer with no counted row (the bands emit only the rows that count).
      outer.push(`coalesce(ev.${out}, 0) AS ${out}`);
    } else if (f.kind === "consent") {
      const match = [
        `k.purpose = ${b.bind(f.purpose, "string")}`,
        ...(f.channel ? [`(k.channel = ${b.bind(f.channel, "string")} OR k.channel IS NULL)`] : []),
      ];
      // The latest record decides; a denial at the same instant as a grant wins (privacy first).
      consents.push(`max(k.ts)${filter([...match, "k.status = 'granted'"])} AS ${q(`${column}_g`)}`);
      consents.push(`max(k.ts)${filter([...match, "k.status <> 'granted'"])} AS ${q(`${column}_d`)}`);
      const g = `co.${q(`${column}_g`)}`;
      const dn = `co.${q(`${column}_d`)}`;
      outer.push(
        kept(
          "consents",
          `CASE WHEN ${g} IS NULL THEN false WHEN ${dn} IS NULL THEN true ELSE ${g} > ${dn} END`,
          out,
        ),
      );
      used.add("consents");
    } else if (f.of === "total" && !f.categories) {
      ordersByTotal.push(
        `${orderAggregate(f, "o.total", "o.ts")}${filter(inWindow(f.window, "o.ts"))} AS ${out}`,
      );
      outer.push(kept("orders", `od.${out}`, out));
      used.add("orders");
    } else {
      // Category or quantity: aggregated per order from its positive lines first, then per customer.
      const key = JSON.stringify(f.categories ?? null);
      let set = lineSets.get(key);
      if (!set) {
        set = { categories: f.categories, index: lineSets.size };
        lineSets.set(key, set);
        const inCats = f.categories
          ? [`i.category IN (${f.categories.map((c) => b.bind(c, "string")).join(", ")})`]
          : [];
        const pos = ["i.quantity > 0", ...inCats];
        lineCols.push(`sum(i.quantity * i.unit_price)${filter(pos)} AS a${set.index}`);
        lineCols.push(`sum(i.quantity)${filter(pos)} AS u${set.index}`);
      }
      const measure = f.of === "quantity" ? `lo.u${set.index}` : `lo.a${set.index}`;
      const conds = [`lo.a${set.index} IS NOT NULL`, ...inWindow(f.window, "lo.ts")];
      ordersByLines.push(`${orderAggregate(f, measure, "lo.ts")}${filter(conds)} AS ${out}`);
      outer.push(kept("order_items", `ol.${out}`, out));
      used.add("order_items");
    }
  }

  const joins: string[] = [];
  /** A per-customer table, restricted to the customers built (so a join hashes only their rows). */
  const only = (table: string) =>
    customerFilter ? `(SELECT * FROM ${table} WHERE customer_id IN (${customerFilter}))` : table;
  const scope = (alias: string, table: SourceTable) => {
    const ids = stored ? stored.recompute[table] : customerFilter;
    return ids ? ` AND ${alias}.customer_id IN (${ids})` : "";
  };
  /** One grouped pass over a raw table: its customers' aggregates, joined to every customer. */
  const perCustomer = (
    table: Exclude<SourceTable, "order_items">,
    alias: string,
    as: string,
    aggregates: readonly string[],
  ) =>
    `LEFT JOIN (SELECT ${alias}.customer_id, ${aggregates.join(", ")} FROM ${table} ${alias}
                 WHERE ${alias}.customer_id IS NOT NULL AND ${alias}.ts <= ${asOfParam()}${scope(alias, table)}
                 GROUP BY ${alias}.customer_id) ${as} ON ${as}.customer_id = c.customer_id`;
  if (eventFeatures.length && eventValues) {
    joins.push(`LEFT JOIN (${eventValues}) ev ON ev.customer_id = c.customer_id`);
  } else if (eventFeatures.length) {
    // Each feature counts the rows of its own window; a customer with none gets zero counts (coalesce above).
    const sql = eventSlicesSql(d, b, eventFeatures, null, asOf, customerFilter);
    if (sql) joins.push(`LEFT JOIN (${sql}) ev ON ev.customer_id = c.customer_id`);
  }
  if (ordersByTotal.length) joins.push(perCustomer("orders", "o", "od", ordersByTotal));
  if (ordersByLines.length) {
    joins.push(
      `LEFT JOIN (SELECT lo.customer_id, ${ordersByLines.join(", ")} FROM (
                    SELECT i.customer_id, i.order_id, min(i.ts) AS ts, ${lineCols.join(", ")} FROM order_items i
                     WHERE i.customer_id IS NOT NULL AND i.ts <= ${asOfParam()}${scope("i", "order_items")}
                     GROUP BY i.customer_id, i.order_id) lo
                   GROUP BY lo.customer_id) ol ON ol.customer_id = c.customer_id`,
    );
  }
  if (consents.length) joins.push(perCustomer("consents", "k", "co", consents));
  const computed = computedValuesSql(d, features, schema, only);
  joins.push(...computed.joins);
  const computedCols = [...computed.values].map(([col, value]) => `${value} AS ${q(col)}`);
  if (stored) {
    joins.push(`LEFT JOIN ${only(q(stored.table))} s ON s.customer_id = c.customer_id`);
    for (const t of used)
      joins.push(`LEFT JOIN (${stored.recompute[t]}) rc_${t} ON rc_${t}.customer_id = c.customer_id`);
  }
  // The filter goes on the customers before the joins: the optimizer does not push it below the LEFT JOINs.
  const customers = customerFilter
    ? `(SELECT * FROM customers WHERE customer_id IN (${customerFilter}))`
    : "customers";
  const sql = `SELECT c.customer_id${[...computedCols, ...outer].map((x) => `, ${x}`).join("")}
                 FROM ${customers} c ${joins.join("\n")}`;
  return { sql, params: b.values };
}

/**
 * The computed values the predicates read, from their producers' tables joined to customers `c` (one join per
 * table, however many of its values are read; `table` may restrict a table's rows): the joins, and for each
 * feature column the expression of its value.
 */
export function computedValuesSql(
  d: Dialect,
  features: FeatureSet,
  schema: SchemaContext,
  table: (quoted: string) => string = (t) => t,
): { joins: string[]; values: Map<string, string> } {
  const q = d.quoteIdent;
  const aliases = new Map<string, string>();
  const joins: string[] = [];
  const values = new Map<string, string>();
  for (const [name, col] of features.computed) {
    const src = schema.computed.get(name);
    if (!src) throw new Error(`computed value ${name} is not registered`);
    let alias = aliases.get(src.table);
    if (!alias) {
      alias = `cv${aliases.size}`;
      aliases.set(src.table, alias);
      joins.push(`LEFT JOIN ${table(q(src.table))} ${alias} ON ${alias}.customer_id = c.customer_id`);
    }
    values.set(col, `${alias}.${q(src.column)}`);
  }
  return { joins, values };
}

/** The trait columns the predicates read, from the customers row `alias`, each under its feature column name. */
export function traitColumnsSql(d: Dialect, features: FeatureSet, alias: string): string {
  return [...features.traits]
    .map(([name, col]) => `, ${alias}.${d.quoteIdent(name)} AS ${d.quoteIdent(col)}`)
    .join("");
}

/**
 * What the predicates read (alias it `f`): the rows of a feature table with the traits they compare, joined from
 * `customers` by id; only the customers `only` selects (SQL selecting ids), when given. Just the table when no
 * predicate reads a trait.
 */
export function featureRowsSql(d: Dialect, features: FeatureSet, table: string, only?: string): string {
  const q = d.quoteIdent;
  // The filter on both sides of the join: the optimizer does not carry it over to `customers` by itself.
  const rows = (t: string) => (only ? `(SELECT * FROM ${t} WHERE customer_id IN (${only}))` : t);
  if (features.traits.size === 0) return rows(q(table));
  return `(SELECT r.*${traitColumnsSql(d, features, "c")} FROM ${rows(q(table))} r JOIN ${rows("customers")} c ON c.customer_id = r.customer_id)`;
}

function orderAggregate(f: Extract<Feature, { kind: "orders" }>, measure: string, time: string): string {
  switch (f.agg) {
    case "count":
      return "count(*)";
    case "sum":
      return `sum(${measure})`;
    case "avg":
      return `avg(${measure})`;
    case "min":
      return `min(${measure})`;
    case "max":
      return `max(${measure})`;
    case "days_since_last":
      return `max(${time})`;
    case "days_since_first":
      return `min(${time})`;
  }
}
