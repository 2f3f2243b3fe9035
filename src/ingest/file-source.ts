import { accessSync, constants, statSync } from "node:fs";
import { basename, resolve } from "node:path";
import { UserError } from "../errors.js";
import type { Engine, FileReadSpec } from "../store/engine.js";
import type { ImportSource } from "./import-source.js";

export type FileFormat = FileReadSpec["format"];

/** Guesses the format from the name: `.csv/.tsv/.txt`, `.json/.ndjson/.jsonl`, `.parquet`, each optionally `.gz`. */
export function detectFormat(path: string): FileFormat {
  const name = path.toLowerCase().replace(/\.(gz|gzip)$/, "");
  if (/\.(json|ndjson|jsonl)$/.test(name)) return "json";
  if (/\.parquet$/.test(name)) return "parquet";
  return "csv";
}

/**
 * A file opened for import: a relation that reads it with every column as text, in file order, and its
 * column names. Reading it again gives the same rows in the same order (the engine's readers keep the
 * insertion order), so row numbers are the positions of rows in a table created from it.
 */
export interface FileSource extends ImportSource {
  readonly path: string;
  readonly format: FileFormat | "whitespace";
}

/** How a file is named in messages, the import log and the merge log. */
function fileNames(path: string) {
  return {
    path,
    label: path,
    noun: "file",
    logName: resolve(path),
    shortName: basename(path),
    empty: false,
  } as const;
}

export interface OpenOptions {
  readonly delimiter?: string;
  readonly header?: boolean;
}

function engineMessage(e: unknown): string {
  const message = String((e as Error).message ?? e);
  return (message.split("\n")[0] ?? message).replace(/^[A-Za-z ]+Error: /, "");
}

function checkReadable(path: string): void {
  try {
    if (!statSync(path).isFile()) throw new UserError("not-a-file", "is not a file", path);
    accessSync(path, constants.R_OK);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError("file-not-found", "no such file (or it cannot be read)", path);
  }
}

/** Opens a file with the engine's own reader; nothing is parsed in JavaScript. */
export async function openFile(engine: Engine, path: string, opts: OpenOptions = {}): Promise<FileSource> {
  checkReadable(path);
  const format = detectFormat(path);
  const d = engine.dialect;
  try {
    if (opts.delimiter === "whitespace") return await openWhitespace(engine, path, opts.header);
    const spec: FileReadSpec = { path, format, delimiter: opts.delimiter, header: opts.header };
    if (format !== "csv") {
      const relation = d.readFileAsText(spec);
      const columns = (await engine.query(`SELECT * FROM ${relation} LIMIT 0`)).columns;
      return { ...fileNames(path), relation, columns, format, close: async () => {} };
    }
    // Sniff once, then read with the layout found (the reader would otherwise sniff the file again).
    const sniffed = (await engine.query(d.sniffCsv(spec))).rows<{
      delimiter: string;
      header: boolean;
      skip: number;
      columns: string;
    }>()[0];
    if (!sniffed) throw new UserError("unreadable-file", "holds no data", path);
    const columns = JSON.parse(sniffed.columns) as string[];
    // The sniffer sees one column in blank-separated files (CDNOW): read those as whitespace-separated.
    if (opts.delimiter === undefined && columns.length === 1 && (await isWhitespaceSeparated(engine, path))) {
      return await openWhitespace(engine, path, opts.header);
    }
    const relation = d.readFileAsText({
      ...spec,
      delimiter: sniffed.delimiter,
      header: sniffed.header,
      skip: Number(sniffed.skip),
      columns,
    });
    return { ...fileNames(path), relation, columns, format, close: async () => {} };
  } catch (e) {
    if (e instanceof UserError) throw e;
    const what = format === "csv" ? "delimited text (CSV)" : format.toUpperCase();
    throw new UserError("unreadable-file", `cannot be read as ${what}: ${engineMessage(e)}`, path);
  }
}

/** True when the first lines all hold the same number (≥ 2) of blank-separated fields and no other delimiter. */
async function isWhitespaceSeparated(engine: Engine, path: string): Promise<boolean> {
  const d = engine.dialect;
  const parts = d.countParts("line", "'\\s+'");
  const sample = await engine.query(
    `SELECT min(${parts}) AS lo, max(${parts}) AS hi,
            bool_and(strpos(line, ',') = 0 AND strpos(line, ';') = 0 AND strpos(line, '|') = 0) AS plain
       FROM (SELECT line FROM ${d.readLines(path)} WHERE trim(line) <> '' LIMIT 20) l`,
  );
  const [lo, hi, plain] = [sample.column("lo")[0], sample.column("hi")[0], sample.column("plain")[0]];
  return plain === true && Number(lo) >= 2 && lo === hi;
}

/** Stages a file whose fields are separated by runs of blanks (e.g. CDNOW), with or without a header. */
async function openWhitespace(
  engine: Engine,
  path: string,
  header: boolean | undefined,
): Promise<FileSource> {
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
    `SELECT ${parts.map((p, i) => `${p} AS c${i}`).join(", ")} FROM _import_lines LIMIT 1`,
  );
  const firstValues = first.columns.map((c) => first.column(c)[0] as string | null);
  // A header has no numeric field; the data rows of such files (ids, dates, amounts) do.
  const hasHeader = header ?? firstValues.every((v) => v === null || Number.isNaN(Number(v)));
  const columns = firstValues.map((v, i) => (hasHeader && v ? v : `column${i}`));
  const select = parts.map((p, i) => `${p} AS ${d.quoteIdent(columns[i] ?? `column${i}`)}`).join(", ");
  await engine.run(
    `CREATE OR REPLACE TEMP TABLE _import_fields AS SELECT ${select} FROM _import_lines ${hasHeader ? `OFFSET 1` : ""};
     DROP TABLE _import_lines;`,
  );
  return {
    ...fileNames(path),
    relation: "_import_fields",
    columns,
    format: "whitespace",
    close: () => engine.run("DROP TABLE IF EXISTS _import_fields"),
  };
}
