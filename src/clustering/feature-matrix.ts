import { durationBefore } from "../common/duration.js";
import { listComputed } from "../store/computed.js";
import type { ColumnType, Engine, SqlValue } from "../store/engine.js";
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
  /** A table of (customer_id, grp): the customers' groups, for personas. */
  readonly groupTable?: string;
}

/** The trait registry and computed values, as features may name them. */
export async function featureSchema(engine: Engine): Promise<FeatureSchema> {
  return { traits: await listTraits(engine), computed: await listComputed(engine) };
}

/** Collects bound parameters: no value is ever spliced into the SQL. */
class Params {
  readonly values: SqlValue[] = [];
  constructor(private readonly param: (n: number, type: ColumnType) => string) {}
  bind(value: SqlValue, type: ColumnType): string {
    this.values.push(value);
    return this.param(this.values.length, type);
  }
}

const ts = (d: Date) => d.toISOString().replace("T", " ").replace("Z", "");

/** The levels of a mix, most common first: discovered in the data unless a saved model fixes them. */
async function mixLevels(engine: Engine, f: FeatureSpec, opts: ExtractOptions): Promise<readonly string[]> {
  const fixed = opts.levels?.get(f.id);
  if (fixed) return fixed;
  const d = engine.dialect;
  const limit = opts.maxLevels ?? 12;
  if (f.kind === "order-category") {
    const r = await engine.query(
      `SELECT category AS v, sum(quantity * unit_price) AS w FROM order_items
        WHERE customer_id IS NOT NULL AND category IS NOT NULL AND quantity > 0 AND ts <= ${d.param(1, "timestamp")}
        GROUP BY category ORDER BY w DESC, v LIMIT ${limit}`,
      [ts(opts.asOf)],
    );
    return r.column("v") as string[];
  }
  const property = (f as { property: ShareProperty }).property;
  const value = d.jsonText("properties", property);
  const r = await engine.query(
    `SELECT ${value} AS v, count(*) AS w FROM events
      WHERE customer_id IS NOT NULL AND ts <= ${d.param(1, "timestamp")} AND ${d.jsonText("properties", "device")} IS NOT NULL
        AND ${value} IS NOT NULL
      GROUP BY 1 ORDER BY w DESC, v LIMIT ${limit}`,
    [ts(opts.asOf)],
  );
  return r.column("v") as string[];
}

interface Output {
  readonly feature: FeatureSpec;
  readonly name: string;
  readonly sql: string;
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
  const q = d.quoteIdent;
  const p = new Params(d.param);
  const asOf = () => p.bind(ts(opts.asOf), "timestamp");
  const asOfEpoch = opts.asOf.getTime() / 1000;
  const since = (w: Duration | undefined, column: string) =>
    w ? ` AND ${column} > ${p.bind(ts(durationBefore(w, opts.asOf)), "timestamp")}` : "";
  const outputs: Output[] = [];
  const orderAggs: string[] = [];
  const lineAggs: string[] = [];
  const eventAggs: string[] = [];
  const joins: string[] = [];
  const eventProps = new Set<ShareProperty>();
  const add = (feature: FeatureSpec, name: string, sql: string) => outputs.push({ feature, name, sql });
  const col = (list: string[], agg: string) => {
    list.push(`${agg} AS a${list.length}`);
    return `a${list.length - 1}`;
  };

  for (const f of features) {
    switch (f.kind) {
      case "trait":
        add(
          f,
          f.id,
          f.value === "date" ? days(d.epochSeconds(`c.${q(f.name)}`), asOfEpoch, p) : `c.${q(f.name)}`,
        );
        break;
      case "computed": {
        const alias = `k${joins.length}`;
        joins.push(`LEFT JOIN ${q(f.table)} ${alias} ON ${alias}.customer_id = c.customer_id`);
        const v = `${alias}.${q(f.column)}`;
        add(f, f.id, f.value === "date" ? days(d.epochSeconds(v), asOfEpoch, p) : v);
        break;
      }
      case "orders": {
        const w = since(f.window, "ts");
        const a = (agg: string) => `o.${col(orderAggs, agg)}`;
        const sql = {
          count: () => `coalesce(${a(`count(CASE WHEN total IS NOT NULL${w} THEN 1 END)`)}, 0)`,
          revenue: () => `coalesce(${a(`sum(CASE WHEN total IS NOT NULL${w} THEN total END)`)}, 0)`,
          aov: () => a(`avg(CASE WHEN total IS NOT NULL${w} THEN total END)`),
          days_since_last: () => days(a(`max(${d.epochSeconds("ts")})`), asOfEpoch, p),
          days_since_first: () => days(a(`min(${d.epochSeconds("ts")})`), asOfEpoch, p),
        }[f.measure]();
        add(f, f.id, sql);
        break;
      }
      case "order-category": {
        const spend = `l.${col(lineAggs, "sum(quantity * unit_price)")}`;
        for (const level of f.category === null ? await mixLevels(engine, f, opts) : [f.category]) {
          const part = `l.${col(lineAggs, `sum(CASE WHEN category = ${p.bind(level, "string")} THEN quantity * unit_price ELSE 0 END)`)}`;
          add(
            f,
            f.category === null ? `orders.category_share:${level}` : f.id,
            `CASE WHEN ${spend} > 0 THEN ${part} / ${spend} END`,
          );
        }
        break;
      }
      case "events": {
        const cond = `${f.event === null ? "TRUE" : `event = ${p.bind(f.event, "string")}`}${since(f.window, "ts")}`;
        add(f, f.id, `coalesce(e.${col(eventAggs, `count(CASE WHEN ${cond} THEN 1 END)`)}, 0)`);
        break;
      }
      case "share": {
        eventProps.add("device");
        eventProps.add(f.property);
        for (const level of f.value === null ? await mixLevels(engine, f, opts) : [f.value]) {
          const v = q(`p_${f.property}`);
          const share = `avg(CASE WHEN p_device IS NULL OR ${v} IS NULL THEN NULL WHEN ${v} = ${p.bind(level, "string")} THEN 1.0 ELSE 0.0 END)`;
          add(
            f,
            f.value === null ? `events.${f.property}_share:${level}` : f.id,
            `e.${col(eventAggs, share)}`,
          );
        }
        break;
      }
      case "hour": {
        eventProps.add("device");
        // The angle of the time of day: sin and cos are periodic, so epoch seconds need no modulo.
        for (const fn of ["sin", "cos"]) {
          const agg = `avg(CASE WHEN p_device IS NOT NULL THEN ${fn}(${d.epochSeconds("ts")} * ${(2 * Math.PI) / 86400}) END)`;
          add(f, `${f.id}:${fn}`, `e.${col(eventAggs, agg)}`);
        }
        break;
      }
    }
  }
  if (orderAggs.length) {
    joins.push(`LEFT JOIN (SELECT customer_id, ${orderAggs.join(", ")} FROM orders
                  WHERE customer_id IS NOT NULL AND ts <= ${asOf()} GROUP BY customer_id) o ON o.customer_id = c.customer_id`);
  }
  if (lineAggs.length) {
    joins.push(`LEFT JOIN (SELECT customer_id, ${lineAggs.join(", ")} FROM order_items
                  WHERE customer_id IS NOT NULL AND quantity > 0 AND ts <= ${asOf()} GROUP BY customer_id) l
                ON l.customer_id = c.customer_id`);
  }
  if (eventAggs.length) {
    const props = [...eventProps].map((x) => `, ${d.jsonText("properties", x)} AS ${q(`p_${x}`)}`).join("");
    joins.push(`LEFT JOIN (SELECT customer_id, ${eventAggs.join(", ")}
                  FROM (SELECT customer_id, event, ts${props} FROM events WHERE customer_id IS NOT NULL AND ts <= ${asOf()}) ev
                  GROUP BY customer_id) e ON e.customer_id = c.customer_id`);
  }
  if (opts.groupTable) joins.push(`LEFT JOIN ${q(opts.groupTable)} g ON g.customer_id = c.customer_id`);
  const who = opts.includeAnonymous
    ? ""
    : ` WHERE EXISTS (SELECT 1 FROM identities i WHERE i.customer_id = c.customer_id AND i.kind <> ${p.bind("anonymous_id", "string")})`;
  const select = [
    "c.customer_id AS customer_id",
    ...outputs.map((o, i) => `${o.sql} AS ${q(`f${i}`)}`),
    ...(opts.groupTable ? [`${d.toText("g.grp")} AS grp`] : []),
  ];
  const r = await engine.query(
    `SELECT ${select.join(", ")} FROM customers c ${joins.join("\n")}${who} ORDER BY c.customer_id`,
    p.values,
  );
  const columns = outputs.map((o, i) => toColumn(o, r.column(`f${i}`), opts));
  const table: FeatureTable = { n: r.rowCount, ids: r.column("customer_id") as string[], columns };
  return opts.groupTable ? { ...table, ...groupsOf(r.column("grp")) } : table;
}

/** Days from an epoch-seconds expression to the as-of time. */
function days(epoch: string, asOfEpoch: number, p: Params): string {
  return `(${p.bind(asOfEpoch, "number")} - ${epoch}) / 86400.0`;
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
