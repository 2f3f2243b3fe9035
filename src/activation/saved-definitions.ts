import { didYouMean } from "../common/did-you-mean.js";
import { UserError } from "../errors.js";
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";

/** A registry table of saved definitions, one row per id (audiences, campaigns, destinations, experiments). */
export interface SavedTable {
  readonly table: string;
  /** The id column. */
  readonly key: string;
  /** The columns read. */
  readonly columns: Sql;
  /** What one row is called in messages ("audience"): an unknown id is the error `unknown-<noun>`. */
  readonly noun: string;
}

/** Every saved row, by id. */
export async function savedRows(engine: Engine, t: SavedTable): Promise<Record<string, unknown>[]> {
  const r = await engine.query(
    sql`SELECT ${t.columns} FROM ${sql.ident(t.table)} ORDER BY ${sql.ident(t.key)}`,
  );
  return r.rows<Record<string, unknown>>();
}

/** The saved row `id`; an unknown id is refused (naming `where`) with the nearest one suggested. */
export async function savedRow(
  engine: Engine,
  t: SavedTable,
  id: string,
  where: string,
): Promise<Record<string, unknown>> {
  const r = await engine.query(
    sql`SELECT ${t.columns} FROM ${sql.ident(t.table)} WHERE ${sql.ident(t.key)} = ${id}`,
  );
  const row = r.rows<Record<string, unknown>>()[0];
  if (row) return row;
  const all = (await engine.query(sql`SELECT ${sql.ident(t.key)} AS id FROM ${sql.ident(t.table)}`)).column(
    "id",
  ) as string[];
  throw new UserError(`unknown-${t.noun}`, `no ${t.noun} "${id}"${didYouMean(id, all)}`, where);
}
