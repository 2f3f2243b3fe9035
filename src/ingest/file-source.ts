import { accessSync, closeSync, constants, openSync, readSync, statSync } from "node:fs";
import { basename, resolve } from "node:path";
import { UserError } from "../errors.js";
import type { Dialect, Engine, FileReadSpec } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import { checkFile } from "./file-check.js";
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
  /** The file's text encoding (default UTF-8): other encodings are decoded to a UTF-8 copy the engine reads. */
  readonly encoding?: string;
}

/** The engine's message, first line, naming the file as the user did (not the decoded copy the engine read). */
function engineMessage(e: unknown, readPath: string, path: string): string {
  const message = String((e as Error).message ?? e);
  return (message.split("\n")[0] ?? message).replace(/^[A-Za-z ]+Error: /, "").replaceAll(readPath, path);
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
  // The whole file is checked first (file-check.ts): what the engines would read in part or wrongly is refused.
  const checked = await checkFile(path, { format, delimiter: opts.delimiter, encoding: opts.encoding });
  try {
    const source = await openChecked(engine, path, checked.readPath, format, opts, checked.noRows);
    return { ...source, close: () => source.close().finally(checked.cleanup) };
  } catch (e) {
    checked.cleanup();
    if (e instanceof UserError) throw e;
    const what = format === "csv" ? "delimited text (CSV)" : format.toUpperCase();
    throw new UserError(
      "unreadable-file",
      `cannot be read as ${what}: ${engineMessage(e, checked.readPath, path)}`,
      path,
    );
  }
}

/** Opens a checked file (`readPath`: the file itself, or its decoded copy) with the engine's reader. */
async function openChecked(
  engine: Engine,
  path: string,
  readPath: string,
  format: FileFormat,
  opts: OpenOptions,
  noRows: boolean,
): Promise<FileSource> {
  const d = engine.dialect;
  const names = fileNames(path);
  // An empty JSON array: no rows and no columns, nothing to import (as an empty batch).
  if (noRows)
    return {
      ...names,
      empty: true,
      relation: sql`(SELECT 1 AS x)`,
      columns: [],
      format,
      close: async () => {},
    };
  if (opts.delimiter === "whitespace") return await openWhitespace(engine, path, readPath, opts.header);
  const spec: FileReadSpec = { path: readPath, format, delimiter: opts.delimiter, header: opts.header };
  if (format !== "csv") {
    // The columns found first; the file is then read knowing them (an engine may read the values more exactly).
    const columns = (await engine.query(sql`SELECT * FROM ${d.readFileAsText(spec)} LIMIT 0`)).columns;
    // DuckDB reads rows that are not all objects as one column `json` (the file's first row is, file-check.ts).
    if (
      format === "json" &&
      columns.length === 1 &&
      columns[0] === "json" &&
      !firstRowHasKey(readPath, "json")
    )
      throw new UserError(
        "not-rows",
        "holds a row that is not a JSON object: each row must be an object whose keys are the columns",
        path,
      );
    const relation = d.readFileAsText({ ...spec, columns });
    return { ...names, relation, columns, format, close: async () => {} };
  }
  // Sniff once, then read with the layout found (the reader would otherwise sniff the file again).
  const sniffed = (await engine.query(d.sniffCsv(spec))).rows<{
    delimiter: string;
    header: boolean;
    skip: number;
    columns: string;
  }>()[0];
  if (!sniffed) throw new UserError("empty-file", "is empty: no header and no rows to import", path);
  const columns = JSON.parse(sniffed.columns) as string[];
  // The sniffer sees one column in blank-separated files (CDNOW): read those as whitespace-separated.
  if (
    opts.delimiter === undefined &&
    columns.length === 1 &&
    (await isWhitespaceSeparated(engine, readPath))
  ) {
    return await openWhitespace(engine, path, readPath, opts.header);
  }
  const relation = d.readFileAsText({
    ...spec,
    delimiter: sniffed.delimiter,
    header: sniffed.header,
    skip: Number(sniffed.skip),
    columns,
  });
  return { ...names, relation, columns, format, close: async () => {} };
}

/** Whether the first 64 KiB of a JSON file name a key (a file whose rows have one key `json` is not mistaken). */
function firstRowHasKey(path: string, key: string): boolean {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.alloc(65536);
    const text = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString("utf8");
    return text.includes(JSON.stringify(key));
  } finally {
    closeSync(fd);
  }
}

/** The pattern of a run of blanks (a constant: the file's lines are split on it). */
const BLANKS = (d: Dialect): Sql => sql.raw(d.literal("\\s+"));

/** The lines of a blank-separated file, then its fields: session temporary tables. */
const LINES = "_import_lines";
const FIELDS = "_import_fields";

/** True when the first lines all hold the same number (≥ 2) of blank-separated fields and no other delimiter. */
async function isWhitespaceSeparated(engine: Engine, path: string): Promise<boolean> {
  const d = engine.dialect;
  const line = sql`line`;
  const parts = d.countParts(line, BLANKS(d));
  const delimiter = sql.join(
    [",", ";", "|"].map((c) => d.contains(line, sql.raw(d.literal(c)))),
    " OR ",
  );
  const sample = await engine.query(
    sql`SELECT min(${parts}) AS lo, max(${parts}) AS hi, ${d.aggIf("count", [], delimiter)} AS delimited
          FROM (SELECT line FROM ${d.readLines(path)} WHERE trim(line) <> '' LIMIT 20) l`,
  );
  const [lo, hi, delimited] = [sample.column("lo")[0], sample.column("hi")[0], sample.column("delimited")[0]];
  // No sampled line holds another delimiter (and some line was sampled: lo is NULL otherwise).
  return Number(delimited) === 0 && Number(lo) >= 2 && lo === hi;
}

/** Stages a file whose fields are separated by runs of blanks (e.g. CDNOW), with or without a header. */
async function openWhitespace(
  engine: Engine,
  path: string,
  readPath: string,
  header: boolean | undefined,
): Promise<FileSource> {
  const d = engine.dialect;
  const line = sql`line`;
  const sep = BLANKS(d);
  await engine.run(
    d.createTempAs(LINES, sql`SELECT line FROM ${d.readLines(readPath)} WHERE trim(line) <> ''`),
  );
  const r = await engine.query(sql`SELECT max(${d.countParts(line, sep)}) AS n FROM ${sql.temp(LINES)}`);
  const width = Number(r.column("n")[0] ?? 0);
  if (width === 0) throw new UserError("empty-file", "holds no data", path);
  const parts = Array.from({ length: width }, (_, i) => d.splitPart(line, sep, i));
  const first = await engine.query(
    sql`SELECT ${sql.join(parts.map((p, i) => sql`${p} AS ${sql.ident(`c${i}`)}`))} FROM ${d.tempInOrder(LINES)} l LIMIT 1`,
  );
  const firstValues = first.columns.map((c) => first.column(c)[0] as string | null);
  // A header has no numeric field; the data rows of such files (ids, dates, amounts) do.
  const hasHeader = header ?? firstValues.every((v) => v === null || Number.isNaN(Number(v)));
  const columns = firstValues.map((v, i) => (hasHeader && v ? v : `column${i}`));
  const select = sql.join(parts.map((p, i) => sql`${p} AS ${sql.ident(columns[i] ?? `column${i}`)}`));
  await engine.run([
    ...d.createTempAs(
      FIELDS,
      sql`SELECT ${select} FROM ${d.tempInOrder(LINES)} l${hasHeader ? sql` OFFSET 1` : sql.empty}`,
    ),
    sql`DROP TABLE ${sql.temp(LINES)}`,
  ]);
  return {
    ...fileNames(path),
    relation: d.tempInOrder(FIELDS),
    columns,
    format: "whitespace",
    close: () => engine.run(sql`DROP TABLE IF EXISTS ${sql.temp(FIELDS)}`),
  };
}
