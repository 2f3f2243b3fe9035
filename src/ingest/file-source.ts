import { accessSync, constants, statSync } from "node:fs";
import { basename, resolve } from "node:path";
import { UserError } from "../errors.js";
import type { Dialect, Engine, FileReadSpec } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
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
      // The columns found first; the file is then read knowing them (an engine may read the values more exactly).
      const columns = (await engine.query(sql`SELECT * FROM ${d.readFileAsText(spec)} LIMIT 0`)).columns;
      const relation = d.readFileAsText({ ...spec, columns });
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
  header: boolean | undefined,
): Promise<FileSource> {
  const d = engine.dialect;
  const line = sql`line`;
  const sep = BLANKS(d);
  await engine.run(d.createTempAs(LINES, sql`SELECT line FROM ${d.readLines(path)} WHERE trim(line) <> ''`));
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
