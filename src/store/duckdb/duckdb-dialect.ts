import type { ColumnDef, ColumnType, ConditionalAggregate, Dialect, FileReadSpec } from "../engine.js";
import { leadingHexDigits, renderSql, type Sql, type SqlRenderer, sql } from "../sql.js";

const TYPES: Record<ColumnType, string> = {
  string: "VARCHAR",
  integer: "BIGINT",
  number: "DOUBLE",
  boolean: "BOOLEAN",
  date: "DATE",
  timestamp: "TIMESTAMP",
  json: "JSON",
};

function lit(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** Text that may hold a JSON number that is not finite: NaN, Inf(inity) in any case, an exponent of 300 or more. */
const MAYBE_NON_FINITE = "(?i)nan|inf|e[+]?0*[3-9][0-9][0-9]";
/**
 * A JSON text with a non-finite number outside its strings: the prefix is whole strings and other characters (so the
 * match point is outside any string); then NaN or Inf(inity) (no other JSON word holds those letters) or a number of
 * 1e309 or more.
 */
const NON_FINITE_JSON = String.raw`(?s)(?:[^"]|"(?:[^"\\]|\\.)*")*(?:(?i:nan|inf)|[:,\[]\s*-?[1-9][0-9]*(?:[.][0-9]*)?[eE][+]?0*(?:309|3[1-9][0-9]|[4-9][0-9][0-9]|[1-9][0-9]{3,})).*`;

/** The options every CSV read and sniff shares: text columns, ragged rows tolerated, the user's choices. */
function csvOptions(spec: FileReadSpec): string[] {
  // RFC 4180 quoting: the sniffer can mistake a backslash inside a quoted field for an escape character.
  const opts = [
    "all_varchar = true",
    "null_padding = true",
    "strict_mode = false",
    "quote = '\"'",
    "escape = '\"'",
  ];
  if (spec.delimiter !== undefined) opts.push(`delim = ${lit(spec.delimiter)}`);
  if (spec.header !== undefined) opts.push(`header = ${spec.header}`);
  return opts;
}

const raw = sql.raw;

/** DuckDB's placeholders are `$n`; a typed one is cast, and temporary tables are the connection's own. */
export const DUCKDB_RENDERER: SqlRenderer = {
  quoteIdent: (name) => q(name),
  placeholder: (i, _value, type) => (type === undefined ? `$${i + 1}` : `CAST($${i + 1} AS ${TYPES[type]})`),
  tempName: (name) => q(name),
};
const q = (name: string) => `"${name.replaceAll('"', '""')}"`;
const columnList = (columns: readonly ColumnDef[]) =>
  columns.map((c) => `${q(c.name)} ${TYPES[c.type]}`).join(", ");

const AGGREGATES: Record<ConditionalAggregate, string> = {
  count: "count",
  sum: "sum",
  min: "min",
  max: "max",
  avg: "avg",
  argMax: "arg_max",
  argMin: "arg_min",
};

/** DuckDB's SQL: the only place that knows its functions and file readers. */
export const duckdbDialect: Dialect = {
  name: "duckdb",
  can: { transactions: true, connectionTempTables: true, cheapUpdate: true, cheapIdFilter: true },
  quoteIdent: q,
  typeOf: (type) => TYPES[type],
  literal: lit,
  // A cast of text to TIMESTAMP drops a UTC offset ("…+02:00"): through TIMESTAMPTZ it is applied (the session's
  // time zone is UTC, so other values come back unchanged).
  cast: (e, type) =>
    type === "timestamp"
      ? sql`CAST(CAST(${e} AS TIMESTAMPTZ) AS TIMESTAMP)`
      : sql`CAST(${e} AS ${raw(TYPES[type])})`,
  toText: (e) => sql`CAST(${e} AS VARCHAR)`,
  now: () => raw("now()::TIMESTAMP"),
  timestampMin: () => raw("CAST('-infinity' AS TIMESTAMP)"),

  createTempAs: (name, query) => [sql`CREATE OR REPLACE TEMP TABLE ${sql.temp(name)} AS ${query}`],
  createTemp: (name, columns) => [
    sql`CREATE OR REPLACE TEMP TABLE ${sql.temp(name)} (${raw(columnList(columns))})`,
  ],
  createTempView: (name, query) => [sql`CREATE OR REPLACE TEMP VIEW ${sql.temp(name)} AS ${query}`],
  createView: (name, query) => sql`CREATE OR REPLACE VIEW ${sql.ident(name)} AS ${query}`,
  createTableAs: (name, query) => [sql`CREATE OR REPLACE TABLE ${sql.ident(name)} AS ${query}`],
  createTable: (name, columns) =>
    sql`CREATE TABLE IF NOT EXISTS ${sql.ident(name)} (${raw(columnList(columns))})`,
  sortTable: (table, by) => [
    sql`CREATE OR REPLACE TABLE ${sql.ident(table)} AS SELECT * FROM ${sql.ident(table)} ORDER BY ${sql.ident(by)}`,
  ],
  // DuckDB keeps no storage key (imports append events in time order: `sortTable` put the older ones so once).
  rekeyTable: () => [],
  remapColumn: ({ table, column, mapping }) => [
    sql`UPDATE ${sql.ident(table)} SET ${sql.ident(column)} = m.to_id FROM ${mapping} AS m
          WHERE ${sql.ident(table, column)} = m.from_id`,
  ],
  addColumn: (table, column) =>
    sql`ALTER TABLE ${sql.ident(table)} ADD COLUMN IF NOT EXISTS ${sql.ident(column.name)} ${raw(TYPES[column.type])}`,
  updateWhere: (table, set, where) => sql`UPDATE ${sql.ident(table)} SET ${set} WHERE ${where}`,
  deleteWhere: (table, where) => sql`DELETE FROM ${sql.ident(table)} WHERE ${where}`,
  updateFrom: ({ table, key, source, set }) => [
    sql`UPDATE ${sql.ident(table)} AS t SET ${sql.join(set.map(([c, v]) => sql`${sql.ident(c)} = ${v}`))}
          FROM ${source} AS src WHERE t.${sql.ident(key)} = src.${sql.ident(key)}`,
  ],
  checkpoint: () => [raw("CHECKPOINT")],
  copyToCsv: (query, path) => sql`COPY (${query}) TO ${raw(lit(path))} (FORMAT csv, HEADER true)`,
  copyToParquet: (query, path) =>
    sql`COPY (${query}) TO ${raw(lit(path))} (FORMAT parquet, COMPRESSION zstd)`,

  readFileAsText(spec: FileReadSpec): Sql {
    const path = lit(spec.path);
    switch (spec.format) {
      case "csv": {
        const opts = csvOptions(spec);
        if (spec.columns !== undefined) {
          // A sniffed layout: reading with it skips the second sniff (about 40% of a plain read).
          opts.push("auto_detect = false", `skip = ${Math.floor(spec.skip ?? 0)}`);
          opts.push(`columns = {${spec.columns.map((c) => `${lit(c)}: 'VARCHAR'`).join(", ")}}`);
        }
        return raw(`(SELECT * FROM read_csv(${path}, ${opts.join(", ")}))`);
      }
      case "json":
        // Top-level keys become columns of JSON values: scalars are unquoted, nested objects stay JSON text
        // (so `properties` keeps its structure).
        return raw(`(SELECT CASE WHEN json_type(COLUMNS(*)) IN ('OBJECT', 'ARRAY') THEN COLUMNS(*)::VARCHAR
                             ELSE json_extract_string(COLUMNS(*), '$') END
                   FROM read_json(${path}, format = 'auto', maximum_depth = 1))`);
      case "parquet":
        return raw(`(SELECT COLUMNS(*)::VARCHAR FROM read_parquet(${path}))`);
    }
  },
  sniffCsv: (spec) => {
    const opts = csvOptions(spec);
    return raw(`SELECT Delimiter AS delimiter, HasHeader AS header, SkipRows AS skip,
                   to_json(list_transform(Columns, c -> c.name))::VARCHAR AS columns
              FROM sniff_csv(${lit(spec.path)}, ${opts.join(", ")})`);
  },
  readLines: (path) =>
    raw(
      `read_csv(${lit(path)}, columns = {'line': 'VARCHAR'}, delim = '\\x1f', header = false, quote = '', escape = '', strict_mode = false)`,
    ),
  // DuckDB evaluates row_number() OVER () as a streaming window in scan order, and its readers keep file
  // order (preserve_insertion_order): so this is the file's row number. (rowid is not: inside a transaction
  // new rows have transaction-local row ids.)
  fileRowNumber: () => raw("row_number() OVER ()"),

  // DuckDB casts "NaN" and "Infinity" to doubles: no measure is either, and one would poison every sum.
  tryNumber: (e) =>
    sql`(CASE WHEN isfinite(TRY_CAST(trim(${e}) AS DOUBLE)) THEN TRY_CAST(trim(${e}) AS DOUBLE) END)`,
  // Casts alone are too lenient for type inference: '52000.5' casts to BIGINT and '2024-01-05 10:00' to DATE.
  tryInteger: (e) =>
    sql`CASE WHEN regexp_full_match(trim(${e}), '[+-]?[0-9]+') THEN TRY_CAST(trim(${e}) AS BIGINT) END`,
  tryBoolean: (e) => sql`TRY_CAST(trim(${e}) AS BOOLEAN)`,
  // A cast to TIMESTAMP ignores a UTC offset, so text with one ("Z", "+02:00" after the date) goes through
  // TIMESTAMPTZ; the common offset-free case takes the much faster plain cast. Text that does not start with a digit
  // is no ISO 8601 time: the casts would read "infinity", "-infinity" and "epoch" (an infinite time is no date).
  tryTimestamp: (e, format) =>
    format === undefined
      ? sql`CASE WHEN NOT (ascii(trim(${e})) BETWEEN 48 AND 57) THEN NULL
           WHEN upper(right(${e}, 1)) = 'Z' OR strpos(substr(${e}, 12), '+') > 0 OR strpos(substr(${e}, 12), '-') > 0
           THEN TRY_CAST(TRY_CAST(trim(${e}) AS TIMESTAMPTZ) AS TIMESTAMP) ELSE TRY_CAST(trim(${e}) AS TIMESTAMP) END`
      : sql`TRY_STRPTIME(trim(${e}), ${raw(lit(format))})::TIMESTAMP`,
  tryDate: (e, format) =>
    format === undefined
      ? sql`CASE WHEN regexp_full_match(trim(${e}), '[0-9]{4}-[0-9]{2}-[0-9]{2}') THEN TRY_CAST(trim(${e}) AS DATE) END`
      : sql`TRY_STRPTIME(trim(${e}), ${raw(lit(format))})::DATE`,

  // Text that is not JSON casts to NULL: false, not NULL (NULL stays NULL). DuckDB's parser also takes NaN,
  // Infinity and numbers beyond a double, which are not JSON (RFC 8259) and which ClickHouse refuses: a cheap
  // search finds the few texts that may hold one, and only those are matched token by token.
  isJsonObject: (e) =>
    sql`(CASE WHEN ${e} IS NOT NULL THEN coalesce(json_type(TRY_CAST(${e} AS JSON)) = 'OBJECT' AND NOT (regexp_matches(${e}, ${raw(lit(MAYBE_NON_FINITE))}) AND regexp_full_match(${e}, ${raw(lit(NON_FINITE_JSON))})), false) END)`,
  // json_object keeps a NULL value as null: one pair is left out by a CASE, more by a merge into {} (RFC 7396
  // drops null members; a value that is itself a JSON object loses its null members too).
  jsonObject: (pairs) => {
    const object = sql`json_object(${sql.join(pairs.map(([k, v]) => sql`${raw(lit(k))}, ${v}`))})`;
    const [only] = pairs;
    if (only === undefined) return raw("NULL::JSON");
    if (pairs.length === 1) return sql`(CASE WHEN ${only[1]} IS NULL THEN '{}'::JSON ELSE ${object} END)`;
    return sql`json_merge_patch('{}', ${object})`;
  },
  // The empty key has no $-path ('$.""' is an error): the JSON Pointer "/" names it.
  jsonKeyPath: (key) => (key === "" ? "/" : `$."${key.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`),
  jsonTextAtPath: (e, path) => sql`json_extract_string(${e}, ${path})`,
  jsonMergePatch: (base, patch) => sql`json_merge_patch(${base}, ${patch})`,
  // The key quoted (jsonKeyPath): "a.b" is a key, not a path.
  jsonText: (e, key) => sql`json_extract_string(${e}, ${raw(lit(duckdbDialect.jsonKeyPath(key)))})`,
  jsonKeys: (e) => sql`unnest(json_keys(${e}))`,
  regexMatches: (e, pattern) => sql`regexp_full_match(${e}, ${pattern})`,
  regexReplace: (e, pattern, replacement) => sql`regexp_replace(${e}, ${pattern}, ${replacement}, 'g')`,
  contains: (e, part) => sql`(strpos(${e}, ${part}) > 0)`,
  // A search per part: a regular expression of the parts (RE2, one pass) was slower on identifiers without a common
  // prefix (35M events' properties, five identifiers: 5.4 s against 2.6 s).
  containsAny: (e, parts) =>
    parts.length === 0
      ? sql`false`
      : sql`(${sql.join(
          parts.map((p) => sql`strpos(${e}, ${p}) > 0`),
          " OR ",
        )})`,
  hash: (e) => sql`md5(${e})`,
  sha256Hex: (e) => sql`sha256(${e})`,
  leadingHexNumber: (e, digits) =>
    sql`CAST(CAST(('0x' || substr(${e}, 1, ${raw(String(leadingHexDigits(digits)))})) AS BIGINT) AS DOUBLE)`,
  splitPart: (e, pattern, index) =>
    sql`regexp_split_to_array(regexp_replace(${e}, '^\\s+|\\s+$', '', 'g'), ${pattern})[${raw(String(Math.floor(index) + 1))}]`,
  countParts: (e, pattern) =>
    sql`len(regexp_split_to_array(regexp_replace(${e}, '^\\s+|\\s+$', '', 'g'), ${pattern}))`,

  argMax: (value, key) => sql`arg_max(${value}, ${key})`,
  argMin: (value, key) => sql`arg_min(${value}, ${key})`,
  aggIf: (fn, args, cond) =>
    sql`${raw(AGGREGATES[fn])}(${args.length === 0 ? raw("*") : sql.join(args)}) FILTER (WHERE ${cond})`,
  quantile: (e, q) => sql`quantile_cont(${e}, ${raw(String(Number(q)))})`,

  epochSeconds: (e) => sql`epoch(${e})`,
  hourOf: (e) => sql`hour(${e})`,
  weekdayOf: (e) => sql`(isodow(${e}) - 1)`,
  daysBetween: (from, to) => sql`floor((epoch(${to}) - epoch(${from})) / 86400)`,
  unnestPresent: (items) => sql`unnest(list_filter([${sql.join(items)}], x -> x IS NOT NULL))`,

  /** A temporary table scanned in insertion order (preserve_insertion_order). */
  tempInOrder: (name) => sql.temp(name),
  /** Adds a column to a session temporary table; existing rows hold NULL in it. */
  addTempColumn: (name, column) =>
    sql`ALTER TABLE ${sql.temp(name)} ADD COLUMN ${sql.ident(column.name)} ${raw(TYPES[column.type])}`,
  /** The text the session runs for a fragment (as duckdb-session.ts renders it: `$n`, cast when typed). */
  showSql: (fragment) => renderSql(fragment, DUCKDB_RENDERER).text,
  /** 0 when the row's grouping set groups by `key`, 1 when it is aggregated away (standard GROUPING). */
  groupingOf: (key) => sql`GROUPING(${key})`,
  readTabSeparated: (path, columns) =>
    raw(
      `read_csv(${lit(path)}, delim = '\\t', quote = '', escape = '', header = false, auto_detect = false, columns = {${columns.map((c) => `${lit(c.name)}: ${lit(TYPES[c.type])}`).join(", ")}})`,
    ),
  timestampFromEpochSeconds: (e) => sql`make_timestamp(${e} * 1000000)`,
  // With more than one thread, row-group boundaries of a Parquet file depend on thread timing.
  reproducibleFileWrites: () => [raw("SET threads = 1"), raw("SET memory_limit = '1GB'")],
};
