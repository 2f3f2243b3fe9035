import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import { CANONICAL } from "./canonical-fields.js";
import type { ColumnPlan } from "./column-plan.js";
import { VALID_ROWS } from "./identity.js";
import type { ImportKind } from "./import-types.js";
import type { LoadCounts } from "./load-counts.js";
import { STAGE_TABLE } from "./validate.js";

/** How staged rows become rows of a fact table, and what makes two rows the same fact. */
interface FactSpec {
  readonly table: string;
  /** Target column → SQL over the stage `s` and the row's customer `rc` (window functions allowed). */
  readonly columns: readonly (readonly [string, Sql])[];
  /** Columns that identify a fact: a row whose key is already stored (or repeated in the file) is skipped. */
  readonly key: readonly string[];
  /** The key cannot repeat within one file (it includes a per-file ordinal), so no need to look. */
  readonly uniqueInFile?: boolean;
  /**
   * A column to store the new rows in order of. Events go in time order: DuckDB keeps min/max per row group, so
   * a scan of a time range (a segment refresh's window bands) then reads only the row groups of that range.
   */
  readonly orderBy?: string;
}

async function countRows(engine: Engine, table: string): Promise<number> {
  const r = await engine.query(sql`SELECT count(*) AS n FROM ${sql.ident(table)}`);
  return Number(r.column("n")[0]);
}

/** The resolved customer of a staged row (a key holding it needs the identity join). */
const RESOLVED_CUSTOMER = sql`s._customer_id`;

/** Inserts the facts of the `valid` staged rows that are not stored yet; returns the counts. */
async function insertFacts(engine: Engine, spec: FactSpec, valid: number): Promise<LoadCounts> {
  const id = sql.ident;
  const table = id(spec.table);
  const cols = sql.join(spec.columns.map(([c]) => id(c)));
  const stored = sql.join(
    spec.key.map((k) => sql`t.${id(k)} IS NOT DISTINCT FROM n.${id(k)}`),
    " AND ",
  );
  const rows = sql`SELECT s._row AS _row, ${sql.join(spec.columns.map(([c, e]) => sql`${e} AS ${id(c)}`))}
                  FROM ${VALID_ROWS} s`;
  const keys = sql.join(spec.key.map((k) => id(k)));
  const keyExprs = spec.key.map((k) => spec.columns.find(([c]) => c === k)?.[1] ?? id(k));
  // Keys of ids read the stage alone; keys holding the resolved customer need the identity join.
  const keySource = keyExprs.includes(RESOLVED_CUSTOMER)
    ? sql`${VALID_ROWS} s`
    : sql`${STAGE_TABLE} s WHERE s._reject_field IS NULL`;
  // Keeping the first of repeated keys needs a window over every row; most files repeat none, so look first.
  const repeats = spec.uniqueInFile
    ? 0
    : Number(
        (
          await engine.query(
            sql`SELECT count(*) AS n FROM (SELECT ${sql.join(keyExprs)} FROM ${keySource} GROUP BY ${sql.join(keyExprs)} HAVING count(*) > 1) g`,
          )
        ).column("n")[0],
      );
  const firsts =
    repeats === 0
      ? rows
      : sql`SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY ${keys} ORDER BY _row) AS _dup FROM (${rows})) WHERE _dup = 1`;
  const before = await countRows(engine, spec.table);
  // Into an empty table (a first import) nothing can be stored already: no need to look. Otherwise an anti-join on
  // the key (NULLs equal): a join every engine runs as one, where a correlated NOT EXISTS comparing with IS NOT
  // DISTINCT FROM is a nested loop on some.
  const unseen =
    before === 0
      ? sql.empty
      : sql` LEFT JOIN (SELECT ${keys}, 1 AS _stored FROM ${table}) t ON ${stored} WHERE t._stored IS NULL`;
  const order = spec.orderBy ? sql` ORDER BY n.${id(spec.orderBy)}` : sql.empty;
  const picked = sql.join(spec.columns.map(([c]) => sql`n.${id(c)}`));
  await engine.run(sql`INSERT INTO ${table} (${cols}) SELECT ${picked} FROM (${firsts}) n${unseen}${order}`);
  const inserted = (await countRows(engine, spec.table)) - before;
  return { inserted, alreadyPresent: valid - inserted };
}

/** Widens each customer's first_seen / last_seen to the activity in the file (idempotent). */
async function updateSeen(engine: Engine): Promise<void> {
  await engine.run(
    engine.dialect.updateFrom({
      table: "customers",
      columns: await engine.tableColumns("customers"),
      key: "customer_id",
      source: sql`(SELECT s._customer_id AS customer_id, min(s.timestamp) AS lo, max(s.timestamp) AS hi FROM ${VALID_ROWS} s
                    WHERE s._customer_id IS NOT NULL GROUP BY s._customer_id)`,
      set: [
        ["first_seen", sql`least(coalesce(t.first_seen, src.lo), src.lo)`],
        ["last_seen", sql`greatest(coalesce(t.last_seen, src.hi), src.hi)`],
      ],
    }),
  );
}

/** An extra column of the stage. */
const extra = (name: string): Sql => sql`s.${sql.ident(`x_${name}`)}`;

/** SQL: the extra columns of a row as a JSON object merged over its `properties` (if the kind has one). */
function propertiesOf(engine: Engine, plan: ColumnPlan, base: Sql | null): Sql {
  const d = engine.dialect;
  const extras = d.jsonObject(plan.extras.map((x) => [x.name, extra(x.name)] as const));
  if (plan.extras.length === 0) return base === null ? sql`NULL` : base;
  const only = plan.extras[0];
  if (base === null && plan.extras.length === 1 && only) {
    // One extra column (Online Retail's Country): no merge needed, and an empty cell stores no object.
    return sql`CASE WHEN ${extra(only.name)} IS NULL THEN NULL ELSE ${extras} END`;
  }
  return d.jsonMergePatch(base === null ? sql`'{}'` : sql`coalesce(${base}, '{}')`, extras);
}

/**
 * SQL: an id derived from a row's content, for files without one: a hash of every value, plus the row's
 * ordinal among identical rows, so that identical rows stay distinct facts and a re-import finds them again.
 */
function contentId(engine: Engine, kind: ImportKind, plan: ColumnPlan, skip: string): Sql {
  const d = engine.dialect;
  const parts = [
    ...CANONICAL[kind].filter((f) => f.name !== skip).map((f) => sql`s.${sql.ident(f.name)}`),
    ...plan.extras.map((x) => extra(x.name)),
  ].map((e) => sql`coalesce(${d.toText(e)}, '')`);
  const content = d.hash(sql`concat_ws('|', ${sql.join(parts)})`);
  // The ordinal is a whole number: a plain cast writes it alike on every engine (toText is for any value).
  return sql`${content} || '-' || ${d.cast(sql`row_number() OVER (PARTITION BY ${content} ORDER BY s._row)`, "string")}`;
}

export async function loadEvents(engine: Engine, plan: ColumnPlan, valid: number): Promise<LoadCounts> {
  const given = plan.fields.has("message_id");
  const messageId = given ? sql`s.message_id` : contentId(engine, "events", plan, "message_id");
  const counts = await insertFacts(
    engine,
    {
      uniqueInFile: !given, // derived ids carry their ordinal among identical rows
      table: "events",
      columns: [
        ["message_id", messageId],
        ["customer_id", RESOLVED_CUSTOMER],
        ["user_id", sql`coalesce(s.user_id, s.customer_id)`],
        ["anonymous_id", sql`s.anonymous_id`],
        ["type", sql`s.type`],
        ["event", sql`s.event`],
        ["ts", sql`s.timestamp`],
        ["properties", propertiesOf(engine, plan, sql`s.properties`)],
      ],
      key: ["message_id"],
      orderBy: "ts",
    },
    valid,
  );
  await updateSeen(engine);
  return counts;
}

export async function loadOrders(engine: Engine, plan: ColumnPlan, valid: number): Promise<LoadCounts> {
  const given = plan.fields.has("order_id");
  const orderId = given ? sql`s.order_id` : contentId(engine, "orders", plan, "order_id");
  const counts = await insertFacts(
    engine,
    {
      uniqueInFile: !given,
      table: "orders",
      columns: [
        ["order_id", orderId],
        ["customer_id", RESOLVED_CUSTOMER],
        ["source_customer_id", sql`s.customer_id`],
        ["ts", sql`s.timestamp`],
        ["total", sql`s.total`],
        ["returned", sql`0`],
        ["currency", sql`s.currency`],
        ["properties", propertiesOf(engine, plan, null)],
      ],
      key: ["order_id"],
    },
    valid,
  );
  await updateSeen(engine);
  return counts;
}

/**
 * Order lines, numbered within their order in file order; each order not stored yet is derived from its
 * lines: total = the positive-quantity lines (revenue), returned = the negative-quantity lines (returns).
 */
export async function loadOrderLines(engine: Engine, plan: ColumnPlan, valid: number): Promise<LoadCounts> {
  const counts = await insertFacts(
    engine,
    {
      table: "order_items",
      columns: [
        ["order_id", sql`s.order_id`],
        // The line's place in its order, counted from the order's first row in the file: 1, 2, 3 … when an order's
        // lines are together (as exports write them), and unique and repeatable however they are spread — without
        // the sort a row_number() would need.
        ["line_no", sql`s._row - min(s._row) OVER (PARTITION BY s.order_id) + 1`],
        ["customer_id", RESOLVED_CUSTOMER],
        ["source_customer_id", sql`s.customer_id`],
        ["ts", sql`s.timestamp`],
        ["sku", sql`s.sku`],
        ["category", sql`s.category`],
        ["description", sql`s.description`],
        ["quantity", sql`s.quantity`],
        ["unit_price", sql`s.unit_price`],
        ["currency", sql`s.currency`],
        ["properties", propertiesOf(engine, plan, null)],
      ],
      key: ["order_id", "line_no"],
      uniqueInFile: true,
    },
    valid,
  );
  const amount = sql`s.quantity * s.unit_price`;
  // An order takes the extra columns of its first line (built once per order, not once per line).
  const d = engine.dialect;
  const firstLineProperties =
    plan.extras.length === 0
      ? sql`NULL`
      : d.jsonMergePatch(
          sql`'{}'`,
          d.jsonObject(plan.extras.map((x) => [x.name, d.argMax(extra(x.name), sql`-s._row`)] as const)),
        );
  await engine.run(
    sql`INSERT INTO orders (order_id, customer_id, source_customer_id, ts, total, returned, currency, properties)
     SELECT s.order_id, min(s._customer_id), min(s.customer_id), min(s.timestamp),
            coalesce(${d.aggIf("sum", [amount], sql`s.quantity > 0`)}, 0),
            coalesce(-${d.aggIf("sum", [amount], sql`s.quantity < 0`)}, 0),
            min(s.currency), ${firstLineProperties}
       FROM ${VALID_ROWS} s WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.order_id = s.order_id)
      GROUP BY s.order_id`,
  );
  await updateSeen(engine);
  return counts;
}

export async function loadConsents(engine: Engine, valid: number): Promise<LoadCounts> {
  return insertFacts(
    engine,
    {
      table: "consents",
      columns: [
        ["customer_id", RESOLVED_CUSTOMER],
        ["source_customer_id", sql`s.customer_id`],
        ["purpose", sql`lower(s.purpose)`],
        ["channel", sql`lower(s.channel)`],
        ["status", sql`s.status`],
        ["source", sql`s.source`],
        ["ts", sql`s.timestamp`],
      ],
      key: ["customer_id", "purpose", "channel", "status", "source", "ts"],
    },
    valid,
  );
}

export async function loadSurveyResponses(engine: Engine, valid: number): Promise<LoadCounts> {
  return insertFacts(
    engine,
    {
      table: "survey_responses",
      columns: [
        ["customer_id", RESOLVED_CUSTOMER],
        ["source_customer_id", sql`s.customer_id`],
        ["survey", sql`s.survey`],
        ["question", sql`s.question`],
        ["answer", sql`s.answer`],
        ["ts", sql`s.timestamp`],
      ],
      key: ["customer_id", "survey", "question", "answer", "ts"],
    },
    valid,
  );
}
