/**
 * The engine interface: everything domain code may ask of a SQL engine. Domain modules build SQL from the
 * dialect's helpers and pass user values as bound parameters; only `store/<engine>/` knows an engine's syntax.
 */

/** A bound parameter value. */
export type SqlValue = string | number | bigint | boolean | null | Date;

/** A query result read as columns: one array per column, all of the same length. */
export interface ColumnResult {
  readonly columns: readonly string[];
  readonly rowCount: number;
  /** Values of one column, converted to plain JS (BIGINT → number when safe, DECIMAL → number, timestamps → Date). */
  column(name: string): readonly unknown[];
  /** Rows as objects with the same conversions (for small results: summaries, reports). */
  rows<T = Record<string, unknown>>(): T[];
}

/** Column types the engine-neutral schema code may ask for. */
export type ColumnType = "string" | "integer" | "number" | "boolean" | "date" | "timestamp" | "json";

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
  readonly columns?: readonly string[];
}

/** What the engine's CSV sniffer found in a file. */
export interface CsvLayout {
  readonly delimiter: string;
  readonly header: boolean;
  readonly skip: number;
  readonly columns: readonly string[];
}

export interface Dialect {
  readonly name: string;
  /** Quotes an identifier (table, column). Identifiers must also be checked against a registry before use. */
  quoteIdent(name: string): string;
  /** The engine's type for a neutral column type. */
  typeOf(type: ColumnType): string;
  /** A relation (usable after FROM) reading a whole file with every column as text, in file order. */
  readFileAsText(spec: FileReadSpec): string;
  /** A query returning one row (delimiter, header, skip, columns as a JSON array of names): the file's layout. */
  sniffCsv(spec: FileReadSpec): string;
  /** A relation reading a text file as one column `line` (for whitespace-separated data). */
  readLines(path: string): string;
  /** Expression: parse text to a finite number, NULL when it is not one (NaN and infinities are not numbers here). */
  tryNumber(expr: string): string;
  /** Expression: parse text to a whole number, NULL when it is not one. */
  tryInteger(expr: string): string;
  /** Expression: parse text to a boolean, NULL when it is not one. */
  tryBoolean(expr: string): string;
  /** Expression: parse text to a UTC timestamp (ISO 8601, or the given strftime-style format). NULL when it fails. */
  tryTimestamp(expr: string, format?: string): string;
  /** Expression: parse text to a date. NULL when it fails. */
  tryDate(expr: string, format?: string): string;
  /** Expression: true when the text is valid JSON object. */
  isJsonObject(expr: string): string;
  /** Expression: a JSON object built from pairs of (key literal, value expression); NULL values are omitted. */
  jsonObject(pairs: readonly (readonly [string, string])[]): string;
  /** Expression: JSON object `patch` applied to `base` (RFC 7396: keys with null values are dropped). */
  jsonMergePatch(base: string, patch: string): string;
  /** The JSON path (to bind as a parameter) that reaches a top-level key, whatever characters the key holds. */
  jsonKeyPath(key: string): string;
  /** Expression: the text at a JSON path given as SQL (a bound parameter); NULL when absent or JSON null. */
  jsonTextAtPath(expr: string, path: string): string;
  /** Expression: the text of a JSON object's key (NULL when absent). */
  jsonText(expr: string, key: string): string;
  /** Expression: does text match a regular expression (given as a SQL string literal)? */
  regexMatches(expr: string, pattern: string): string;
  /** Expression: replace every match of a regular expression. */
  regexReplace(expr: string, pattern: string, replacement: string): string;
  /** Expression: a stable hexadecimal hash of a text. */
  hash(expr: string): string;
  /** Expression: trim text, split it on a regular expression, and take part i (0-based; NULL past the end). */
  splitPart(expr: string, pattern: string, index: number): string;
  /** Expression: how many parts `splitPart` sees. */
  countParts(expr: string, pattern: string): string;
  /** Aggregate: the value of `value` on the row with the largest `key`. */
  argMax(value: string, key: string): string;
  /** Aggregate: the value of `value` on the row with the smallest `key`. */
  argMin(value: string, key: string): string;
  /** Expression: a timestamp as seconds since 1970-01-01 UTC (a double: fractions of a second kept). */
  epochSeconds(expr: string): string;
  /** Aggregate: the q-quantile (0 ≤ q ≤ 1, a constant) of `expr`, interpolated between neighbouring values. */
  quantile(expr: string, q: number): string;
  /** Expression: the 1-based number of a row of a file being read, in file order (the reader keeps the order). */
  fileRowNumber(): string;
  /** Expression: hour of day (0–23, UTC) of a timestamp. */
  hourOf(expr: string): string;
  /** Expression: day of the week of a timestamp, 0 = Monday … 6 = Sunday (UTC). */
  weekdayOf(expr: string): string;
  /**
   * Set-returning expression in a SELECT list: one output row per item that is not NULL (each row of the FROM
   * repeated; a row whose items are all NULL yields none).
   */
  unnestPresent(items: readonly string[]): string;
  /** Expression: whole days from timestamp `from` to timestamp `to` (rounded down). */
  daysBetween(from: string, to: string): string;
  /** Expression: a bound parameter `$n` cast to a neutral type. */
  param(n: number, type: ColumnType): string;
  /** Expression: any value as text. */
  toText(expr: string): string;
  /** Statement: write the result of a query to a CSV file with a header. */
  copyToCsv(query: string, path: string): string;
  /** Statement: write the result of a query to a Parquet file. */
  copyToParquet(query: string, path: string): string;
  /** A SQL string literal (for constants in generated SQL that never come from users). */
  literal(value: string): string;
}

/** A column appended in bulk: a name and its values (typed arrays for numbers). */
export interface AppendColumn {
  readonly name: string;
  readonly type: ColumnType;
  readonly values: ArrayLike<unknown>;
}

/**
 * What domain code may ask of the engine within one session (see `store.ts`): statements and queries with bound
 * values, a transaction, bulk appends to temporary tables. Temporary tables belong to the session.
 */
export interface Engine {
  readonly dialect: Dialect;
  /** Runs a statement (or several separated by `;` when there are no params). */
  run(sql: string, params?: readonly SqlValue[]): Promise<void>;
  /** Runs a query and reads its result as columns. */
  query(sql: string, params?: readonly SqlValue[]): Promise<ColumnResult>;
  /** Runs `work` in a transaction: committed if it returns, rolled back if it throws. */
  transaction<T>(work: () => Promise<T>): Promise<T>;
  /** Creates (or replaces) a temporary table and fills it from columns, fast. */
  appendTemp(table: string, columns: readonly AppendColumn[]): Promise<void>;
  /** The names of the columns of a table. */
  tableColumns(table: string): Promise<string[]>;
}
