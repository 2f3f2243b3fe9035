import { durationBefore, parseDuration } from "../common/duration.js";
import type { Dialect } from "../store/engine.js";
import type { Binder } from "./binder.js";
import type { Comparison, Condition, OrdersLeaf, Scalar } from "./definition.js";
import type { FeatureSet } from "./leaf-features.js";
import type { SchemaContext, ValueType } from "./schema-context.js";
import { opOf } from "./validate.js";
import { parseWindow, type ResolvedWindow } from "./window.js";

/** What a compiled predicate needs: the features collected so far, the binder, the time and the definitions. */
export interface PredicateContext {
  readonly d: Dialect;
  readonly features: FeatureSet;
  readonly binder: Binder;
  /**
   * Read only by the leaves `leafSql` compiles: a leaf that reads the time must tell `onTimeLeaf`, or an
   * incremental refresh would not see whom the passing of time moves into or out of its segment.
   */
  readonly asOf: Date;
  readonly schema: SchemaContext;
  /** Definitions of referenced segments (inlined: a reference is the referenced segment's predicate). */
  readonly segments: ReadonlyMap<string, Condition>;
  /** The alias of the feature table in the predicate's FROM. */
  readonly alias: string;
  /**
   * Told of every leaf that compares with the as-of time itself (a relative date, days since an order), with a
   * way to compile that leaf alone at another time: an incremental refresh finds the customers whose leaf changed
   * between two times instead of evaluating the segment for all.
   */
  readonly onTimeLeaf?: (leaf: TimeLeaf) => void;
}

/** A leaf that reads the as-of time, compiled alone at a given time (its values bound by `binder`). */
export type TimeLeaf = (at: Date, binder: Binder) => string;

const ts = (d: Date) => d.toISOString().replace("T", " ").replace("Z", "");

function resolvedWindow(w: Parameters<typeof parseWindow>[0] | undefined): ResolvedWindow | undefined {
  if (w === undefined) return undefined;
  const r = parseWindow(w);
  if (typeof r === "string") throw new Error(`unvalidated window: ${r}`);
  return r;
}

/** SQL of one comparison on a value expression; missing values compare false (two-valued logic). */
export function comparisonSql(
  p: Pick<PredicateContext, "d" | "binder" | "asOf">,
  value: string,
  c: Comparison,
  type: ValueType | "property",
): string {
  const op = opOf(c);
  const raw = (c as Record<string, unknown>)[op];
  if (op === "exists") return raw ? `(${value} IS NOT NULL)` : `(${value} IS NULL)`;
  // Property values are JSON text: numbers compare as numbers, booleans and text as text.
  let subject = value;
  const bindOne = (v: Scalar): string => {
    if (typeof v === "object") {
      const dur = parseDuration(v.ago);
      if (typeof dur === "string") throw new Error(dur);
      const at = durationBefore(dur, p.asOf);
      return type === "date"
        ? p.binder.bind(at.toISOString().slice(0, 10), "date")
        : p.binder.bind(ts(at), "timestamp");
    }
    if (type === "property") {
      if (typeof v === "number") return p.binder.bind(v, "number");
      return p.binder.bind(String(v), "string");
    }
    switch (type) {
      case "integer":
      case "number":
        return p.binder.bind(v as number, "number");
      case "boolean":
        return p.binder.bind(v as boolean, "boolean");
      case "date":
        return p.binder.bind(String(v), "date");
      case "timestamp":
        return p.binder.bind(String(v), "timestamp");
      default:
        return p.binder.bind(String(v), "string");
    }
  };
  if (type === "property") {
    const sample = Array.isArray(raw) ? (raw as Scalar[])[0] : (raw as Scalar);
    if (typeof sample === "number") subject = p.d.tryNumber(value);
  }
  let sql: string;
  switch (op) {
    case "eq":
      sql = `${subject} = ${bindOne(raw as Scalar)}`;
      break;
    case "neq":
      sql = `${subject} <> ${bindOne(raw as Scalar)}`;
      break;
    case "gt":
      sql = `${subject} > ${bindOne(raw as Scalar)}`;
      break;
    case "gte":
      sql = `${subject} >= ${bindOne(raw as Scalar)}`;
      break;
    case "lt":
      sql = `${subject} < ${bindOne(raw as Scalar)}`;
      break;
    case "lte":
      sql = `${subject} <= ${bindOne(raw as Scalar)}`;
      break;
    case "in":
      sql = `${subject} IN (${(raw as Scalar[]).map(bindOne).join(", ")})`;
      break;
    case "not_in":
      sql = `${subject} NOT IN (${(raw as Scalar[]).map(bindOne).join(", ")})`;
      break;
    case "between": {
      const [lo, hi] = raw as [Scalar, Scalar];
      sql = `${subject} BETWEEN ${bindOne(lo)} AND ${bindOne(hi)}`;
      break;
    }
    case "contains":
      sql = `strpos(${subject}, ${p.binder.bind(String(raw), "string")}) > 0`;
      break;
    case "starts_with": {
      const s = p.binder.bind(String(raw), "string");
      sql = `left(${subject}, length(${s})) = ${s}`;
      break;
    }
  }
  return `coalesce(${sql}, false)`;
}

/**
 * A leaf compiled by `compile`; when compiling it reads the as-of time, the context's `onTimeLeaf` hears of it
 * (the leaf is compiled again at other times from the same closure, so what it reads stays in one place).
 */
function leafSql(
  p: PredicateContext,
  compile: (q: Pick<PredicateContext, "d" | "binder" | "asOf">) => string,
): string {
  let readsTime = false;
  const sql = compile({
    d: p.d,
    binder: p.binder,
    get asOf() {
      readsTime = true;
      return p.asOf;
    },
  });
  if (readsTime) p.onTimeLeaf?.((at, binder) => compile({ d: p.d, binder, asOf: at }));
  return sql;
}

/** Compiles a condition to a boolean SQL expression over the feature table, collecting features on the way. */
export function predicateSql(p: PredicateContext, c: Condition): string {
  const d = p.d;
  const col = (name: string) => `${p.alias}.${d.quoteIdent(name)}`;
  if ("all" in c) return `(${c.all.map((x) => predicateSql(p, x)).join(" AND ")})`;
  if ("any" in c) return `(${c.any.map((x) => predicateSql(p, x)).join(" OR ")})`;
  if ("not" in c) return `(NOT ${predicateSql(p, c.not)})`;
  if ("segment" in c) {
    const ref = p.segments.get(c.segment);
    if (!ref) throw new Error(`segment ${c.segment} was not loaded`);
    return predicateSql(p, ref);
  }
  if ("trait" in c) {
    const type = p.schema.traits.get(c.trait) ?? "string";
    const value = col(p.features.trait(c.trait));
    return leafSql(p, (q) => comparisonSql(q, value, c, type));
  }
  if ("computed" in c) {
    const type = p.schema.computed.get(c.computed)?.type ?? "number";
    const value = col(p.features.computedValue(c.computed));
    return leafSql(p, (q) => comparisonSql(q, value, c, type));
  }
  if ("consent" in c) {
    const column = p.features.add({
      kind: "consent",
      purpose: c.consent,
      ...(c.channel ? { channel: c.channel } : {}),
    });
    return `coalesce(${col(column)}, false)`;
  }
  if ("event" in c) {
    const column = p.features.add({
      kind: "event",
      event: c.event,
      ...(c.type ? { type: c.type } : {}),
      ...(c.within !== undefined ? { window: resolvedWindow(c.within) } : {}),
      ...(c.hour ? { hour: c.hour } : {}),
      ...(c.weekday ? { weekday: c.weekday } : {}),
      ...(c.where ? { where: c.where } : {}),
    });
    return comparisonSql(p, `coalesce(${col(column)}, 0)`, c.count ?? { gte: 1 }, "integer");
  }
  return ordersPredicate(p, c, col);
}

function ordersPredicate(p: PredicateContext, c: OrdersLeaf, col: (n: string) => string): string {
  const categories =
    c.category === undefined ? undefined : Array.isArray(c.category) ? [...c.category].sort() : [c.category];
  const column = p.features.add({
    kind: "orders",
    agg: c.orders,
    of: c.of ?? "total",
    ...(c.within !== undefined ? { window: resolvedWindow(c.within) } : {}),
    ...(categories ? { categories } : {}),
  });
  // With no matching orders, count and sum are 0; the others are missing (DESIGN.md semantics).
  return leafSql(p, (q) => {
    let value: string;
    if (c.orders === "count" || c.orders === "sum") value = `coalesce(${col(column)}, 0)`;
    else if (c.orders === "days_since_last" || c.orders === "days_since_first") {
      value = q.d.daysBetween(col(column), q.binder.bind(ts(q.asOf), "timestamp"));
    } else value = col(column);
    return comparisonSql(q, value, c, "number");
  });
}
