import type { Engine } from "../store/engine.js";
import { openFile } from "./file-source.js";
import { runImport } from "./import-pipeline.js";
import type { ImportOptions, ImportSummary } from "./import-types.js";
import { rejectsPathFor, writeRejectFile } from "./reject-file.js";

export type { ImportKind, ImportOptions, ImportSummary } from "./import-types.js";

/**
 * Imports one file (DESIGN.md, "Import formats"; principle 7): the engine reads it as a source, the shared
 * pipeline checks and loads its rows in one transaction, and rejected rows go to the reject file with row, field,
 * reason and their original values (`<file>.rejects.csv`, or the working directory when the file's folder is
 * read-only, or `rejectsPath`). On any failure, or any reject with `strict`, the database is left exactly as it
 * was — with `strict`, the reject file is still written and the error names it.
 */
export function importFile(engine: Engine, opts: ImportOptions): Promise<ImportSummary> {
  return runImport(
    engine,
    opts,
    () =>
      openFile(engine, opts.path, {
        delimiter: opts.delimiter,
        header: opts.header,
        encoding: opts.encoding,
      }),
    async (rejects) => {
      const path = rejectsPathFor(opts.path, opts.rejectsPath);
      await writeRejectFile(engine, rejects, path);
      return path;
    },
  );
}
