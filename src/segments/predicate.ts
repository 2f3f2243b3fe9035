import { durationBefore, parseDuration } from "../common/duration.js";
import { accountMembersSql } from "../store/accounts.js";
import type { Dialect } from "../store/engine.js";
import { renderSql, type Sql, sql } from "../store/sql.js";
import type {
  AccountLeaf,
  Comparison,
  Condition,
  ConsentLeaf,
  EventLeaf,
  OrdersLeaf,
  Scalar,
} from "./definition.js";
import type { FeatureSet } from "./leaf-features.js";
import type { SchemaContext, ValueType } from "./schema-context.js";
import { opOf } from "./validate.js";
import { parseWindow, type ResolvedWindow, tsParam } from "./window.js";

/** What a compiled predicate needs: the features collected so far, the time and the definitions. */
export interface PredicateContext {
  readonly d: Dialect;
  readonly features: FeatureSet;
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

/** A leaf that reads the as-of time, compiled alone at a given time (its values bound in the fragment). */
export type TimeLeaf = (at: Date) => Sql;

/**
 * A fragment's identity as text: what it says and the values it binds, with their types (two fragments with the
 * same key run the same on any engine).
 */
export function fragmentKey(q: Sql): string {
  const r = renderSql(q, {
    quoteIdent: (name) => JSON.stringify(name),
    placeholder: () => "?",
    tempName: (name) => `temp(${JSON.stringify(name)})`,
  });
  return JSON.stringify([r.text, r.params, r.types], (_k, v) => (typeof v === "bigint" ? `${v}n` : v));
}

function resolvedWindow(w: Parameters<typeof parseWindow>[0] | undefined): ResolvedWindow | undefined {
  if (w === undefined) return undefined;
  const r = parseWindow(w);
  if (typeof r === "string") throw new Error(`unvalidated window: ${r}`);
  return r;
}

/** SQL of one comparison on a value expression; missing values compare false (two-valued logic). Never NULL. */
export function comparisonSql(
  p: Pick<PredicateContext, "d" | "asOf">,
  value: Sql,
  c: Comparison,
  type: ValueType | "property",
): Sql {
  const op = opOf(c);
  const raw = (c as Record<string, unknown>)[op];
  if (op === "exists") return raw ? sql`(${value} IS NOT NULL)` : sql`(${value} IS NULL)`;
  // Property values are JSON text: numbers compare as numbers, booleans and text as text.
  let subject = value;
  const bindOne = (v: Scalar): Sql => {
    if (typeof v === "object") {
      const dur = parseDuration(v.ago);
      if (typeof dur === "string") throw new Error(dur);
      const at = durationBefore(dur, p.asOf);
      return type === "date" ? sql.param(at.toISOString().slice(0, 10), "date") : tsParam(at);
    }
    if (type === "property") {
      if (typeof v === "number") return sql.param(v, "number");
      return sql.param(String(v), "string");
    }
    switch (type) {
      case "integer":
      case "number":
        return sql.param(v as number, "number");
      case "boolean":
        return sql.param(v as boolean, "boolean");
      case "date":
        return sql.param(String(v), "date");
      case "timestamp":
        return sql.param(String(v), "timestamp");
      default:
        return sql.param(String(v), "string");
    }
  };
  if (type === "property") {
    const sample = Array.isArray(raw) ? (raw as Scalar[])[0] : (raw as Scalar);
    if (typeof sample === "number") subject = p.d.tryNumber(value);
  }
  let test: Sql;
  switch (op) {
    case "eq":
      test = sql`${subject} = ${bindOne(raw as Scalar)}`;
      break;
    case "neq":
      test = sql`${subject} <> ${bindOne(raw as Scalar)}`;
      break;
    case "gt":
      test = sql`${subject} > ${bindOne(raw as Scalar)}`;
      break;
    case "gte":
      test = sql`${subject} >= ${bindOne(raw as Scalar)}`;
      break;
    case "lt":
      test = sql`${subject} < ${bindOne(raw as Scalar)}`;
      break;
    case "lte":
      test = sql`${subject} <= ${bindOne(raw as Scalar)}`;
      break;
    case "in":
      test = sql`${subject} IN (${sql.join((raw as Scalar[]).map(bindOne))})`;
      break;
    case "not_in":
      test = sql`${subject} NOT IN (${sql.join((raw as Scalar[]).map(bindOne))})`;
      break;
    case "between": {
      const [lo, hi] = raw as [Scalar, Scalar];
      test = sql`${subject} BETWEEN ${bindOne(lo)} AND ${bindOne(hi)}`;
      break;
    }
    case "contains":
      test = p.d.contains(subject, sql.param(String(raw), "string"));
      break;
    case "starts_with": {
      const s = String(raw);
      test = sql`left(${subject}, length(${sql.param(s, "string")})) = ${sql.param(s, "string")}`;
      break;
    }
  }
  return sql`coalesce(${test}, false)`;
}

/**
 * A leaf compiled by `compile`; when compiling it reads the as-of time, the context's `onTimeLeaf` hears of it
 * (the leaf is compiled again at other times from the same closure, so what it reads stays in one place).
 */
function leafSql(p: PredicateContext, compile: (q: Pick<PredicateContext, "d" | "asOf">) => Sql): Sql {
  let readsTime = false;
  const leaf = compile({
    d: p.d,
    get asOf() {
      readsTime = true;
      return p.asOf;
    },
  });
  if (readsTime) p.onTimeLeaf?.((at) => compile({ d: p.d, asOf: at }));
  return leaf;
}

/** Compiles a condition to a boolean SQL expression over the feature table, collecting features on the way. */
export function predicateSql(p: PredicateContext, c: Condition): Sql {
  const col = (name: string) => sql`${sql.raw(p.alias)}.${sql.ident(name)}`;
  if ("all" in c)
    return sql`(${sql.join(
      c.all.map((x) => predicateSql(p, x)),
      " AND ",
    )})`;
  if ("any" in c)
    return sql`(${sql.join(
      c.any.map((x) => predicateSql(p, x)),
      " OR ",
    )})`;
  if ("not" in c) return sql`(NOT ${predicateSql(p, c.not)})`;
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
  if ("account" in c) return accountPredicate(p, c);
  if ("consent" in c) return consentValue(p, c);
  if ("event" in c) return comparisonSql(p, eventValue(p, c), c.count ?? { gte: 1 }, "integer");
  return ordersPredicate(p, c, col);
}

/**
 * The value a leaf compares, as its predicate reads it (the features it needs join the context's set): what one
 * person's own values are beside the conditions they meet (an access request's reasons). A consent leaf's value
 * is whether it holds; an account leaf, a group or a segment reference has none (null).
 */
export function leafValueSql(p: PredicateContext, c: Condition): Sql | null {
  const col = (name: string) => sql`${sql.raw(p.alias)}.${sql.ident(name)}`;
  if ("trait" in c) return col(p.features.trait(c.trait));
  if ("computed" in c) return col(p.features.computedValue(c.computed));
  if ("consent" in c) return consentValue(p, c);
  if ("event" in c) return eventValue(p, c);
  if ("orders" in c) return ordersValue(p, c, col(ordersColumn(p, c)));
  return null;
}

/** Whether the latest consent record for the leaf's purpose (and channel) is a grant. Never NULL. */
function consentValue(p: PredicateContext, c: ConsentLeaf): Sql {
  const column = p.features.add({
    kind: "consent",
    purpose: c.consent,
    ...(c.channel ? { channel: c.channel } : {}),
  });
  return sql`coalesce(${sql.raw(p.alias)}.${sql.ident(column)}, false)`;
}

/** The number of the leaf's events in its window (0 without any). */
function eventValue(p: PredicateContext, c: EventLeaf): Sql {
  const column = p.features.add({
    kind: "event",
    event: c.event,
    ...(c.type ? { type: c.type } : {}),
    ...(c.within !== undefined ? { window: resolvedWindow(c.within) } : {}),
    ...(c.hour ? { hour: c.hour } : {}),
    ...(c.weekday ? { weekday: c.weekday } : {}),
    ...(c.where ? { where: c.where } : {}),
  });
  return sql`coalesce(${sql.raw(p.alias)}.${sql.ident(column)}, 0)`;
}

/**
 * An account leaf: the person is a member (a group event by the as-of time) of some account whose trait satisfies
 * the comparison, as a semi-join on the ids of such members. The subquery is uncorrelated (every engine computes
 * it once per statement; not every ClickHouse runs correlated ones) and the leaf is never NULL (no account, or
 * none with the trait, is false). Account traits are not feature columns: like a customer's traits they are read
 * when the predicate runs, so an incremental refresh needs only whom to evaluate again — the members of a changed
 * account (marked by the accounts import) and, since membership reads the as-of time, whoever a group event
 * dated between two refreshes moves (the leaf is a time leaf).
 */
function accountPredicate(p: PredicateContext, c: AccountLeaf): Sql {
  const type = p.schema.accounts.get(c.account) ?? "string";
  const self = sql`${sql.raw(p.alias)}.customer_id`;
  // The id is read from the group events: an account no file or call gave traits has members all the same.
  const value = c.account === "account_id" ? sql`m.account_id` : sql`a.${sql.ident(c.account)}`;
  return leafSql(p, (q) => {
    const members = accountMembersSql(q.d, tsParam(q.asOf));
    return sql`coalesce(${self} IN (SELECT m.customer_id FROM (${members}) m LEFT JOIN accounts a ON a.account_id = m.account_id
                 WHERE ${comparisonSql(q, value, c, type)}), false)`;
  });
}

/** The feature column of an orders leaf (added to the context's set). */
function ordersColumn(p: PredicateContext, c: OrdersLeaf): string {
  const categories =
    c.category === undefined ? undefined : Array.isArray(c.category) ? [...c.category].sort() : [c.category];
  return p.features.add({
    kind: "orders",
    agg: c.orders,
    of: c.of ?? "total",
    ...(c.within !== undefined ? { window: resolvedWindow(c.within) } : {}),
    ...(categories ? { categories } : {}),
  });
}

/**
 * An orders leaf's value from its feature column, at the time `q` gives: with no matching orders, count and sum
 * are 0; the others are missing (DESIGN.md semantics); days since are whole days to the as-of time.
 */
function ordersValue(q: Pick<PredicateContext, "d" | "asOf">, c: OrdersLeaf, column: Sql): Sql {
  if (c.orders === "count" || c.orders === "sum") return sql`coalesce(${column}, 0)`;
  if (c.orders === "days_since_last" || c.orders === "days_since_first")
    return q.d.daysBetween(column, tsParam(q.asOf));
  return column;
}

function ordersPredicate(p: PredicateContext, c: OrdersLeaf, col: (n: string) => Sql): Sql {
  const column = col(ordersColumn(p, c));
  return leafSql(p, (q) => comparisonSql(q, ordersValue(q, c, column), c, "number"));
}
