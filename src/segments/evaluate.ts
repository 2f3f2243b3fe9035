import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import type { Condition, SegmentDefinition } from "./definition.js";
import { featureRowsSql, featureTableSql } from "./feature-sql.js";
import { type Feature, FeatureSet } from "./leaf-features.js";
import { fragmentKey, predicateSql, type TimeLeaf } from "./predicate.js";
import type { SchemaContext } from "./schema-context.js";
import { refsOf, savedDefinition } from "./validate.js";

/** The table of evaluated memberships: `customer_id` and one boolean column per evaluated segment. */
export const EVAL_TABLE = "_seg_eval";
/** EVAL_TABLE as a relation (a session temporary table). */
export const EVAL = sql.temp(EVAL_TABLE);
/** The temporary feature table of an evaluation that stores nothing. */
export const FEATURE_TABLE = "_seg_features";
/** FEATURE_TABLE as a relation. */
export const FEATURES = sql.temp(FEATURE_TABLE);

/** Segments compiled against one feature set: what to build, and each segment's predicate over it. */
export interface CompiledSegments {
  readonly features: FeatureSet;
  /** Segment id → its predicate over the feature rows (alias `f`), its values bound in it. */
  readonly predicates: ReadonlyMap<string, Sql>;
  /** Segment id → its boolean column in EVAL_TABLE. */
  readonly columns: ReadonlyMap<string, string>;
  /** Identifies the feature table's shape: an incremental refresh needs the stored one to match. */
  readonly signature: string;
  /**
   * Segments whose predicate compares with the as-of time itself (beyond the features' windows), each with the
   * leaves that do so, compiled alone at any time.
   */
  readonly timeLeaves: ReadonlyMap<string, readonly TimeLeaf[]>;
  /**
   * Segment id → its predicate as compiled, with its values: when a stored refresh evaluated another one, an
   * incremental refresh must evaluate the segment for everyone, not just the customers with new data.
   */
  readonly fingerprints: ReadonlyMap<string, string>;
}

export interface Evaluation {
  readonly columns: ReadonlyMap<string, string>;
  /** The SQL that built the feature table and the predicates (for `segment explain`). */
  readonly featureSql: Sql;
  /** What the predicates read (alias `f`): the feature table's rows with the traits they compare. */
  readonly rowsSql: Sql;
  readonly predicates: ReadonlyMap<string, Sql>;
  readonly featureCount: number;
}

/**
 * Every definition reachable from `targets` through segment references (targets win over saved ones). A saved one
 * taken in is checked again against the schema (`savedDefinition`): a refusal that names it, not a failure in the
 * engine, when something it names has gone since it was saved.
 */
export function withReferences(
  targets: readonly SegmentDefinition[],
  schema: SchemaContext,
): Map<string, Condition> {
  const all = new Map<string, Condition>();
  for (const t of targets) all.set(t.id, t.where);
  const queue = targets.flatMap((t) => refsOf(t.where));
  while (queue.length) {
    const id = queue.pop() as string;
    if (all.has(id)) continue;
    const saved = savedDefinition(schema, id);
    all.set(id, saved.where);
    queue.push(...refsOf(saved.where));
  }
  return all;
}

/** The as-of time segments are fingerprinted at. */
const FINGERPRINT_TIME = new Date(0);

/** Compiles segments to predicates over one shared feature set (referenced segments are inlined). */
export function compileSegments(
  engine: Engine,
  targets: readonly SegmentDefinition[],
  schema: SchemaContext,
  asOf: Date,
): CompiledSegments {
  const d = engine.dialect;
  const segments = withReferences(targets, schema);
  const features = new FeatureSet();
  const predicates = new Map<string, Sql>();
  const columns = new Map<string, string>();
  const timeLeaves = new Map<string, readonly TimeLeaf[]>();
  const fingerprints = new Map<string, string>();
  targets.forEach((t, i) => {
    // A predicate that reads the time itself (a relative date, days since an order) can change with no new
    // data: its leaves that do report themselves, and an incremental refresh looks for whom they changed.
    const leaves: TimeLeaf[] = [];
    const ctx = (at: Date, onTimeLeaf?: (leaf: TimeLeaf) => void) => ({
      d,
      features,
      asOf: at,
      schema,
      segments,
      alias: "f",
      ...(onTimeLeaf ? { onTimeLeaf } : {}),
    });
    predicates.set(
      t.id,
      predicateSql(
        ctx(asOf, (leaf) => leaves.push(leaf)),
        t.where,
      ),
    );
    columns.set(t.id, `s${i}`);
    if (leaves.length) timeLeaves.set(t.id, leaves);
    // The predicate compiled on its own with its values: a new definition, a referenced one's, or a new compiler
    // all show here. At a fixed time, so that moving the as-of time alone does not count as a change (the time
    // leaves see to that).
    fingerprints.set(t.id, fragmentKey(predicateSql(ctx(FINGERPRINT_TIME), t.where)));
  });
  const signature = JSON.stringify({
    features: features.features().map((f) => [f.column, f.feature] as [string, Feature]),
    traits: [...features.traits],
    computed: [...features.computed],
  });
  return { features, predicates, columns, signature, timeLeaves, fingerprints };
}

/**
 * Builds a feature table for the compiled segments: a session temporary one unless said otherwise (then a
 * permanent one). Returns the query that built it.
 */
export async function buildFeatures(
  engine: Engine,
  compiled: CompiledSegments,
  schema: SchemaContext,
  asOf: Date,
  table: string,
  opts: { temporary?: boolean } = {},
): Promise<Sql> {
  const d = engine.dialect;
  const query = featureTableSql(d, compiled.features, schema, asOf);
  await engine.run(
    opts.temporary === false ? d.createTableAs(table, query, ["customer_id"]) : d.createTempAs(table, query),
  );
  return query;
}

/** Evaluates every compiled predicate over a feature table (a relation) into EVAL_TABLE. */
export async function evaluatePredicates(
  engine: Engine,
  compiled: CompiledSegments,
  featureTable: Sql,
): Promise<void> {
  const cols = [...compiled.predicates].map(
    ([id, predicate]) => sql`, ${predicate} AS ${sql.ident(compiled.columns.get(id) as string)}`,
  );
  await engine.run(
    engine.dialect.createTempAs(
      EVAL_TABLE,
      sql`SELECT f.customer_id${sql.join(cols, "")} FROM ${featureRowsSql(compiled.features, featureTable)} f`,
    ),
  );
}

/**
 * Evaluates every compiled segment over a feature table into EVAL_TABLE and counts each one's members, all in
 * one scan of the evaluation; nothing is recorded (a backtest).
 */
export async function evaluatedSizes(
  engine: Engine,
  compiled: CompiledSegments,
  ids: readonly string[],
  featureTable: Sql,
): Promise<Map<string, number>> {
  await evaluatePredicates(engine, compiled, featureTable);
  const d = engine.dialect;
  const col = (id: string) => sql.ident(compiled.columns.get(id) as string);
  const counts = ids.map((id, i) => sql`${d.aggIf("count", [], col(id))} AS ${sql.raw(`n${i}`)}`);
  const sizes = await engine.query(sql`SELECT ${sql.join(counts)} FROM ${EVAL}`);
  return new Map(ids.map((id, i) => [id, Number(sizes.column(`n${i}`)[0])]));
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
  const compiled = compileSegments(engine, targets, schema, asOf);
  const featureSql = await buildFeatures(engine, compiled, schema, asOf, FEATURE_TABLE);
  await evaluatePredicates(engine, compiled, FEATURES);
  return {
    columns: compiled.columns,
    featureSql,
    rowsSql: featureRowsSql(compiled.features, FEATURES),
    predicates: compiled.predicates,
    featureCount: compiled.features.features().length,
  };
}

export async function dropEvaluation(engine: Engine): Promise<void> {
  await engine.run([sql`DROP TABLE IF EXISTS ${EVAL}`, sql`DROP TABLE IF EXISTS ${FEATURES}`]);
}

/** Customers of the evaluation for whom a segment (or condition) column holds. */
export async function countWhere(engine: Engine, col: string): Promise<number> {
  const r = await engine.query(sql`SELECT count(*) AS n FROM ${EVAL} WHERE ${sql.ident(col)}`);
  return Number(r.column("n")[0]);
}

/** The first `limit` customer ids of the evaluation (in id order) that meet a condition on its columns. */
export async function idsWhere(engine: Engine, cond: Sql, limit: number): Promise<string[]> {
  const r = await engine.query(
    sql`SELECT customer_id FROM ${EVAL} WHERE ${cond} ORDER BY customer_id LIMIT ${sql.param(Math.floor(limit), "integer")}`,
  );
  return r.column("customer_id") as string[];
}

/** Every customer: the base a size is a share of. */
export async function customerCount(engine: Engine): Promise<number> {
  return Number((await engine.query("SELECT count(*) AS n FROM customers")).column("n")[0]);
}
