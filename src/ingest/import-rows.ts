import { isUserError } from "../errors.js";
import type { Engine } from "../store/engine.js";
import { runImport } from "./import-pipeline.js";
import {
  type RejectedRow,
  type RowsImportOptions,
  type RowsImportResult,
  RowsRejectedError,
} from "./import-types.js";
import { collectRejects } from "./rejected-rows.js";
import { openRows } from "./row-source.js";

/**
 * Imports a batch of rows from memory or a stream (the tracking API, API uploads) through the same pipeline as a
 * file: the rows become a table of text columns, as a file of the same rows would, and are checked, linked and
 * loaded in one transaction. Rejected rows come back as values (row number, field, reason, original values) for
 * the caller to keep or show; nothing is written to disk. With `strict`, any reject aborts the import, leaving
 * the database as it was, and the error names the source, the first rejected row and its field.
 */
export async function importRows(engine: Engine, opts: RowsImportOptions): Promise<RowsImportResult> {
  let rejects: RejectedRow[] = [];
  try {
    const summary = await runImport(
      engine,
      opts,
      () => openRows(engine, opts.rows, opts.source),
      async (set) => {
        rejects = await collectRejects(set);
        return null;
      },
    );
    return { ...summary, rejects };
  } catch (e) {
    // A strict import refused: the caller gets every rejected row, not only the first the message names.
    if (isUserError(e) && e.code === "rows-rejected") throw new RowsRejectedError(e, rejects);
    throw e;
  }
}
