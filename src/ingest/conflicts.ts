import type { Engine } from "../store/engine.js";
import { type Sql, sql, tsParam } from "../store/sql.js";
import type { ColumnPlan } from "./column-plan.js";
import { canConflict, type FactSpec } from "./fact-specs.js";
import type { ImportSource } from "./import-source.js";
import type { ConflictPolicy } from "./import-types.js";
import { STAGE_NAME, STAGE_TABLE } from "./validate.js";

/** What the conflict check found. */
export interface Conflicts {
  /** Rows in conflict with a stored fact or another row of the source, each reported with the other version. */
  readonly rows: number;
  /** Of them, set aside: marked in the stage as rejected, with the conflict as the reason (never loaded). */
  readonly dropped: number;
  /** Of them, loaded in place of a stored version (`replace`). */
  readonly replacing: number;
  /** The stored facts they replace (rows of one key in the source, identical, replace one fact). */
  readonly replaced: number;
  /** Whether a key may still repeat among the accepted rows (identical copies); undefined: not looked at. */
  readonly mayRepeat?: boolean;
  /**
   * Whether any accepted row's key is stored already (identical or in conflict); undefined: not looked at. When
   * none is, the load need not look for stored keys again.
   */
  readonly anyStoredKey?: boolean;
  /** Lines the reject file gets besides the rejected rows: the other version of each conflict, and replacing rows. */
  readonly lines: number;
}

export const NO_CONFLICTS: Conflicts = { rows: 0, dropped: 0, replacing: 0, replaced: 0, lines: 0 };

/** Every conflict: the source row reported, the other version (a row, or the stored values), what became of it. */
const CONFLICTS_TABLE = "_import_conflicts";
/** Repeated keys of the source, with each row's place among its key's rows. */
const REPEATS_TABLE = "_import_repeats";
/** The keys of stored facts being replaced (until the loaded ones are derived again). */
const REPLACED_TABLE = "_import_replaced";
const MARKED_TABLE = "_import_stage_marked";
const tmp = sql.temp;

/**
 * The rows of a conflict's lines in the reject file, as rejected-rows.ts reads them: `row` (the source row the
 * conflict is reported on), `line` (0: that row, 1: the other version), `field`, `reason`, `from_row` (the source
 * row whose original values the line shows; NULL: the stored version, whose values are `c0`, `c1`, …).
 */
export function conflictLines(columns: number): Sql {
  const nulls = sql.join(Array.from({ length: columns }, (_, i) => sql`NULL AS ${sql.raw(`c${i}`)}`));
  const stored = sql.join(Array.from({ length: columns }, (_, i) => sql.raw(`c${i}`)));
  const t = tmp(CONFLICTS_TABLE);
  return sql`SELECT ${sql.ident("row")}, 0 AS line, field, reason, ${sql.ident("row")} AS from_row${columns > 0 ? sql`, ${nulls}` : sql.empty}
               FROM ${t} WHERE dropped = 0
             UNION ALL
             SELECT ${sql.ident("row")}, 1 AS line, field, version AS reason, other_row AS from_row${columns > 0 ? sql`, ${stored}` : sql.empty}
               FROM ${t}`;
}

/**
 * The stored facts a batch's keys are looked for among: all of them, or — events with `withinDays` — those dated
 * within that many days of the batch's own times, a range the engine reads from few row groups (events are stored
 * in time order). A relation for `FROM`; null when the batch holds no valid row.
 */
export async function storedKeys(engine: Engine, spec: FactSpec, withinDays?: number): Promise<Sql | null> {
  const table = sql.ident(spec.table);
  if (withinDays === undefined || spec.table !== "events") return table;
  const ts = spec.columns.find(([c]) => c === "ts")?.[1];
  if (ts === undefined) return table;
  const r = await engine.query(
    sql`SELECT min(${ts}) AS lo, max(${ts}) AS hi FROM ${STAGE_TABLE} s${spec.join} WHERE s._reject_field IS NULL`,
  );
  const [lo, hi] = [r.column("lo")[0], r.column("hi")[0]];
  if (!(lo instanceof Date) || !(hi instanceof Date)) return null;
  const day = 86_400_000;
  const from = new Date(lo.getTime() - withinDays * day);
  const to = new Date(hi.getTime() + withinDays * day);
  return sql`(SELECT * FROM ${table} WHERE ts >= ${tsParam(from)} AND ts <= ${tsParam(to)})`;
}

/**
 * Finds the conflicts among the accepted staged rows of a fact kind, before anything is loaded (and before
 * identity resolution: a row set aside links no identifier). Two rows of one key are identical when every content
 * column of the fact agrees (`FactSpec.content`: the stored columns but the key and the resolved customer, NULLs
 * equal, values as parsed: `10` and `10.0` are one total, JSON properties compare as text). Within the source,
 * every row of a key is compared with the version kept (the first; with `replace`, the last); then the rows kept
 * are compared with the stored facts of their key. Rows set aside are marked in the stage as rejected, with the
 * conflict as the reason; with `replace`, the keys of the stored versions to remove are kept for `replaceStored`.
 */
export async function findConflicts(
  engine: Engine,
  spec: FactSpec,
  source: Pick<ImportSource, "noun" | "columns">,
  plan: ColumnPlan,
  policy: ConflictPolicy,
  storedFacts: Sql = sql.ident(spec.table),
): Promise<Conflicts> {
  if (!canConflict(spec)) return NO_CONFLICTS;
  const d = engine.dialect;
  const id = sql.ident;
  const lit = (text: string): Sql => sql.raw(d.literal(text));
  const num = (e: Sql): Sql => d.cast(e, "string");
  // Row numbers as one nullable integer type everywhere (engines number rows in unsigned types of their own).
  const int = (e: Sql): Sql => d.cast(e, "integer", "integer");
  const expr = (c: string): Sql => spec.columns.find(([name]) => name === c)?.[1] ?? id(c);
  const compared = [...spec.key, ...spec.content];
  const rows = sql`SELECT s._row AS _row, ${sql.join(compared.map((c) => sql`${expr(c)} AS ${id(c)}`))}
                     FROM ${STAGE_TABLE} s${spec.join} WHERE s._reject_field IS NULL`;
  const sameKey = (a: string, b: string): Sql =>
    sql.join(
      spec.key.map((k) => sql`${sql.raw(a)}.${id(k)} IS NOT DISTINCT FROM ${sql.raw(b)}.${id(k)}`),
      " AND ",
    );
  const sameContent = (a: string, b: string): Sql =>
    sql.join(
      spec.content.map((c) => sql`${sql.raw(a)}.${id(c)} IS NOT DISTINCT FROM ${sql.raw(b)}.${id(c)}`),
      " AND ",
    );
  const keys = sql.join(spec.key.map((k) => sql`n.${id(k)}`));
  const field = lit(spec.field);
  const flag = `(on conflict: ${policy})`;
  // The stored version's values under the source's columns (a mapped field, or an extra column kept in properties).
  const storedValues = source.columns.map((column, i) => {
    const fieldName = [...plan.fields].find(([, f]) => f.column === column)?.[0];
    const shown = fieldName === undefined ? undefined : spec.shownAs.get(fieldName);
    const extraName = plan.extras.find((x) => x.column === column)?.name;
    const value =
      shown !== undefined
        ? d.toText(sql`t.${id(shown)}`)
        : extraName !== undefined && spec.columns.some(([c]) => c === "properties")
          ? d.jsonText(sql`t.properties`, extraName)
          : d.cast(sql`NULL`, "string");
    return sql`${value} AS ${sql.raw(`c${i}`)}`;
  });
  const noValues = source.columns.map((_, i) => sql`${d.cast(sql`NULL`, "string")} AS ${sql.raw(`c${i}`)}`);
  const cols = (values: Sql[]): Sql => (values.length > 0 ? sql`, ${sql.join(values)}` : sql.empty);
  const keyCols = sql.join(spec.key.map((k) => sql`n.${id(k)} AS ${id(`key_${k}`)}`));

  // Within the source: only when a key repeats (most sources repeat none, and looking costs one aggregate).
  const repeats =
    spec.uniqueInFile === true
      ? 0
      : Number(
          (
            await engine.query(
              sql`SELECT count(*) AS n FROM (SELECT 1 FROM (${rows}) n GROUP BY ${keys} HAVING count(*) > 1) g`,
            )
          ).column("n")[0],
        );
  const within =
    repeats === 0
      ? sql`SELECT ${int(sql`NULL`)} AS ${id("row")}, ${int(sql`NULL`)} AS other_row,
                   ${field} AS field, ${d.cast(sql`NULL`, "string")} AS reason, ${d.cast(sql`NULL`, "string")} AS version,
                   1 AS dropped, ${sql.join(spec.key.map((k) => sql`${expr(k)} AS ${id(`key_${k}`)}`))}${cols(noValues)}
              FROM ${STAGE_TABLE} s${spec.join} WHERE 1 = 0`
      : sql`SELECT ${int(sql`n._row`)} AS ${id("row")}, ${int(sql`k._row`)} AS other_row, ${field} AS field,
                   'conflict: ' || ${spec.keyText("n")} || ' is also row ' || ${num(sql`k._row`)} || ${lit(` of the ${source.noun}, with other values: not loaded ${flag}`)} AS reason,
                   'conflict: the other version of ' || ${spec.keyText("n")} || ': row ' || ${num(sql`k._row`)} AS version,
                   1 AS dropped, ${keyCols}${cols(noValues)}
              FROM ${tmp(REPEATS_TABLE)} n JOIN (SELECT * FROM ${tmp(REPEATS_TABLE)} WHERE _pick = 1) k ON ${sameKey("n", "k")}
             WHERE n._pick > 1 AND NOT (${sameContent("n", "k")})`;
  if (repeats > 0) {
    // The version kept is the first row of its key, or the last when a later version replaces an earlier one.
    const order = policy === "replace" ? sql`_row DESC` : sql`_row`;
    await engine.run(
      d.createTempAs(
        REPEATS_TABLE,
        sql`SELECT * FROM (SELECT r.*, count(*) OVER (PARTITION BY ${sql.join(spec.key.map((k) => sql`r.${id(k)}`))}) AS _n,
                   row_number() OVER (PARTITION BY ${sql.join(spec.key.map((k) => sql`r.${id(k)}`))} ORDER BY ${order}) AS _pick
              FROM (${rows}) r) x WHERE _n > 1`,
      ),
    );
  }
  await engine.run(d.createTempAs(CONFLICTS_TABLE, within));
  if (repeats > 0) await engine.run(sql`DROP TABLE ${tmp(REPEATS_TABLE)}`);

  // Against the stored facts: the rows kept so far whose key is stored with other content.
  // Whether anything is stored at all (not a count: counting a large table that has deleted rows reads all of it).
  const stored = await engine.query(
    sql`SELECT ${d.cast(sql`EXISTS (SELECT 1 FROM ${sql.ident(spec.table)})`, "boolean")} AS any_stored`,
  );
  // Then whether any row's key is stored, reading the stored keys alone: an import of new facts (the usual one)
  // has none, and then no other column of the stored table is read (the content comparison below reads them all:
  // on 30M stored events, the properties too).
  const anyStoredKey =
    stored.column("any_stored")[0] === true &&
    Number(
      (
        await engine.query(
          sql`SELECT count(*) AS n FROM (${rows}) n JOIN (SELECT ${sql.join(spec.key.map((k) => id(k)))} FROM ${storedFacts} x) t ON ${sameKey("n", "t")}`,
        )
      ).column("n")[0],
    ) > 0;
  if (anyStoredKey) {
    const action = policy === "replace" ? `: replaces it ${flag}` : `: not loaded ${flag}`;
    await engine.run(
      sql`INSERT INTO ${tmp(CONFLICTS_TABLE)}
          SELECT n._row, NULL, ${field},
                 'conflict: ' || ${spec.keyText("n")} || ${lit(` is stored with other values${action}`)},
                 'conflict: the other version of ' || ${spec.keyText("n")} || ${lit(policy === "replace" ? ": stored (replaced)" : ": stored (kept)")},
                 ${policy === "replace" ? sql`0` : sql`1`}, ${keyCols}${cols(storedValues)}
            FROM (${rows}) n JOIN ${storedFacts} t ON ${sameKey("n", "t")}
           WHERE NOT (${sameContent("n", "t")})
             AND n._row NOT IN (SELECT ${id("row")} FROM ${tmp(CONFLICTS_TABLE)})`,
    );
  }
  const found = await engine.query(
    sql`SELECT count(*) AS n_rows, ${d.aggIf("count", [], sql`dropped = 1`)} AS n_dropped FROM ${tmp(CONFLICTS_TABLE)}`,
  );
  const total = Number(found.column("n_rows")[0]);
  const dropped = Number(found.column("n_dropped")[0]);
  if (total === 0) {
    await engine.run(sql`DROP TABLE ${tmp(CONFLICTS_TABLE)}`);
    return { ...NO_CONFLICTS, mayRepeat: repeats > 0, anyStoredKey };
  }
  if (dropped > 0) await markDropped(engine);
  let replaced = 0;
  if (total > dropped) {
    const keyNames = sql.join(spec.key.map((k) => sql`${id(`key_${k}`)} AS ${id(k)}`));
    await engine.run(
      d.createTempAs(
        REPLACED_TABLE,
        sql`SELECT DISTINCT ${keyNames} FROM ${tmp(CONFLICTS_TABLE)} WHERE dropped = 0`,
      ),
    );
    replaced = Number(
      (await engine.query(sql`SELECT count(*) AS n FROM ${tmp(REPLACED_TABLE)}`)).column("n")[0],
    );
  }
  return {
    rows: total,
    dropped,
    replacing: total - dropped,
    replaced,
    mayRepeat: repeats > 0,
    anyStoredKey,
    lines: total + (total - dropped),
  };
}

/**
 * Rewrites the stage with the rows set aside marked as rejected (the conflict as field and reason): from then on
 * they are rejects like any other — in the reject file, linking no identifier, loading nothing. A session's
 * temporary table is rewritten rather than updated: not every engine updates one (ClickHouse's Memory tables).
 */
async function markDropped(engine: Engine): Promise<void> {
  const d = engine.dialect;
  const columns = (await engine.query(sql`SELECT * FROM ${STAGE_TABLE} LIMIT 0`)).columns;
  const pick = columns.map((c) => {
    if (c === "_reject_field") return sql`coalesce(s._reject_field, m.field) AS _reject_field`;
    if (c === "_reject_reason") return sql`coalesce(s._reject_reason, m.reason) AS _reject_reason`;
    return sql`s.${sql.ident(c)}`;
  });
  await engine.run([
    ...d.createTempAs(
      MARKED_TABLE,
      sql`SELECT ${sql.join(pick)} FROM ${STAGE_TABLE} s
            LEFT JOIN (SELECT ${sql.ident("row")} AS _marked, min(field) AS field, min(reason) AS reason
                         FROM ${tmp(CONFLICTS_TABLE)} WHERE dropped = 1 GROUP BY ${sql.ident("row")}) m
              ON m._marked = ${d.cast(sql`s._row`, "integer", "integer")}`,
    ),
    ...d.createTempAs(STAGE_NAME, sql`SELECT * FROM ${tmp(MARKED_TABLE)}`),
    sql`DROP TABLE ${tmp(MARKED_TABLE)}`,
  ]);
}

/** SQL: a fact's key as one value (an `IN` works on one column everywhere; a line's number is last and whole). */
function keyValue(engine: Engine, spec: FactSpec, alias?: string): Sql {
  const parts = spec.key.map((k) => (alias ? sql`${sql.raw(alias)}.${sql.ident(k)}` : sql.ident(k)));
  if (parts.length === 1) return parts[0] as Sql;
  return sql`concat_ws('|', ${sql.join(parts.map((p) => engine.dialect.cast(p, "string")))})`;
}

/**
 * `replace`: removes the stored versions the import's rows replace, after marking their customers for the refresh
 * (from the earliest time they touched: the fact leaves their history). Runs just before the load, which then
 * inserts the new versions as new facts. On an engine without transactions this is the import's one window where
 * a failure would leave a replaced fact removed and its new version not yet in.
 */
export async function replaceStored(engine: Engine, spec: FactSpec): Promise<void> {
  const d = engine.dialect;
  const table = sql.ident(spec.table);
  const keys = sql`SELECT ${keyValue(engine, spec, "r")} FROM ${tmp(REPLACED_TABLE)} r`;
  await engine.run([
    sql`INSERT INTO segment_dirty (customer_id, marked_at, since)
          SELECT t.customer_id, ${d.now()}, min(t.ts) FROM ${table} t
           WHERE t.customer_id IS NOT NULL AND ${keyValue(engine, spec, "t")} IN (${keys}) GROUP BY t.customer_id`,
    d.deleteWhere(spec.table, sql`${keyValue(engine, spec)} IN (${keys})`),
  ]);
}

/**
 * After a load that replaced order lines: each order of a replaced line is derived again from all its stored lines,
 * as lines derive a new order (customer, time, total of the positive lines, returned of the negative ones).
 */
export async function rederiveOrders(engine: Engine): Promise<void> {
  const d = engine.dialect;
  const amount = sql`i.quantity * i.unit_price`;
  await engine.run(
    d.updateFrom({
      table: "orders",
      columns: await engine.tableColumns("orders"),
      key: "order_id",
      source: sql`(SELECT i.order_id AS order_id, min(i.customer_id) AS customer_id,
                          min(i.source_customer_id) AS source_customer_id, min(i.ts) AS ts,
                          coalesce(${d.aggIf("sum", [amount], sql`i.quantity > 0`)}, 0) AS total,
                          coalesce(-${d.aggIf("sum", [amount], sql`i.quantity < 0`)}, 0) AS returned
                     FROM order_items i WHERE i.order_id IN (SELECT order_id FROM ${tmp(REPLACED_TABLE)})
                    GROUP BY i.order_id)`,
      set: [
        ["customer_id", sql`src.customer_id`],
        ["source_customer_id", sql`src.source_customer_id`],
        ["ts", sql`src.ts`],
        ["total", sql`src.total`],
        ["returned", sql`src.returned`],
      ],
    }),
  );
}

/** Drops what the conflict check left (after the reject file is written and the load is done). */
export async function dropConflicts(engine: Engine): Promise<void> {
  await engine.run([
    sql`DROP TABLE IF EXISTS ${tmp(CONFLICTS_TABLE)}`,
    sql`DROP TABLE IF EXISTS ${tmp(REPLACED_TABLE)}`,
  ]);
}
