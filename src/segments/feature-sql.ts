import type { ConditionalAggregate, Dialect } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import { type EventFeature, eventSlicesSql } from "./event-slices.js";
import type { Feature, FeatureSet } from "./leaf-features.js";
import type { SchemaContext } from "./schema-context.js";
import { type ResolvedWindow, tsParam, windowTests } from "./window.js";

/** The source tables besides events that features are aggregated from. */
export type SourceTable = "orders" | "order_items" | "consents";

export interface FeatureTableOptions {
  /** A query selecting the customer ids to build rows for (all customers without it). */
  readonly customerFilter?: Sql;
  /**
   * A subquery yielding the event features (customer_id and one column per event feature) to read instead of
   * scanning events: an incremental refresh brings the stored counts forward itself (src/segments/incremental.ts).
   */
  readonly eventValues?: Sql;
  /**
   * A stored feature table to take the order, order-line and consent features from, except for the customers of
   * `recompute` (a query selecting distinct customer ids, per source table), whose values are computed anew: an
   * incremental refresh recomputes only what new rows, leaving windows or late data can have changed.
   */
  readonly stored?: {
    readonly table: Sql;
    readonly recompute: Readonly<Record<SourceTable, Sql>>;
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
): Sql {
  const { customerFilter, eventValues, stored } = opts;
  const raw = sql.raw;
  const id = (name: string) => sql.ident(name);
  /** A source table's feature as computed, or (with `stored`) as stored for the customers not recomputed. */
  const kept = (table: SourceTable, expr: Sql, out: Sql) =>
    stored
      ? sql`CASE WHEN ${raw(`rc_${table}`)}.customer_id IS NOT NULL THEN ${expr} ELSE s.${out} END AS ${out}`
      : sql`${expr} AS ${out}`;
  const used = new Set<SourceTable>();
  const inWindow = (w: ResolvedWindow | undefined, column: Sql) => windowTests(w, column, asOf);
  /** An aggregate over the rows that pass every test (all rows without any). */
  const aggregate = (fn: ConditionalAggregate, args: readonly Sql[], tests: readonly Sql[]) =>
    tests.length
      ? d.aggIf(fn, args, sql.join(tests, " AND "))
      : sql`${raw(fn)}(${args.length ? sql.join(args) : raw("*")})`;

  const eventFeatures: { feature: EventFeature; column: string }[] = [];
  const ordersByTotal: Sql[] = [];
  const ordersByLines: Sql[] = [];
  const lineSets = new Map<string, { categories: readonly string[] | undefined; index: number }>();
  const consents: Sql[] = [];
  const outer: Sql[] = [];
  const lineCols: Sql[] = [];
  for (const { feature: f, column } of features.features()) {
    const out = id(column);
    if (f.kind === "event") {
      eventFeatures.push({ feature: f, column });
      // 0, not missing, for a customer with no counted row (the bands emit only the rows that count).
      outer.push(sql`coalesce(ev.${out}, 0) AS ${out}`);
    } else if (f.kind === "consent") {
      const match = [
        sql`k.purpose = ${sql.param(f.purpose, "string")}`,
        ...(f.channel ? [sql`(k.channel = ${sql.param(f.channel, "string")} OR k.channel IS NULL)`] : []),
      ];
      // The latest record decides; a denial at the same instant as a grant wins (privacy first).
      const granted = id(`${column}_g`);
      const denied = id(`${column}_d`);
      consents.push(
        sql`${aggregate("max", [sql`k.ts`], [...match, sql`k.status = 'granted'`])} AS ${granted}`,
      );
      consents.push(
        sql`${aggregate("max", [sql`k.ts`], [...match, sql`k.status <> 'granted'`])} AS ${denied}`,
      );
      const g = sql`co.${granted}`;
      const dn = sql`co.${denied}`;
      outer.push(
        kept(
          "consents",
          sql`CASE WHEN ${g} IS NULL THEN false WHEN ${dn} IS NULL THEN true ELSE ${g} > ${dn} END`,
          out,
        ),
      );
      used.add("consents");
    } else if (f.of === "total" && !f.categories) {
      const [fn, args] = orderAggregate(f, sql`o.total`, sql`o.ts`);
      ordersByTotal.push(sql`${aggregate(fn, args, inWindow(f.window, sql`o.ts`))} AS ${out}`);
      outer.push(kept("orders", sql`od.${out}`, out));
      used.add("orders");
    } else {
      // Category or quantity: aggregated per order from its positive lines first, then per customer.
      const key = JSON.stringify(f.categories ?? null);
      let set = lineSets.get(key);
      if (!set) {
        set = { categories: f.categories, index: lineSets.size };
        lineSets.set(key, set);
        const inCats = f.categories
          ? [sql`i.category IN (${sql.join(f.categories.map((c) => sql.param(c, "string")))})`]
          : [];
        const pos = [sql`i.quantity > 0`, ...inCats];
        lineCols.push(
          sql`${aggregate("sum", [sql`i.quantity * i.unit_price`], pos)} AS ${raw(`a${set.index}`)}`,
        );
        lineCols.push(sql`${aggregate("sum", [sql`i.quantity`], pos)} AS ${raw(`u${set.index}`)}`);
      }
      const amount = raw(`lo.a${set.index}`);
      const measure = f.of === "quantity" ? raw(`lo.u${set.index}`) : amount;
      const tests = [sql`${amount} IS NOT NULL`, ...inWindow(f.window, sql`lo.ts`)];
      const [fn, args] = orderAggregate(f, measure, sql`lo.ts`);
      ordersByLines.push(sql`${aggregate(fn, args, tests)} AS ${out}`);
      outer.push(kept("order_items", sql`ol.${out}`, out));
      used.add("order_items");
    }
  }

  const joins: Sql[] = [];
  /** A per-customer table, restricted to the customers built (so a join hashes only their rows). */
  const only = (table: Sql) =>
    customerFilter ? sql`(SELECT * FROM ${table} WHERE customer_id IN (${customerFilter}))` : table;
  const scope = (alias: string, table: SourceTable) => {
    const ids = stored ? stored.recompute[table] : customerFilter;
    return ids ? sql` AND ${raw(alias)}.customer_id IN (${ids})` : sql.empty;
  };
  /** One grouped pass over a raw table: its customers' aggregates, joined to every customer. */
  const perCustomer = (
    table: Exclude<SourceTable, "order_items">,
    alias: string,
    as: string,
    aggregates: readonly Sql[],
  ) => {
    const a = raw(alias);
    return sql`LEFT JOIN (SELECT ${a}.customer_id, ${sql.join(aggregates)} FROM ${raw(table)} ${a}
                 WHERE ${a}.customer_id IS NOT NULL AND ${a}.ts <= ${tsParam(asOf)}${scope(alias, table)}
                 GROUP BY ${a}.customer_id) ${raw(as)} ON ${raw(as)}.customer_id = c.customer_id`;
  };
  if (eventFeatures.length && eventValues) {
    joins.push(sql`LEFT JOIN (${eventValues}) ev ON ev.customer_id = c.customer_id`);
  } else if (eventFeatures.length) {
    // Each feature counts the rows of its own window; a customer with none gets zero counts (coalesce above).
    const slices = eventSlicesSql(d, eventFeatures, null, asOf, customerFilter);
    if (slices) joins.push(sql`LEFT JOIN (${slices}) ev ON ev.customer_id = c.customer_id`);
  }
  if (ordersByTotal.length) joins.push(perCustomer("orders", "o", "od", ordersByTotal));
  if (ordersByLines.length) {
    joins.push(
      sql`LEFT JOIN (SELECT lo.customer_id, ${sql.join(ordersByLines)} FROM (
                    SELECT i.customer_id, i.order_id, min(i.ts) AS ts, ${sql.join(lineCols)} FROM order_items i
                     WHERE i.customer_id IS NOT NULL AND i.ts <= ${tsParam(asOf)}${scope("i", "order_items")}
                     GROUP BY i.customer_id, i.order_id) lo
                   GROUP BY lo.customer_id) ol ON ol.customer_id = c.customer_id`,
    );
  }
  if (consents.length) joins.push(perCustomer("consents", "k", "co", consents));
  const computed = computedValuesSql(features, schema, only);
  joins.push(...computed.joins);
  const computedCols = [...computed.values].map(([col, value]) => sql`${value} AS ${id(col)}`);
  if (stored) {
    joins.push(sql`LEFT JOIN ${only(stored.table)} s ON s.customer_id = c.customer_id`);
    for (const t of used) {
      const rc = raw(`rc_${t}`);
      joins.push(sql`LEFT JOIN (${stored.recompute[t]}) ${rc} ON ${rc}.customer_id = c.customer_id`);
    }
  }
  // The filter goes on the customers before the joins: the optimizer does not push it below the LEFT JOINs.
  const customers = customerFilter
    ? sql`(SELECT * FROM customers WHERE customer_id IN (${customerFilter}))`
    : sql`customers`;
  const columns = [...computedCols, ...outer].map((x) => sql`, ${x}`);
  // Named: ClickHouse calls an unaliased column of a query with several joins by its qualified name.
  return sql`SELECT c.customer_id AS customer_id${sql.join(columns, "")}
                 FROM ${customers} c ${sql.join(joins, "\n")}`;
}

/**
 * The computed values the predicates read, from their producers' tables joined to customers `c` (one join per
 * table, however many of its values are read; `table` may restrict a table's rows): the joins, and for each
 * feature column the expression of its value.
 */
export function computedValuesSql(
  features: FeatureSet,
  schema: SchemaContext,
  table: (relation: Sql) => Sql = (t) => t,
): { joins: Sql[]; values: Map<string, Sql> } {
  const aliases = new Map<string, string>();
  const joins: Sql[] = [];
  const values = new Map<string, Sql>();
  for (const [name, col] of features.computed) {
    const src = schema.computed.get(name);
    if (!src) throw new Error(`computed value ${name} is not registered`);
    let alias = aliases.get(src.table);
    if (!alias) {
      alias = `cv${aliases.size}`;
      aliases.set(src.table, alias);
      const a = sql.raw(alias);
      joins.push(sql`LEFT JOIN ${table(sql.ident(src.table))} ${a} ON ${a}.customer_id = c.customer_id`);
    }
    values.set(col, sql`${sql.raw(alias)}.${sql.ident(src.column)}`);
  }
  return { joins, values };
}

/** The trait columns the predicates read, from the customers row `alias`, each under its feature column name. */
export function traitColumnsSql(features: FeatureSet, alias: string): Sql {
  return sql.join(
    [...features.traits].map(
      ([name, col]) => sql`, ${sql.raw(alias)}.${sql.ident(name)} AS ${sql.ident(col)}`,
    ),
    "",
  );
}

/**
 * What the predicates read (alias it `f`): the rows of a feature table (a relation: `sql.temp(…)` or
 * `sql.ident(…)`) with the traits they compare, joined from `customers` by id. Just the table when no predicate
 * reads a trait.
 */
export function featureRowsSql(features: FeatureSet, table: Sql): Sql {
  if (features.traits.size === 0) return table;
  return sql`(SELECT r.*${traitColumnsSql(features, "c")} FROM ${table} r JOIN customers c ON c.customer_id = r.customer_id)`;
}

/** The aggregate of an order feature over a measure (or the time, for days since): its function and arguments. */
function orderAggregate(
  f: Extract<Feature, { kind: "orders" }>,
  measure: Sql,
  time: Sql,
): [ConditionalAggregate, Sql[]] {
  switch (f.agg) {
    case "count":
      return ["count", []];
    case "sum":
      return ["sum", [measure]];
    case "avg":
      return ["avg", [measure]];
    case "min":
      return ["min", [measure]];
    case "max":
      return ["max", [measure]];
    case "days_since_last":
      return ["max", [time]];
    case "days_since_first":
      return ["min", [time]];
  }
}
