import type { Engine } from "../store/engine.js";
import type { ColumnPlan } from "./column-plan.js";
import { ROW_CUSTOMER_TABLE } from "./identity.js";
import type { ImportKind } from "./import-types.js";
import { CANONICAL } from "./kinds.js";
import type { LoadCounts } from "./load-counts.js";
import { STAGE_TABLE } from "./validate.js";

/** How staged rows become rows of a fact table, and what makes two rows the same fact. */
interface FactSpec {
  readonly table: string;
  /** Target column → SQL over the stage `s` and the row's customer `rc` (window functions allowed). */
  readonly columns: readonly (readonly [string, string])[];
  /** Columns that identify a fact: a row whose key is already stored (or repeated in the file) is skipped. */
  readonly key: readonly string[];
}

/** Inserts the facts of the valid staged rows that are not stored yet; returns the counts. */
async function insertFacts(engine: Engine, spec: FactSpec): Promise<LoadCounts> {
  const q = engine.dialect.quoteIdent;
  const cols = spec.columns.map(([c]) => q(c));
  const keyCols = spec.key.map(q);
  const stored = spec.key.map((k) => `t.${q(k)} IS NOT DISTINCT FROM n.${q(k)}`).join(" AND ");
  await engine.run(
    `CREATE OR REPLACE TEMP TABLE _import_new AS
     SELECT ${cols.join(", ")} FROM (
       SELECT *, row_number() OVER (PARTITION BY ${keyCols.join(", ")} ORDER BY _row) AS _dup FROM (
         SELECT s._row, ${spec.columns.map(([c, e]) => `${e} AS ${q(c)}`).join(", ")}
           FROM ${STAGE_TABLE} s LEFT JOIN ${ROW_CUSTOMER_TABLE} rc ON rc._row = s._row
          WHERE s._reject_field IS NULL)) n
      WHERE _dup = 1 AND NOT EXISTS (SELECT 1 FROM ${q(spec.table)} t WHERE ${stored})`,
  );
  await engine.run(`INSERT INTO ${q(spec.table)} (${cols.join(", ")}) SELECT ${cols.join(", ")} FROM _import_new`);
  const r = await engine.query(
    `SELECT (SELECT count(*) FROM _import_new) AS inserted, (SELECT count(*) FROM ${STAGE_TABLE} WHERE _reject_field IS NULL) AS valid`,
  );
  const inserted = Number(r.column("inserted")[0]);
  return { inserted, alreadyPresent: Number(r.column("valid")[0]) - inserted };
}

/** Widens each touched customer's first_seen / last_seen to the activity just inserted. */
async function updateSeen(engine: Engine): Promise<void> {
  await engine.run(
    `UPDATE customers SET first_seen = least(coalesce(customers.first_seen, x.lo), x.lo),
                          last_seen = greatest(coalesce(customers.last_seen, x.hi), x.hi)
       FROM (SELECT customer_id, min(ts) AS lo, max(ts) AS hi FROM _import_new
              WHERE customer_id IS NOT NULL GROUP BY customer_id) x
      WHERE customers.customer_id = x.customer_id`,
  );
}

/** SQL: the extra columns of a row as a JSON object merged over its `properties` (if the kind has one). */
function propertiesOf(engine: Engine, plan: ColumnPlan, base: string | null): string {
  const d = engine.dialect;
  const extras = d.jsonObject(plan.extras.map((x) => [x.name, `s.${d.quoteIdent(`x_${x.name}`)}`] as const));
  if (plan.extras.length === 0) return base === null ? "NULL" : base;
  return d.jsonMergePatch(base === null ? "'{}'" : `coalesce(${base}, '{}')`, extras);
}

/**
 * SQL: an id derived from a row's content, for files without one: a hash of every value, plus the row's
 * ordinal among identical rows, so that identical rows stay distinct facts and a re-import finds them again.
 */
function contentId(engine: Engine, kind: ImportKind, plan: ColumnPlan, skip: string): string {
  const d = engine.dialect;
  const parts = [
    ...CANONICAL[kind].filter((f) => f.name !== skip).map((f) => `s.${d.quoteIdent(f.name)}`),
    ...plan.extras.map((x) => `s.${d.quoteIdent(`x_${x.name}`)}`),
  ].map((e) => `coalesce(${d.toText(e)}, '')`);
  const content = d.hash(`concat_ws('|', ${parts.join(", ")})`);
  return `${content} || '-' || row_number() OVER (PARTITION BY ${content} ORDER BY s._row)`;
}

export async function loadEvents(engine: Engine, plan: ColumnPlan): Promise<LoadCounts> {
  const messageId = plan.fields.has("message_id") ? "s.message_id" : contentId(engine, "events", plan, "message_id");
  const counts = await insertFacts(engine, {
    table: "events",
    columns: [
      ["message_id", messageId],
      ["customer_id", "rc.customer_id"],
      ["user_id", "coalesce(s.user_id, s.customer_id)"],
      ["anonymous_id", "s.anonymous_id"],
      ["type", "s.type"],
      ["event", "s.event"],
      ["ts", "s.timestamp"],
      ["properties", propertiesOf(engine, plan, "s.properties")],
    ],
    key: ["message_id"],
  });
  await updateSeen(engine);
  return counts;
}

export async function loadOrders(engine: Engine, plan: ColumnPlan): Promise<LoadCounts> {
  const orderId = plan.fields.has("order_id") ? "s.order_id" : contentId(engine, "orders", plan, "order_id");
  const counts = await insertFacts(engine, {
    table: "orders",
    columns: [
      ["order_id", orderId],
      ["customer_id", "rc.customer_id"],
      ["source_customer_id", "s.customer_id"],
      ["ts", "s.timestamp"],
      ["total", "s.total"],
      ["returned", "0"],
      ["currency", "s.currency"],
      ["properties", propertiesOf(engine, plan, null)],
    ],
    key: ["order_id"],
  });
  await updateSeen(engine);
  return counts;
}

/**
 * Order lines, numbered within their order in file order; each order not stored yet is derived from its
 * lines: total = the positive-quantity lines (revenue), returned = the negative-quantity lines (returns).
 */
export async function loadOrderLines(engine: Engine, plan: ColumnPlan): Promise<LoadCounts> {
  const counts = await insertFacts(engine, {
    table: "order_items",
    columns: [
      ["order_id", "s.order_id"],
      ["line_no", "row_number() OVER (PARTITION BY s.order_id ORDER BY s._row)"],
      ["customer_id", "rc.customer_id"],
      ["source_customer_id", "s.customer_id"],
      ["ts", "s.timestamp"],
      ["sku", "s.sku"],
      ["category", "s.category"],
      ["description", "s.description"],
      ["quantity", "s.quantity"],
      ["unit_price", "s.unit_price"],
      ["currency", "s.currency"],
      ["properties", propertiesOf(engine, plan, null)],
    ],
    key: ["order_id", "line_no"],
  });
  await engine.run(
    `INSERT INTO orders (order_id, customer_id, source_customer_id, ts, total, returned, currency, properties)
     SELECT order_id, min(customer_id), min(source_customer_id), min(ts),
            coalesce(sum(quantity * unit_price) FILTER (WHERE quantity > 0), 0),
            coalesce(-sum(quantity * unit_price) FILTER (WHERE quantity < 0), 0),
            min(currency), ${engine.dialect.argMax("properties", "-line_no")}
       FROM _import_new n
      WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.order_id = n.order_id)
      GROUP BY order_id`,
  );
  await updateSeen(engine);
  return counts;
}

export async function loadConsents(engine: Engine): Promise<LoadCounts> {
  return insertFacts(engine, {
    table: "consents",
    columns: [
      ["customer_id", "rc.customer_id"],
      ["source_customer_id", "s.customer_id"],
      ["purpose", "lower(s.purpose)"],
      ["channel", "lower(s.channel)"],
      ["status", "s.status"],
      ["source", "s.source"],
      ["ts", "s.timestamp"],
    ],
    key: ["customer_id", "purpose", "channel", "status", "source", "ts"],
  });
}

export async function loadSurveyResponses(engine: Engine): Promise<LoadCounts> {
  return insertFacts(engine, {
    table: "survey_responses",
    columns: [
      ["customer_id", "rc.customer_id"],
      ["source_customer_id", "s.customer_id"],
      ["survey", "s.survey"],
      ["question", "s.question"],
      ["answer", "s.answer"],
      ["ts", "s.timestamp"],
    ],
    key: ["customer_id", "survey", "question", "answer", "ts"],
  });
}
