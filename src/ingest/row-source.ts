import { UserError } from "../errors.js";
import type { Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";
import type { ImportSource } from "./import-source.js";
import type { InputRow } from "./import-types.js";
import { PagedTempTable } from "./paged-temp-table.js";

/** The temporary table that holds a batch's rows (private to the session, so a fixed name). */
const ROWS_TABLE = "_import_rows";

/** Rows held in JavaScript before they go to the engine: bounds the memory a long stream takes. */
const PAGE_ROWS = 50_000;

/** A value no file could hold (a function, a symbol, an invalid date): the message says why. */
class NotAValue extends Error {}

/**
 * A value as the text a file would hold, so that a batch is checked exactly as a file of the same rows:
 * strings as they are; numbers, booleans and big integers as their text; a Date as ISO 8601 (UTC); objects and
 * arrays as JSON text (a `properties` object arrives as the JSON a file would carry); null, undefined and ""
 * as NULL (an empty cell).
 */
function cellText(value: unknown): string | null {
  if (value === null || value === undefined || value === "") return null;
  switch (typeof value) {
    case "string":
      return value;
    case "number":
    case "boolean":
    case "bigint":
      return String(value);
    case "object": {
      if (value instanceof Date) {
        if (Number.isNaN(value.getTime())) throw new NotAValue("an invalid date");
        return value.toISOString();
      }
      try {
        return JSON.stringify(value) ?? null;
      } catch (e) {
        throw new NotAValue(`cannot be written as JSON (${(e as Error).message})`);
      }
    }
    default:
      throw new NotAValue(`a ${typeof value} is not a value`);
  }
}

/** The names of a row's columns, after checking that the row is an object of column values. */
function keysOf(row: unknown, at: number, label: string): string[] {
  if (row === null || typeof row !== "object" || Array.isArray(row)) {
    const got = row === null ? "null" : Array.isArray(row) ? "an array" : `a ${typeof row}`;
    throw new UserError("bad-row", `row ${at}: expected an object of column values, got ${got}`, label);
  }
  return Object.keys(row);
}

/**
 * Opens rows from memory or a stream as an import source: they become a temporary table with every column as
 * text (the shape the engine's file readers give), columns being the union of the rows' keys in the order first
 * seen, rows numbered 1, 2, … in input order. A stream is read as it arrives, a page at a time.
 */
export async function openRows(
  engine: Engine,
  rows: Iterable<InputRow> | AsyncIterable<InputRow>,
  label: string,
): Promise<ImportSource> {
  const table = new PagedTempTable(engine, ROWS_TABLE);
  const columns: string[] = [];
  // The engine's names ignore case: two keys that differ only in case would be one column.
  const byFoldedName = new Map<string, string>();
  let page: (string | null)[][] = [];
  let pageRows = 0;
  let row = 0;
  const flush = async (): Promise<void> => {
    // Stored under positional names (c0, c1, …): any key is then a valid column, whatever it holds.
    await table.append(columns.map((_, i) => ({ name: `c${i}`, type: "string", values: page[i] ?? [] })));
    page = columns.map(() => []);
    pageRows = 0;
  };
  for await (const input of rows) {
    row++;
    for (const key of keysOf(input, row, label)) {
      const folded = key.toLowerCase();
      const known = byFoldedName.get(folded);
      if (known === key) continue;
      if (key === "") throw new UserError("bad-column", `row ${row}: a column has an empty name`, label);
      if (known !== undefined) {
        throw new UserError(
          "duplicate-column",
          `row ${row}: columns "${known}" and "${key}" differ only in case`,
          label,
        );
      }
      byFoldedName.set(folded, key);
      columns.push(key);
      page.push(new Array<string | null>(pageRows).fill(null));
    }
    let i = 0;
    try {
      for (; i < columns.length; i++) {
        const name = columns[i] as string;
        // Own keys only: a column named "constructor" must not read Object.prototype's.
        page[i]?.push(cellText(Object.hasOwn(input, name) ? input[name] : undefined));
      }
    } catch (e) {
      if (!(e instanceof NotAValue)) throw e;
      throw new UserError("bad-value", `row ${row}, field ${columns[i]}: ${e.message}`, label);
    }
    pageRows++;
    // Until a row brings a key there is no column to hold the rows: they are only counted, and the first column
    // back-fills them with NULLs (a page of no columns would lose them).
    if (pageRows >= PAGE_ROWS && columns.length > 0) await flush();
  }
  await flush();
  if (row > 0 && columns.length === 0) {
    throw new UserError("no-values", `none of its ${row} rows holds a value`, label);
  }
  const select = sql.join(columns.map((c, i) => sql`${sql.ident(`c${i}`)} AS ${sql.ident(c)}`));
  return {
    label,
    noun: "batch",
    logName: label,
    shortName: label,
    relation: table.exists
      ? sql`(SELECT ${select} FROM ${engine.dialect.tempInOrder(ROWS_TABLE)} r)`
      : sql`(SELECT 1 AS _none WHERE FALSE)`,
    columns,
    empty: row === 0,
    close: () => table.drop(),
  };
}
