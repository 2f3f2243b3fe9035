import { accessSync, constants, statSync } from "node:fs";
import { UserError } from "../errors.js";
import type { Engine, FileReadSpec } from "../store/engine.js";

export type FileFormat = FileReadSpec["format"];

/** The table a file is staged into: `_row` (1-based data row number) and every column as text. */
export const RAW_TABLE = "_import_raw";

/** Guesses the format from the name: `.csv/.tsv/.txt`, `.json/.ndjson/.jsonl`, `.parquet`, each optionally `.gz`. */
export function detectFormat(path: string): FileFormat {
  const name = path.toLowerCase().replace(/\.(gz|gzip)$/, "");
  if (/\.(json|ndjson|jsonl)$/.test(name)) return "json";
  if (/\.parquet$/.test(name)) return "parquet";
  return "csv";
}

export interface StagedFile {
  readonly columns: readonly string[];
  readonly rows: number;
  readonly format: FileFormat | "whitespace";
}

export interface StageOptions {
  readonly delimiter?: string;
  readonly header?: boolean;
}

function firstLine(message: string): string {
  return (message.split("\n")[0] ?? message).replace(/^[A-Za-z ]+Error: /, "");
}

/**
 * Reads a whole file with the engine's own reader into RAW_TABLE, every column as text, so that validation
 * can report the original value of any bad field. Nothing is parsed in JavaScript.
 */
export async function stageFile(engine: Engine, path: string, opts: StageOptions = {}): Promise<StagedFile> {
  try {
    if (!statSync(path).isFile()) throw new UserError("not-a-file", "is not a file", path);
    accessSync(path, constants.R_OK);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError("file-not-found", "no such file (or it cannot be read)", path);
  }
  const format = detectFormat(path);
  const d = engine.dialect;
  const q = d.quoteIdent;
  let whitespace = opts.delimiter === "whitespace";
  try {
    if (!whitespace && format === "csv" && opts.delimiter === undefined) whitespace = await looksWhitespaceSeparated(engine, path);
    if (whitespace) await stageWhitespace(engine, path, opts.header);
    else {
      const spec: FileReadSpec = { path, format, delimiter: opts.delimiter, header: opts.header };
      // A table's insertion order is the file's order, so rowid numbers the data rows.
      await engine.run(`CREATE OR REPLACE TEMP TABLE _import_read AS SELECT * FROM ${d.textColumns(d.readFileAsText(spec))}`);
      await engine.run(`CREATE OR REPLACE TEMP TABLE ${RAW_TABLE} AS SELECT rowid + 1 AS _row, * FROM _import_read`);
      await engine.run("DROP TABLE _import_read");
    }
  } catch (e) {
    if (e instanceof UserError) throw e;
    const what = whitespace ? "whitespace-separated text" : format.toUpperCase();
    throw new UserError("unreadable-file", `cannot be read as ${what}: ${firstLine(String((e as Error).message))}`, path);
  }
  const columns = (await engine.tableColumns(RAW_TABLE)).filter((c) => c !== "_row");
  const n = await engine.query(`SELECT count(*) AS n FROM ${q(RAW_TABLE)}`);
  return { columns, rows: Number(n.column("n")[0]), format: whitespace ? "whitespace" : format };
}

/** True when the engine's sniffer finds one column but the lines hold several blank-separated fields. */
async function looksWhitespaceSeparated(engine: Engine, path: string): Promise<boolean> {
  const d = engine.dialect;
  const sample = await engine.query(
    `SELECT min(${d.countParts("line", "'\\s+'")}) AS lo, max(${d.countParts("line", "'\\s+'")}) AS hi,
            bool_and(NOT contains(line, ',') AND NOT contains(line, ';') AND NOT contains(line, '\t') AND NOT contains(line, '|')) AS plain
       FROM (SELECT line FROM ${d.readLines(path)} WHERE trim(line) <> '' LIMIT 20)`,
  );
  const [lo, hi, plain] = [sample.column("lo")[0], sample.column("hi")[0], sample.column("plain")[0]];
  return plain === true && Number(lo) >= 2 && lo === hi;
}

/** Stages a file whose fields are separated by runs of blanks (e.g. CDNOW), with or without a header. */
async function stageWhitespace(engine: Engine, path: string, header: boolean | undefined): Promise<void> {
  const d = engine.dialect;
  const sep = "'\\s+'";
  await engine.run(
    `CREATE OR REPLACE TEMP TABLE _import_lines AS SELECT line FROM ${d.readLines(path)} WHERE trim(line) <> ''`,
  );
  const r = await engine.query(`SELECT max(${d.countParts("line", sep)}) AS n FROM _import_lines`);
  const width = Number(r.column("n")[0] ?? 0);
  if (width === 0) throw new UserError("empty-file", "holds no data", path);
  const parts = Array.from({ length: width }, (_, i) => d.splitPart("line", sep, i));
  const first = await engine.query(
    `SELECT ${parts.map((p, i) => `${p} AS c${i}`).join(", ")} FROM _import_lines WHERE rowid = 0`,
  );
  const firstValues = first.columns.map((c) => first.column(c)[0] as string | null);
  // A header has no numeric field; data rows of such files (ids, dates, amounts) do.
  const hasHeader = header ?? firstValues.every((v) => v === null || Number.isNaN(Number(v)));
  const names = firstValues.map((v, i) => (hasHeader && v ? v : `column${i}`));
  const select = parts.map((p, i) => `${p} AS ${d.quoteIdent(names[i] ?? `column${i}`)}`).join(", ");
  await engine.run(
    `CREATE OR REPLACE TEMP TABLE ${RAW_TABLE} AS SELECT rowid + ${hasHeader ? 0 : 1} AS _row, ${select} FROM _import_lines ${hasHeader ? "WHERE rowid > 0" : ""}`,
  );
  await engine.run("DROP TABLE _import_lines");
}
