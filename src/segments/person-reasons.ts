import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import type { Condition, SegmentDefinition } from "./definition.js";
import { withReferences } from "./evaluate.js";
import { featureRowsSql, featureTableSql } from "./feature-sql.js";
import { FeatureSet } from "./leaf-features.js";
import { leafValueSql, predicateSql } from "./predicate.js";
import type { SchemaContext } from "./schema-context.js";
import { describeCondition } from "./text/print.js";

/**
 * Why one person is in a segment: every condition of its definition evaluated for them alone, as the segment
 * compiler evaluates it for everyone (the same predicates over the same feature rows, built for this one
 * customer), with the value each leaf compared — their own number of orders, their country. A referenced segment
 * is opened: its conditions are listed under it.
 */
export interface ConditionReason {
  /** Where in the definition: `where`, `where.all[1]`, `where.all[2].segment(vip).any[0]`. */
  readonly path: string;
  readonly kind: "all" | "any" | "not" | "segment" | "leaf";
  /** The condition in the text form of the language. */
  readonly condition: string;
  /** A leaf as JSON (groups, `not` and segments are their children). */
  readonly where?: Condition;
  /** Whether it holds for the person. */
  readonly met: boolean;
  /**
   * A leaf's value for the person (the leaf's subject: a trait, a count of events, a sum of orders; a consent
   * leaf's is whether it holds); null when they have none (missing). Absent for groups, segments and account leaves.
   */
  readonly value?: string | number | boolean | null;
  /** The conditions of a group, the negated one of a `not`, the definition of a referenced segment. */
  readonly children?: readonly ConditionReason[];
}

interface Node {
  readonly path: string;
  readonly kind: ConditionReason["kind"];
  readonly where: Condition;
  readonly met: number;
  readonly value?: number;
  readonly children: Node[];
}

/**
 * Evaluates every condition of each definition for one customer as of `asOf` (in one query: one feature row built
 * for them alone). Returns, per definition id, the tree of its conditions with whether each is met and each leaf's
 * value; null when the customer has no profile row to evaluate (they are not a candidate of any segment).
 */
export async function personReasons(
  engine: Engine,
  customerId: string,
  definitions: readonly SegmentDefinition[],
  schema: SchemaContext,
  asOf: Date,
): Promise<Map<string, ConditionReason> | null> {
  const d = engine.dialect;
  const features = new FeatureSet();
  const ctx = { d, features, asOf, schema, segments: withReferences(definitions, schema), alias: "f" };
  const columns: Sql[] = [];
  const column = (expr: Sql) => {
    columns.push(sql`${expr} AS ${sql.raw(`r${columns.length}`)}`);
    return columns.length - 1;
  };
  const build = (where: Condition, path: string, opened: readonly string[]): Node => {
    const met = column(d.cast(predicateSql(ctx, where), "boolean"));
    if ("all" in where || "any" in where) {
      const [kind, items] = "all" in where ? (["all", where.all] as const) : (["any", where.any] as const);
      return {
        path,
        kind,
        where,
        met,
        children: items.map((c, i) => build(c, `${path}.${kind}[${i}]`, opened)),
      };
    }
    if ("not" in where)
      return { path, kind: "not", where, met, children: [build(where.not, `${path}.not`, opened)] };
    if ("segment" in where) {
      const ref = ctx.segments.get(where.segment);
      // A reference is opened once along a path (the language has no cycles; this only bounds the tree).
      const children =
        ref && !opened.includes(where.segment)
          ? [build(ref, `${path}.segment(${where.segment})`, [...opened, where.segment])]
          : [];
      return { path, kind: "segment", where, met, children };
    }
    const value = leafValueSql(ctx, where);
    return { path, kind: "leaf", where, met, ...(value ? { value: column(value) } : {}), children: [] };
  };
  const trees = definitions.map((def) => ({ id: def.id, root: build(def.where, "where", [def.id]) }));
  const rows = featureTableSql(d, features, schema, asOf, {
    customerFilter: sql`SELECT customer_id FROM customers WHERE customer_id = ${customerId}`,
  });
  const r = await engine.query(
    sql`SELECT ${sql.join(columns)} FROM ${featureRowsSql(features, sql`(${rows})`)} f`,
  );
  const row = r.rows<Record<string, unknown>>()[0];
  if (!row) return null;
  const read = (n: Node): ConditionReason => {
    const raw = n.value === undefined ? undefined : row[`r${n.value}`];
    return {
      path: n.path,
      kind: n.kind,
      condition: describeCondition(n.where),
      ...(n.kind === "leaf" ? { where: n.where } : {}),
      // EXISTS and comparisons come back as 0/1 on some engines.
      met: Boolean(row[`r${n.met}`]),
      ...(n.value === undefined ? {} : { value: "consent" in n.where ? Boolean(raw) : plain(raw) }),
      ...(n.children.length ? { children: n.children.map(read) } : {}),
    };
  };
  return new Map(trees.map((t) => [t.id, read(t.root)]));
}

/** A value as JSON carries it: whole numbers from the engines' big integers, times as ISO text. */
function plain(v: unknown): string | number | boolean | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") return Number(v);
  if (v instanceof Date) return v.toISOString();
  if (typeof v === "number" || typeof v === "string" || typeof v === "boolean") return v;
  return String(v);
}
