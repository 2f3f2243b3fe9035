import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import { ERASED } from "./erased-rows.js";
import type { ImportSource } from "./import-source.js";
import type { RejectedRow } from "./import-types.js";
import { STAGE_TABLE } from "./validate.js";

/** The rejected rows with their original values (private to the session, so a fixed name). */
const REJECTED_TABLE = "_import_rejected";
const REJECTED = sql.temp(REJECTED_TABLE);

/** Rejected rows read into JavaScript at a time. */
const PAGE_ROWS = 50_000;

/**
 * The rejected rows of an import, handed to whoever decides where they go (a reject file, an API response).
 * They live in the import's session until the import ends: read them before the handler returns.
 */
export interface Rejects {
  /** Lines: the rejected rows, and the other versions of conflicts. */
  readonly count: number;
  /** The source's columns, in order: the keys of every row's `values`. */
  readonly columns: readonly string[];
  /**
   * The temporary table that holds them, in order (`_n`) — `row`, `field`, `reason`, then the original values as
   * `c0`, `c1`, … (the source's columns by position) — for writers that stay in the engine (a reject file). A
   * conflict has two lines on its row: the row, then the other version (conflicts.ts).
   */
  readonly table: Sql;
  /** The rejected rows in row order, a page at a time, so that millions of bad rows never sit in memory whole. */
  pages(): AsyncIterable<readonly RejectedRow[]>;
}

/**
 * Sets the staged rejects aside with the original text of every column, read again from the source and joined on
 * the row number (the stage keeps only parsed values). `more`: further lines for the reject file (conflicts.ts's
 * `conflictLines`: the other version of each conflict, rows that replaced a stored version), each placed after the
 * row it names. Returns them, and how to drop them.
 */
export async function setAsideRejects(
  engine: Engine,
  source: ImportSource,
  count: number,
  more: Sql | null = null,
): Promise<Rejects & { drop(): Promise<void> }> {
  const d = engine.dialect;
  // Positional names: a source column may be called "row" or "_row".
  const position = (i: number): Sql => sql.raw(`c${i}`);
  const row = sql.ident("row");
  const original = sql.join(source.columns.map((c, i) => sql`r.${sql.ident(c)} AS ${position(i)}`));
  // A row rejected as an erased person's keeps none of its values: its identifiers would otherwise be written
  // in clear to a new file (the row number still finds it in the source).
  const values = sql.join(
    source.columns.map(
      (_, i) =>
        sql`CASE WHEN w.reason = ${sql.raw(d.literal(ERASED))} THEN ${d.cast(sql`NULL`, "string")}
                 WHEN w.from_row IS NULL THEN w.${position(i)} ELSE v.${position(i)} END AS ${position(i)}`,
    ),
  );
  const none = sql.join(source.columns.map((_, i) => sql`${d.cast(sql`NULL`, "string")} AS ${position(i)}`));
  // Each line: the row it is reported on, its place among that row's lines, and the row whose values it shows
  // (NULL: values of its own, a stored version's).
  // Row numbers as one nullable integer type (engines number rows in unsigned types of their own).
  const int = (e: Sql): Sql => d.cast(e, "integer", "integer");
  const rejected = sql`SELECT ${int(sql`s._row`)} AS ${row}, 0 AS line, s._reject_field AS field, s._reject_reason AS reason,
                              ${int(sql`s._row`)} AS from_row, ${none}
                         FROM ${STAGE_TABLE} s WHERE s._reject_field IS NOT NULL`;
  const wanted = more === null ? rejected : sql`${rejected} UNION ALL ${more}`;
  await engine.run(
    d.createTempAs(
      REJECTED_TABLE,
      sql`SELECT w.${row} AS ${row}, row_number() OVER (ORDER BY w.${row}, w.line) AS _n, w.field AS field,
                 w.reason AS reason, ${values}
            FROM (${wanted}) w
            LEFT JOIN (SELECT ${int(d.fileRowNumber())} AS _row, ${original} FROM ${source.relation} r) v ON v._row = w.from_row
           ORDER BY w.${row}, w.line`,
    ),
  );
  const columns = source.columns;
  async function* pages(): AsyncIterable<readonly RejectedRow[]> {
    // Stored in line order, so the engine's per-block min/max lets each page skip the blocks before it.
    let after = 0;
    for (;;) {
      const r = await engine.query(
        sql`SELECT * FROM ${REJECTED} WHERE _n > ${after} ORDER BY _n LIMIT ${sql.raw(String(PAGE_ROWS))}`,
      );
      const rows = r.column("row");
      const lines = r.column("_n");
      const fields = r.column("field");
      const reasons = r.column("reason");
      const values = columns.map((_, i) => r.column(`c${i}`));
      const page: RejectedRow[] = [];
      for (let k = 0; k < r.rowCount; k++) {
        page.push({
          row: Number(rows[k]),
          field: String(fields[k]),
          reason: String(reasons[k]),
          // fromEntries: every column an own property, even one named "__proto__".
          values: Object.fromEntries(columns.map((c, i) => [c, (values[i]?.[k] ?? null) as string | null])),
        });
      }
      if (page.length > 0) yield page;
      if (r.rowCount < PAGE_ROWS) return;
      after = Number(lines[r.rowCount - 1] ?? after);
    }
  }
  return {
    count,
    columns,
    table: REJECTED,
    pages,
    drop: () => engine.run(sql`DROP TABLE IF EXISTS ${REJECTED}`),
  };
}

/** All the rejected rows, in row order (for a batch: no more than the rows it was given). */
export async function collectRejects(rejects: Rejects): Promise<RejectedRow[]> {
  const all: RejectedRow[] = [];
  for await (const page of rejects.pages()) all.push(...page);
  return all;
}
