import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import type { Condition, SegmentDefinition } from "./definition.js";
import { countWhere, customerCount, dropEvaluation, EVAL, evaluateSegments, idsWhere } from "./evaluate.js";
import { definitionWarnings } from "./hints.js";
import { loadSchemaContext } from "./schema-context.js";
import { requireSegment } from "./segment-store.js";
import { describeCondition } from "./text/print.js";
import { type SegmentIssue, savedDefinition, validateWithDatabase } from "./validate.js";

/**
 * What-if tools: a definition evaluated as of a time without touching the membership history — its size
 * (preview), who would enter and leave (diff), and how many pass each condition (explain). A definition given is
 * validated against the database; a saved one read to be evaluated (diff's current version, explain's, any
 * referenced) is checked again (`savedDefinition`), since what it names may have gone since it was saved.
 */

export interface Preview {
  readonly id: string;
  readonly size: number;
  readonly customers: number;
  readonly share: number;
  readonly sample: string[];
  /** What in the definition likely matches nobody by mistake (`definitionWarnings`): a property or value never seen. */
  readonly warnings: SegmentIssue[];
}

/** Evaluates a definition as of a time without saving anything. */
export async function previewSegment(
  engine: Engine,
  input: unknown,
  asOf: Date,
  sample = 10,
  where?: string,
): Promise<Preview> {
  const { def, schema } = await validateWithDatabase(engine, input, where);
  const ev = await evaluateSegments(engine, [def], schema, asOf);
  const col = ev.columns.get(def.id) as string;
  const size = await countWhere(engine, col);
  const ids = await idsWhere(engine, sql.ident(col), sample);
  await dropEvaluation(engine);
  const customers = await customerCount(engine);
  const warnings = await definitionWarnings(engine, def, schema);
  return { id: def.id, size, customers, share: customers ? size / customers : 0, sample: ids, warnings };
}

export interface Diff {
  readonly id: string;
  readonly currentSize: number;
  readonly newSize: number;
  readonly entering: number;
  readonly leaving: number;
  readonly enteringSample: string[];
  readonly leavingSample: string[];
  /** As a preview's, for the new definition. */
  readonly warnings: SegmentIssue[];
}

/** Who would enter and who would leave if the saved segment took this definition (both evaluated now). */
export async function diffSegment(
  engine: Engine,
  input: unknown,
  asOf: Date,
  sample = 10,
  where?: string,
): Promise<Diff> {
  const { def, schema } = await validateWithDatabase(engine, input, where);
  await requireSegment(engine, def.id);
  const current = savedDefinition(schema, def.id);
  const ev = await evaluateSegments(engine, [def, { ...current, id: "__current__" }], schema, asOf);
  const now = sql.ident(ev.columns.get(def.id) as string);
  const before = sql.ident(ev.columns.get("__current__") as string);
  const entering = sql`${now} AND NOT ${before}`;
  const leaving = sql`${before} AND NOT ${now}`;
  const n = async (cond: Sql) =>
    Number((await engine.query(sql`SELECT count(*) AS n FROM ${EVAL} WHERE ${cond}`)).column("n")[0]);
  const result = {
    id: def.id,
    currentSize: await n(before),
    newSize: await n(now),
    entering: await n(entering),
    leaving: await n(leaving),
    enteringSample: await idsWhere(engine, entering, sample),
    leavingSample: await idsWhere(engine, leaving, sample),
    warnings: await definitionWarnings(engine, def, schema),
  };
  await dropEvaluation(engine);
  return result;
}

export interface ExplainStep {
  readonly path: string;
  readonly depth: number;
  readonly condition: string;
  /** Customers for whom this condition holds on its own. */
  readonly passing: number;
  /** Inside an "all": customers passing this and every earlier sibling (the funnel). */
  readonly cumulative?: number;
}

export interface Explanation {
  readonly id: string;
  readonly customers: number;
  readonly size: number;
  readonly featureSql: string;
  readonly predicateSql: string;
  readonly steps: ExplainStep[];
  /** As a preview's, for the saved definition. */
  readonly warnings: SegmentIssue[];
}

/** The SQL of a saved segment and how many customers pass each condition, step by step. */
export async function explainSegment(engine: Engine, id: string, asOf: Date): Promise<Explanation> {
  await requireSegment(engine, id);
  const schema = await loadSchemaContext(engine, { events: false });
  const def = savedDefinition(schema, id);
  const nodes: { path: string; depth: number; where: Condition; cumulativeOf?: Condition }[] = [];
  const walk = (c: Condition, path: string, depth: number) => {
    nodes.push({ path, depth, where: c });
    const kids = "all" in c ? c.all : "any" in c ? c.any : "not" in c ? [c.not] : [];
    const key = "all" in c ? "all" : "any" in c ? "any" : "not";
    kids.forEach((k, i) => {
      walk(k, key === "not" ? `${path}.not` : `${path}.${key}[${i}]`, depth + 1);
      if ("all" in c && i > 0) {
        const last = nodes.findLast((n) => n.path === `${path}.all[${i}]`);
        if (last) last.cumulativeOf = { all: c.all.slice(0, i + 1) };
      }
    });
  };
  walk(def.where, "where", 0);
  const targets: SegmentDefinition[] = [{ ...def }];
  nodes.forEach((n, i) => {
    targets.push({ id: `__n${i}`, name: n.path, where: n.where });
    if (n.cumulativeOf) targets.push({ id: `__c${i}`, name: n.path, where: n.cumulativeOf });
  });
  const ev = await evaluateSegments(engine, targets, schema, asOf);
  const steps: ExplainStep[] = [];
  for (const [i, n] of nodes.entries()) {
    const cum = ev.columns.get(`__c${i}`);
    steps.push({
      path: n.path,
      depth: n.depth,
      condition: describeCondition(n.where),
      passing: await countWhere(engine, ev.columns.get(`__n${i}`) as string),
      ...(cum ? { cumulative: await countWhere(engine, cum) } : {}),
    });
  }
  const size = await countWhere(engine, ev.columns.get(def.id) as string);
  await dropEvaluation(engine);
  return {
    id,
    customers: await customerCount(engine),
    size,
    featureSql: engine.dialect.showSql(ev.featureSql),
    predicateSql: engine.dialect.showSql(
      sql`SELECT f.customer_id FROM ${ev.rowsSql} f WHERE ${ev.predicates.get(def.id) as Sql}`,
    ),
    steps,
    warnings: await definitionWarnings(engine, def, schema),
  };
}
