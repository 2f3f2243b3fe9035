/**
 * The engine interface: everything domain code may ask of a SQL engine. Domain modules build SQL from the
 * dialect's helpers and pass user values as bound parameters; only `store/<engine>/` knows an engine's syntax.
 */

import type { ColumnType, Sql } from "./sql.js";

export type { ColumnType, SqlValue } from "./sql.js";

/** A query result read as columns: one array per column, all of the same length. */
export interface ColumnResult {
  readonly columns: readonly string[];
  readonly rowCount: number;
  /** Values of one column, converted to plain JS (BIGINT → number when safe, DECIMAL → number, timestamps → Date). */
  column(name: string): readonly unknown[];
  /** Rows as objects with the same conversions (for small results: summaries, reports). */
  rows<T = Record<string, unknown>>(): T[];
}

/** How a file is read by the engine's own reader. */
export interface FileReadSpec {
  readonly path: string;
  readonly format: "csv" | "json" | "parquet";
  /** For CSV: the delimiter (undefined: let the engine sniff it). */
  readonly delimiter?: string;
  /** For CSV: whether the first line is a header (undefined: sniff). */
  readonly header?: boolean;
  /** For CSV: the layout found by `sniffCsv` — lines to skip and the column names. Given, nothing is sniffed again. */
  readonly skip?: number;
  /**
   * The column names: for CSV, the sniffed layout's; for JSON and Parquet, those a first read without them found
   * (an engine may then read the values as text more exactly).
   */
  readonly columns?: readonly string[];
}

/** What the engine's CSV sniffer found in a file. */
export interface CsvLayout {
  readonly delimiter: string;
  readonly header: boolean;
  readonly skip: number;
  readonly columns: readonly string[];
}

/** What an engine can do; code that must differ asks these, never which engine it is on. */
export interface Capabilities {
  /** BEGIN … COMMIT across statements: a failed operation's writes are undone by the engine itself. */
  readonly transactions: boolean;
  /**
   * Temporary tables private to a connection. Without them, `sql.temp` names are made unique per session and
   * the session drops its tables when it closes.
   */
  readonly connectionTempTables: boolean;
  /** Rows updated in place cheaply (`UPDATE`); without it an update is a rewrite of the rows it touches. */
  readonly cheapUpdate: boolean;
  /**
   * A large table's rows picked by a list of ids spread over it (`customer_id IN (…)`) are read alone, the others'
   * columns left unread (DuckDB's semi-join). Without it such a filter reads the whole table (ClickHouse reads every
   * granule holding one of the ids), so a query takes what it can from a scan it makes anyway.
   */
  readonly cheapIdFilter: boolean;
}

/** A column of a table the engine-neutral code defines. */
export interface ColumnDef {
  readonly name: string;
  readonly type: ColumnType;
}

/**
 * The order a table's rows are stored in, where an engine keeps one (ClickHouse's MergeTree key): columns, or
 * `{ day }`, the start of the day of a time column (rows of a day together, then the columns that follow).
 */
export type StorageKey = readonly (string | { readonly day: string })[];

/** What `updateFrom` changes: `set` pairs a column with its new value (an expression over `t` and `src`). */
export interface UpdateFromSpec {
  readonly table: string;
  readonly columns: readonly string[];
  readonly key: string;
  readonly source: Sql;
  readonly set: readonly (readonly [string, Sql])[];
}

/** What `remapColumn` changes. */
export interface RemapSpec {
  readonly table: string;
  readonly columns: readonly string[];
  readonly column: string;
  readonly mapping: Sql;
}

/** Aggregates that take a condition (`aggIf`). */
export type ConditionalAggregate = "count" | "sum" | "min" | "max" | "avg" | "argMax" | "argMin";

/**
 * An engine's SQL: every shape of statement or expression that differs between engines. Hooks take and give
 * fragments (`sql.ts`), so bound values pass through them untouched.
 */
export interface Dialect {
  readonly name: string;
  readonly can: Capabilities;
  /** Quotes an identifier (table, column). Identifiers must also be checked against a registry before use. */
  quoteIdent(name: string): string;
  /** A SQL string literal (for constants in generated SQL that never come from users). */
  literal(value: string): string;
  /** The engine's type for a neutral column type. */
  typeOf(type: ColumnType): string;
  /**
   * Expression: a value converted to a neutral type (an error when it cannot be). `from`, where known, is the
   * value's own type (a count is an integer): an engine that otherwise decides by the value's type when the query
   * runs can write the one conversion.
   */
  cast(expr: Sql, type: ColumnType, from?: ColumnType): Sql;
  /** Expression: any value as text. */
  toText(expr: Sql): Sql;
  /** Expression: the current time (UTC, with fractions of a second). */
  now(): Sql;
  /** Expression: a timestamp earlier than any real one ("since always"). */
  timestampMin(): Sql;

  // Statements

  /** Statements: (re)create a session temporary table (`sql.temp(name)`) holding a query's rows. */
  createTempAs(name: string, query: Sql): Sql[];
  /** Statements: (re)create an empty session temporary table with these columns. */
  createTemp(name: string, columns: readonly ColumnDef[]): Sql[];
  /** Statements: (re)create a session temporary view (an engine without them may materialise it). */
  createTempView(name: string, query: Sql): Sql[];
  /** Statement: (re)create a permanent view (a query that may hold no bound values: views store their text). */
  createView(name: string, query: Sql): Sql;
  /** Statements: (re)create a permanent table holding a query's rows, kept sorted by `key` where that matters. */
  createTableAs(name: string, query: Sql, key: StorageKey): Sql[];
  /** Statement: create a permanent table when it does not exist, kept sorted by `key` where that matters. */
  createTable(name: string, columns: readonly ColumnDef[], key: StorageKey): Sql;
  /** Statements: rewrite a table in the order of a column (a storage layout reads rely on for speed). */
  sortTable(table: string, by: string): Sql[];
  /**
   * Statements: give an existing table (these columns) a new storage key, keeping its rows; none where the engine
   * keeps no key.
   */
  rekeyTable(table: string, columns: readonly ColumnDef[], key: StorageKey): Sql[];
  /** Statement: add a column to a table. */
  addColumn(table: string, column: ColumnDef): Sql;
  /** Statement: set columns (`set`: `col = expr, …`) on the rows of a table that match `where`. */
  updateWhere(table: string, set: Sql, where: Sql): Sql;
  /** Statement: remove the rows of a table that match `where`. */
  deleteWhere(table: string, where: Sql): Sql;
  /**
   * Statements: set columns of the rows of `table` that have a row in `source` (joined on `key`; `source` is a
   * relation such as `sql.temp(…)` or a subquery, seen as alias `src`, the table as `t`). `columns` are all of
   * the table's columns (an engine without cheap updates rewrites those rows whole).
   */
  updateFrom(spec: UpdateFromSpec): Sql[];
  /**
   * Statements: in `table`, replace each value of `column` found as `from` in the relation `mapping`
   * (columns `from_id`, `to_id`) by its `to_id`. `columns` are all of the table's columns.
   */
  remapColumn(spec: RemapSpec): Sql[];
  /** Statements: write what the session changed to disk now (where the engine defers it). */
  checkpoint(): Sql[];
  /**
   * Statement: write the result of a query (its columns named `columns`, in order) to a CSV file with a header,
   * replacing the file, as DuckDB writes it on every engine: NULL is an empty field; a text is quoted (`"`, quotes
   * doubled) only when it is empty or holds a comma, a quote, `#`, a line feed or a carriage return.
   */
  copyToCsv(query: Sql, path: string, columns: readonly string[]): Sql;
  /** Statement: write the result of a query to a Parquet file (replacing the file). */
  copyToParquet(query: Sql, path: string): Sql;

  // Files

  /** A relation (usable after FROM) reading a whole file with every column as text, in file order. */
  readFileAsText(spec: FileReadSpec): Sql;
  /** A query returning one row (delimiter, header, skip, columns as a JSON array of names): the file's layout. */
  sniffCsv(spec: FileReadSpec): Sql;
  /** A relation reading a text file as one column `line` (for whitespace-separated data). */
  readLines(path: string): Sql;
  /** Expression: the 1-based number of a row of a file being read, in file order (the reader keeps the order). */
  fileRowNumber(): Sql;

  // Parsing text

  /** Expression: parse text to a finite number, NULL when it is not one (NaN and infinities are not numbers here). */
  tryNumber(expr: Sql): Sql;
  /** Expression: parse text to a whole number, NULL when it is not one. */
  tryInteger(expr: Sql): Sql;
  /** Expression: parse text to a boolean, NULL when it is not one. */
  tryBoolean(expr: Sql): Sql;
  /**
   * Expression: parse text to a UTC timestamp (ISO 8601, or the given strftime-style format). NULL when it fails,
   * and for words a cast may take ("infinity", "epoch"): a timestamp is always a finite time.
   */
  tryTimestamp(expr: Sql, format?: string): Sql;
  /** Expression: parse text to a date. NULL when it fails. */
  tryDate(expr: Sql, format?: string): Sql;

  // JSON, text, regular expressions

  /**
   * Expression: true when the text is a valid JSON object (RFC 8259: NaN, infinities and numbers beyond a double,
   * which some parsers take, are not JSON).
   */
  isJsonObject(expr: Sql): Sql;
  /** Expression: a JSON object built from pairs of (key literal, value expression); NULL values are omitted. */
  jsonObject(pairs: readonly (readonly [string, Sql])[]): Sql;
  /** Expression: JSON object `patch` applied to `base` (RFC 7396: keys with null values are dropped). */
  jsonMergePatch(base: Sql, patch: Sql): Sql;
  /** The JSON path (to bind as a parameter) that reaches a top-level key, whatever characters the key holds. */
  jsonKeyPath(key: string): string;
  /** Expression: the text at a JSON path given as SQL (a bound parameter); NULL when absent or JSON null. */
  jsonTextAtPath(expr: Sql, path: Sql): Sql;
  /** Expression: the text of a JSON object's key (NULL when absent). */
  jsonText(expr: Sql, key: string): Sql;
  /**
   * Set-returning expression in a SELECT list: one row per top-level key of a JSON object's text (each row of the
   * FROM repeated; an empty object yields none).
   */
  jsonKeys(expr: Sql): Sql;
  /** Expression: does the whole text match a regular expression? */
  regexMatches(expr: Sql, pattern: Sql): Sql;
  /** Expression: replace every match of a regular expression. */
  regexReplace(expr: Sql, pattern: Sql, replacement: Sql): Sql;
  /** Expression: does text contain another (plain text, not a pattern)? */
  contains(expr: Sql, part: Sql): Sql;
  /**
   * Expression: does text contain any of several texts (plain, not patterns)? In one pass over the text where the
   * engine has a multi-needle search (ClickHouse's `multiSearchAny`), else a search per part.
   */
  containsAny(expr: Sql, parts: readonly string[]): Sql;
  /** Expression: a stable hexadecimal hash of a text. */
  hash(expr: Sql): Sql;
  /** Expression: the SHA-256 of a text's UTF-8 bytes, as 64 lower-case hexadecimal characters. */
  sha256Hex(expr: Sql): Sql;
  /**
   * Expression: the whole number written by the first `digits` (1 to 13) hexadecimal characters of a text, as a
   * double (exact: at most 52 bits). With `sha256Hex`, a uniform draw the same on every engine and in JavaScript.
   */
  leadingHexNumber(hex: Sql, digits: number): Sql;
  /** Expression: trim text, split it on a regular expression, and take part i (0-based; NULL past the end). */
  splitPart(expr: Sql, pattern: Sql, index: number): Sql;
  /** Expression: how many parts `splitPart` sees. */
  countParts(expr: Sql, pattern: Sql): Sql;

  // Aggregates

  /** Aggregate: the value of `value` on the row with the largest `key`. */
  argMax(value: Sql, key: Sql): Sql;
  /** Aggregate: the value of `value` on the row with the smallest `key`. */
  argMin(value: Sql, key: Sql): Sql;
  /**
   * Aggregate over the rows where `cond` holds (`count` takes no argument: rows). Over no rows, `count` is 0 and
   * the others NULL, on every engine.
   */
  aggIf(fn: ConditionalAggregate, args: readonly Sql[], cond: Sql): Sql;
  /**
   * Aggregate: the q-quantile (0 ≤ q ≤ 1, a constant) of `expr`, exact, interpolated between neighbours. `expr` is
   * a number (of a timestamp, take the quantile of its `epochSeconds`).
   */
  quantile(expr: Sql, q: number): Sql;

  // Time

  /** Expression: a timestamp as seconds since 1970-01-01 UTC (a double: fractions of a second kept). */
  epochSeconds(expr: Sql): Sql;
  /** Expression: hour of day (0–23, UTC) of a timestamp. */
  hourOf(expr: Sql): Sql;
  /** Expression: day of the week of a timestamp, 0 = Monday … 6 = Sunday (UTC). */
  weekdayOf(expr: Sql): Sql;
  /** Expression: whole days from timestamp `from` to timestamp `to` (rounded down). */
  daysBetween(from: Sql, to: Sql): Sql;

  /**
   * Set-returning expression in a SELECT list: one output row per item that is not NULL (each row of the FROM
   * repeated; a row whose items are all NULL yields none).
   */
  unnestPresent(items: readonly Sql[]): Sql;

  // Temporary tables, showing SQL, grouping sets, typed text files, reproducible writes
  /**
   * A relation reading a session temporary table's rows in the order they were inserted, so that row numbers
   * (`fileRowNumber`) count them in that order every time it is read.
   */
  tempInOrder(name: string): Sql;
  /** Statement: add a column to a session temporary table (`sql.temp(name)`); its rows hold NULL in it. */
  addTempColumn(name: string, column: ColumnDef): Sql;
  /** The text of a fragment as this engine would run it, for showing to a user (explain); values are not shown. */
  showSql(q: Sql): string;
  /** Expression under GROUPING SETS: 0 when the row's set groups by `key`, 1 when not (SQL-standard GROUPING). */
  groupingOf(key: Sql): Sql;
  /**
   * A relation reading a tab-separated text file (no header, no quoting or escapes: fields hold no tabs, newlines
   * or backslashes) as the given typed columns, in file order; empty fields are NULL. The file may be a named pipe.
   */
  readTabSeparated(path: string, columns: readonly ColumnDef[]): Sql;
  /** Expression: the UTC timestamp a whole number of seconds after 1970-01-01 00:00:00 UTC. */
  timestampFromEpochSeconds(expr: Sql): Sql;
  /**
   * Statements: settings for a session of a store of its own that only writes files: one thread (so a file written
   * from the same rows is the same bytes every time) and a modest memory ceiling. They may set the whole store.
   */
  reproducibleFileWrites(): Sql[];
}

/** A column appended in bulk: a name and its values (typed arrays for numbers). */
export interface AppendColumn {
  readonly name: string;
  readonly type: ColumnType;
  readonly values: ArrayLike<unknown>;
}

/** Where in a file of the database the bytes of an erased identifier were still found (byte offsets). */
export interface Remnant {
  readonly path: string;
  readonly at: readonly number[];
}

/** A file of the database's storage. */
export interface StorageFile {
  readonly path: string;
  /**
   * Part of storage the engine replaced and removes by itself later (ClickHouse's outdated parts, kept for
   * `old_parts_lifetime` after a merge or mutation): no read sees it.
   */
  readonly replaced: boolean;
}

/** Bytes `start` to `end` (not included) of a storage file. */
export interface StorageRegion {
  readonly path: string;
  readonly start: number;
  readonly end: number;
}

/** The state of the storage files at a moment (`Engine.storageSnapshot`). */
export interface StorageSnapshot {
  /** The parts of the storage files that may have changed since: every byte that differs lies in one. */
  changed(): Promise<StorageRegion[]>;
}

/** Rows to erase: those whose `column` holds one of `values` (text). */
export interface EraseMatch {
  readonly column: string;
  readonly values: readonly string[];
}

/**
 * What domain code may ask of the engine within one session (see `store.ts`): statements and queries with bound
 * values, a transaction, bulk appends to temporary tables. Temporary tables belong to the session.
 */
export interface Engine {
  readonly dialect: Dialect;
  /** Runs one statement, or several in order (a text is a statement with no parameters). */
  run(statement: Sql | string | readonly Sql[]): Promise<void>;
  /** Runs a query and reads its result as columns. */
  query(query: Sql | string): Promise<ColumnResult>;
  /** Runs `work` in a transaction: committed if it returns, rolled back if it throws. */
  transaction<T>(work: () => Promise<T>): Promise<T>;
  /** Creates (or replaces) a session temporary table (`sql.temp(table)`) and fills it from columns, fast. */
  appendTemp(table: string, columns: readonly AppendColumn[]): Promise<void>;
  /** The names of the columns of a table (permanent or the session's temporary one). */
  tableColumns(table: string): Promise<string[]>;
  /** The names of the database's own permanent tables (not views, not temporary tables). */
  tables(): Promise<string[]>;
  /**
   * Rewrites the tables whose storage holds mostly rows deleted or replaced since (where the engine does not
   * reclaim them as it writes), so reads stop paying for them; returns their names. Called after every write
   * operation (`Store.write`); nothing changes in what the tables hold.
   */
  compact(): Promise<string[]>;
  /**
   * Deletes a table's rows where any of `matches`' columns holds one of its values, so that their bytes can leave
   * the files (erasure, issue 17): the storage that held them (DuckDB's row groups; ClickHouse's parts) is
   * rewritten without them, where a plain delete would only mark them, and no value is written anywhere in clear
   * (ClickHouse keeps a mutation's text in its data directory). `needles`: the person's identifiers, for an engine
   * that rewrites only the text of the rows that holds one of them. Returns how many rows it deleted. Inside a
   * transaction where the engine has them.
   */
  eraseRows(table: string, matches: readonly EraseMatch[], needles: readonly string[]): Promise<number>;
  /**
   * Makes the bytes of what was deleted or rewritten leave the files now: a checkpoint (the write-ahead log folded
   * in and emptied), freed space overwritten (DuckDB), replaced parts removed (ClickHouse). `remnants`: where a
   * check after an earlier scrub still found such bytes (DuckDB: in blocks it had reused, written whole with old
   * bytes in their unused part), moved out of too. Outside a transaction.
   */
  scrubFreedSpace(remnants?: readonly Remnant[]): Promise<void>;
  /**
   * The files this database's data lives in on this machine (file and write-ahead log; a data directory's files);
   * null when they are out of reach (in memory, on a server).
   */
  storageFiles(): Promise<StorageFile[] | null>;
  /**
   * The storage files' state now, to ask later which parts of them changed (erasure's second byte search reads only
   * those); null where the engine cannot tell, or its files are out of reach.
   */
  storageSnapshot(): Promise<StorageSnapshot | null>;
}
