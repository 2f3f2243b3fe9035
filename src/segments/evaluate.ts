import type { Engine } from "../store/engine.js";
import { Binder } from "./binder.js";
import type { Condition, SegmentDefinition } from "./definition.js";
import { featureTableSql } from "./feature-sql.js";
import { FeatureSet } from "./features.js";
import { predicateSql } from "./predicate.js";
import type { SchemaContext } from "./schema-context.js";
import { refsOf } from "./validate.js";

/** The table of evaluated memberships: `customer_id` and one boolean column per evaluated segment. */
export const EVAL_TABLE = "_seg_eval";
export const FEATURE_TABLE = "_seg_features";

export interface Evaluation {
  /** Segment id → its boolean column in EVAL_TABLE. */
  readonly columns: ReadonlyMap<string, string>;
  /** The SQL that built the feature table and the predicates (for `segment explain`). */
  readonly featureSql: string;
  readonly predicates: ReadonlyMap<string, string>;
  readonly featureCount: number;
}

/** Every definition reachable from `targets` through segment references (targets win over saved ones). */
export function withReferences(
  targets: readonly SegmentDefinition[],
  schema: SchemaContext,
): Map<string, Condition> {
  const all = new Map<string, Condition>();
  const pending = targets.map((t) => [t.id, t.where] as const);
  for (const [id, where] of pending) all.set(id, where);
  const queue = targets.flatMap((t) => refsOf(t.where));
  while (queue.length) {
    const id = queue.pop() as string;
    if (all.has(id)) continue;
    const saved = schema.segments.get(id);
    if (!saved) throw new Error(`segment ${id} is not saved`);
    all.set(id, saved.where);
    queue.push(...refsOf(saved.where));
  }
  return all;
}

/**
 * Evaluates segments as of a time: builds the feature table (one pass over each raw table for every feature
 * any of them needs) and then every segment as a predicate over it, into EVAL_TABLE.
 */
export async function evaluateSegments(
  engine: Engine,
  targets: readonly SegmentDefinition[],
  schema: SchemaContext,
  asOf: Date,
): Promise<Evaluation> {
  const d = engine.dialect;
  const q = d.quoteIdent;
  const segments = withReferences(targets, schema);
  const features = new FeatureSet();
  const binder = new Binder(d);
  const ctx = { d, features, binder, asOf, schema, segments, alias: "f" };
  const predicates = new Map<string, string>();
  const columns = new Map<string, string>();
  targets.forEach((t, i) => {
    predicates.set(t.id, predicateSql(ctx, t.where));
    columns.set(t.id, `s${i}`);
  });
  const ft = featureTableSql(d, features, schema, asOf);
  await engine.run(`CREATE OR REPLACE TEMP TABLE ${FEATURE_TABLE} AS ${ft.sql}`, ft.params);
  const cols = targets.map((t) => `${predicates.get(t.id)} AS ${q(columns.get(t.id) as string)}`);
  await engine.run(
    `CREATE OR REPLACE TEMP TABLE ${EVAL_TABLE} AS SELECT f.customer_id${cols.map((c) => `, ${c}`).join("")} FROM ${FEATURE_TABLE} f`,
    binder.values,
  );
  return { columns, featureSql: ft.sql, predicates, featureCount: features.features().length };
}

export async function dropEvaluation(engine: Engine): Promise<void> {
  await engine.run(`DROP TABLE IF EXISTS ${EVAL_TABLE}; DROP TABLE IF EXISTS ${FEATURE_TABLE};`);
}
