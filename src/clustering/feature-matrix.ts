import { durationBefore } from "../common/duration.js";
import { listComputed } from "../store/computed.js";
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import { listTraits } from "../store/trait-registry.js";
import {
  type Duration,
  type FeatureSchema,
  type FeatureSpec,
  type Role,
  roleOf,
  type ShareProperty,
} from "./feature-spec.js";

/** One column of the feature matrix, as the engine computed it (before any preprocessing). */
export interface FeatureColumn {
  /** The feature it belongs to (a mix or an hour gives several columns). */
  readonly feature: string;
  /** Column name: the feature's id, `<mix share>:<level>`, or `events.favourite_hour:sin|cos`. */
  readonly name: string;
  readonly role: Role;
  /** Numbers, NaN when missing; for a categorical column, the index of its level in `levels`. */
  readonly values: Float64Array;
  /** Levels of a categorical column (most frequent first). */
  readonly levels?: readonly string[];
}

/** One row per customer, one typed array per column. */
export interface FeatureTable {
  readonly n: number;
  readonly ids: readonly string[];
  readonly columns: readonly FeatureColumn[];
  /** With a group relation: each customer's group (index into `groupLabels`), −1 outside every group. */
  readonly groups?: Int32Array;
  readonly groupLabels?: readonly string[];
}

export interface ExtractOptions {
  readonly asOf: Date;
  /** Also customers known only by an anonymous id (default: only identified customers). */
  readonly includeAnonymous?: boolean;
  /** Fixed levels for mixes and categorical columns (a saved model's), by feature id. */
  readonly levels?: ReadonlyMap<string, readonly string[]>;
  /** Most levels a mix or a categorical column gets (the most frequent; default 12). */
  readonly maxLevels?: number;
  /** A session temporary table (`sql.temp`) of (customer_id, grp): the customers' groups, for personas. */
  readonly groupTable?: string;
}

/** The trait registry and computed values, as features may name them. */
export async function featureSchema(engine: Engine): Promise<FeatureSchema> {
  return { traits: await listTraits(engine), computed: await listComputed(engine) };
}

const ts = (d: Date) => d.toISOString().replace("T", " ").replace("Z", "");
const raw = sql.raw;

/** The levels of a mix, most common first: discovered in the data unless a saved model fixes them. */
async function mixLevels(engine: Engine, f: FeatureSpec, opts: ExtractOptions): Promise<readonly string[]> {
  const fixed = opts.levels?.get(f.id);
  if (fixed) return fixed;
  const d = engine.dialect;
  const limit = sql.param(opts.maxLevels ?? 12, "integer");
  const asOf = sql.param(ts(opts.asOf), "timestamp");
  if (f.kind === "order-category") {
    const r = await engine.query(
      sql`SELECT category AS v, sum(quantity * unit_price) AS w FROM order_items
        WHERE customer_id IS NOT NULL AND category IS NOT NULL AND quantity > 0 AND ts <= ${asOf}
        GROUP BY category ORDER BY w DESC, v LIMIT ${limit}`,
    );
    return r.column("v") as string[];
  }
  const property = (f as { property: ShareProperty }).property;
  const value = d.jsonText(raw("properties"), property);
  const r = await engine.query(
    sql`SELECT ${value} AS v, count(*) AS w FROM events
      WHERE customer_id IS NOT NULL AND ts <= ${asOf} AND ${d.jsonText(raw("properties"), "device")} IS NOT NULL
        AND ${value} IS NOT NULL
      GROUP BY ${value} ORDER BY w DESC, v LIMIT ${limit}`,
  );
  return r.column("v") as string[];
}

interface Output {
  readonly feature: FeatureSpec;
  readonly name: string;
  readonly sql: Sql;
}

/**
 * Extracts the feature matrix with one SQL query (after small queries for the levels of mixes): one row per
 * customer in customer-id order, every raw table aggregated inside the engine. Only identified customers
 * unless `includeAnonymous`.
 */
export async function extractFeatures(
  engine: Engine,
  features: readonly FeatureSpec[],
  opts: ExtractOptions,
): Promise<FeatureTable> {
  const d = engine.dialect;
  const asOf = () => sql.param(ts(opts.asOf), "timestamp");
  const asOfEpoch = opts.asOf.getTime() / 1000;
  const since = (w: Duration | undefined, column: Sql) =>
    w ? sql` AND ${column} > ${sql.param(ts(durationBefore(w, opts.asOf)), "timestamp")}` : sql.empty;
  const outputs: Output[] = [];
  const orderAggs: Sql[] = [];
  const lineAggs: Sql[] = [];
  const eventAggs: Sql[] = [];
  const joins: Sql[] = [];
  const eventProps = new Set<ShareProperty>();
  const add = (feature: FeatureSpec, name: string, expr: Sql) => outputs.push({ feature, name, sql: expr });
  const col = (list: Sql[], agg: Sql) => {
    list.push(sql`${agg} AS ${raw(`a${list.length}`)}`);
    return raw(`a${list.length - 1}`);
  };
  const tsCol = raw("ts");

  for (const f of features) {
    switch (f.kind) {
      case "trait": {
        const v = sql`c.${sql.ident(f.name)}`;
        add(f, f.id, f.value === "date" ? days(d.epochSeconds(v), asOfEpoch) : v);
        break;
      }
      case "computed": {
        const alias = raw(`k${joins.length}`);
        joins.push(sql`LEFT JOIN ${sql.ident(f.table)} ${alias} ON ${alias}.customer_id = c.customer_id`);
        const v = sql`${alias}.${sql.ident(f.column)}`;
        add(f, f.id, f.value === "date" ? days(d.epochSeconds(v), asOfEpoch) : v);
        break;
      }
      case "orders": {
        const w = since(f.window, tsCol);
        const a = (agg: Sql) => sql`o.${col(orderAggs, agg)}`;
        const expr = {
          count: () => sql`coalesce(${a(sql`count(CASE WHEN total IS NOT NULL${w} THEN 1 END)`)}, 0)`,
          revenue: () => sql`coalesce(${a(sql`sum(CASE WHEN total IS NOT NULL${w} THEN total END)`)}, 0)`,
          aov: () => a(sql`avg(CASE WHEN total IS NOT NULL${w} THEN total END)`),
          days_since_last: () => days(a(sql`max(${d.epochSeconds(tsCol)})`), asOfEpoch),
          days_since_first: () => days(a(sql`min(${d.epochSeconds(tsCol)})`), asOfEpoch),
        }[f.measure]();
        add(f, f.id, expr);
        break;
      }
      case "order-category": {
        const spend = sql`l.${col(lineAggs, raw("sum(quantity * unit_price)"))}`;
        for (const level of f.category === null ? await mixLevels(engine, f, opts) : [f.category]) {
          const part = sql`l.${col(lineAggs, sql`sum(CASE WHEN category = ${sql.param(level, "string")} THEN quantity * unit_price ELSE 0 END)`)}`;
          add(
            f,
            f.category === null ? `orders.category_share:${level}` : f.id,
            sql`CASE WHEN ${spend} > 0 THEN ${part} / ${spend} END`,
          );
        }
        break;
      }
      case "events": {
        const cond = sql`${f.event === null ? raw("TRUE") : sql`event = ${sql.param(f.event, "string")}`}${since(f.window, tsCol)}`;
        add(f, f.id, sql`coalesce(e.${col(eventAggs, sql`count(CASE WHEN ${cond} THEN 1 END)`)}, 0)`);
        break;
      }
      case "share": {
        eventProps.add("device");
        eventProps.add(f.property);
        for (const level of f.value === null ? await mixLevels(engine, f, opts) : [f.value]) {
          const v = sql.ident(`p_${f.property}`);
          const share = sql`avg(CASE WHEN p_device IS NULL OR ${v} IS NULL THEN NULL WHEN ${v} = ${sql.param(level, "string")} THEN 1.0 ELSE 0.0 END)`;
          add(
            f,
            f.value === null ? `events.${f.property}_share:${level}` : f.id,
            sql`e.${col(eventAggs, share)}`,
          );
        }
        break;
      }
      case "hour": {
        eventProps.add("device");
        // The angle of the time of day: sin and cos are periodic, so epoch seconds need no modulo.
        for (const fn of ["sin", "cos"]) {
          const agg = sql`avg(CASE WHEN p_device IS NOT NULL THEN ${raw(fn)}(${d.epochSeconds(tsCol)} * ${raw(`${(2 * Math.PI) / 86400}`)}) END)`;
          add(f, `${f.id}:${fn}`, sql`e.${col(eventAggs, agg)}`);
        }
        break;
      }
    }
  }
  if (orderAggs.length) {
    joins.push(sql`LEFT JOIN (SELECT customer_id, ${sql.join(orderAggs)} FROM orders
                  WHERE customer_id IS NOT NULL AND ts <= ${asOf()} GROUP BY customer_id) o ON o.customer_id = c.customer_id`);
  }
  if (lineAggs.length) {
    joins.push(sql`LEFT JOIN (SELECT customer_id, ${sql.join(lineAggs)} FROM order_items
                  WHERE customer_id IS NOT NULL AND quantity > 0 AND ts <= ${asOf()} GROUP BY customer_id) l
                ON l.customer_id = c.customer_id`);
  }
  if (eventAggs.length) {
    const props = sql.join(
      [...eventProps].map((x) => sql`, ${d.jsonText(raw("properties"), x)} AS ${sql.ident(`p_${x}`)}`),
      "",
    );
    joins.push(sql`LEFT JOIN (SELECT customer_id, ${sql.join(eventAggs)}
                  FROM (SELECT customer_id, event, ts${props} FROM events WHERE customer_id IS NOT NULL AND ts <= ${asOf()}) ev
                  GROUP BY customer_id) e ON e.customer_id = c.customer_id`);
  }
  if (opts.groupTable)
    joins.push(sql`LEFT JOIN ${sql.temp(opts.groupTable)} g ON g.customer_id = c.customer_id`);
  const who = opts.includeAnonymous
    ? sql.empty
    : sql` WHERE EXISTS (SELECT 1 FROM identities i WHERE i.customer_id = c.customer_id AND i.kind <> ${sql.param("anonymous_id", "string")})`;
  const select = [
    raw("c.customer_id AS customer_id"),
    ...outputs.map((o, i) => sql`${o.sql} AS ${sql.ident(`f${i}`)}`),
    ...(opts.groupTable ? [sql`${d.toText(raw("g.grp"))} AS grp`] : []),
  ];
  const r = await engine.query(
    sql`SELECT ${sql.join(select)} FROM customers c ${sql.join(joins, "\n")}${who} ORDER BY c.customer_id`,
  );
  const columns = outputs.map((o, i) => toColumn(o, r.column(`f${i}`), opts));
  const table: FeatureTable = { n: r.rowCount, ids: r.column("customer_id") as string[], columns };
  return opts.groupTable ? { ...table, ...groupsOf(r.column("grp")) } : table;
}

/** Days from an epoch-seconds expression to the as-of time. */
function days(epoch: Sql, asOfEpoch: number): Sql {
  return sql`(${sql.param(asOfEpoch, "number")} - ${epoch}) / 86400.0`;
}

function toColumn(o: Output, raw: readonly unknown[], opts: ExtractOptions): FeatureColumn {
  const n = raw.length;
  const values = new Float64Array(n);
  const base = { feature: o.feature.id, name: o.name, role: roleOf(o.feature) };
  const categorical =
    (o.feature.kind === "trait" || o.feature.kind === "computed") && o.feature.value === "categorical";
  if (!categorical) {
    for (let i = 0; i < n; i++) {
      const v = raw[i];
      values[i] = v === null || v === undefined ? Number.NaN : Number(v);
    }
    return { ...base, values };
  }
  const levels = opts.levels?.get(o.feature.id) ?? frequentLevels(raw, opts.maxLevels ?? 12);
  const index = new Map(levels.map((l, i) => [l, i]));
  // A level outside the kept ones (rare, or unseen by a saved model) is the last level, "(other)".
  const other = levels.indexOf(OTHER);
  for (let i = 0; i < n; i++) {
    const v = raw[i];
    values[i] =
      v === null || v === undefined
        ? Number.NaN
        : (index.get(String(v)) ?? (other >= 0 ? other : Number.NaN));
  }
  return { ...base, values, levels };
}

/** The level that gathers the rare values of a categorical column. */
export const OTHER = "(other)";

function frequentLevels(raw: readonly unknown[], max: number): string[] {
  const counts = new Map<string, number>();
  for (const v of raw)
    if (v !== null && v !== undefined) counts.set(String(v), (counts.get(String(v)) ?? 0) + 1);
  const sorted = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([l]) => l);
  return sorted.length > max ? [...sorted.slice(0, max - 1), OTHER] : sorted;
}

function groupsOf(raw: readonly unknown[]): { groups: Int32Array; groupLabels: string[] } {
  const labels = [...new Set(raw.filter((v): v is string => typeof v === "string"))].sort((a, b) =>
    a.localeCompare(b, "en", { numeric: true }),
  );
  const index = new Map(labels.map((l, i) => [l, i]));
  const groups = new Int32Array(raw.length);
  raw.forEach((v, i) => {
    groups[i] = typeof v === "string" ? (index.get(v) as number) : -1;
  });
  return { groups, groupLabels: labels };
}
