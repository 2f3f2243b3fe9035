import { accessSync, constants, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { UserError } from "../errors.js";
import type { Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";
import type { Rejects } from "./rejected-rows.js";

/** Where rejected rows go: beside the file, or in the working directory when that folder is read-only. */
export function rejectsPathFor(file: string, explicit?: string): string {
  if (explicit) return explicit;
  try {
    accessSync(dirname(resolve(file)), constants.W_OK);
    return `${file}.rejects.csv`;
  } catch {
    return join(process.cwd(), `${basename(file)}.rejects.csv`);
  }
}

/**
 * Writes rejected rows as CSV with the engine's writer: `row,field,reason,<the source's columns>`, one line per
 * row with its original values, in row order; a conflict's row is followed by a line with the other version
 * (same row and field; the reason says which version: a row of the source, or the stored values). Straight from where the import set them aside: reading them into
 * JavaScript and back would triple the cost of a file whose every row is rejected (a wrong timestamp format).
 */
export async function writeRejectFile(engine: Engine, rejects: Rejects, path: string): Promise<void> {
  const d = engine.dialect;
  const original = sql.join(rejects.columns.map((c, i) => sql`${sql.raw(`c${i}`)} AS ${sql.ident(c)}`));
  const row = sql.ident("row");
  // Checked here, not left to the engine's writer: some engines create missing folders.
  const folder = dirname(resolve(path));
  try {
    if (!statSync(folder).isDirectory()) throw new Error("not a folder");
    accessSync(folder, constants.W_OK);
  } catch {
    throw new UserError(
      "rejects-unwritable",
      `cannot write the reject file: the folder ${folder} does not exist or cannot be written to`,
      path,
    );
  }
  try {
    await engine.run(
      d.copyToCsv(sql`SELECT ${row}, field, reason, ${original} FROM ${rejects.table} ORDER BY _n`, path, [
        "row",
        "field",
        "reason",
        ...rejects.columns,
      ]),
    );
  } catch (e) {
    throw new UserError(
      "rejects-unwritable",
      `cannot write the reject file: ${(e as Error).message.split("\n")[0]}`,
      path,
    );
  }
}
