import type { ColumnType, Dialect, FileReadSpec } from "../engine.js";

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

/** DuckDB's SQL: the only place that knows its functions and file readers. */
export const duckdbDialect: Dialect = {
  name: "duckdb",
  quoteIdent: (name) => `"${name.replaceAll('"', '""')}"`,
  typeOf: (type) => TYPES[type],
  literal: lit,
  readFileAsText(spec: FileReadSpec): string {
    const path = lit(spec.path);
    switch (spec.format) {
      case "csv": {
        const opts = csvOptions(spec);
        if (spec.columns !== undefined) {
          // A sniffed layout: reading with it skips the second sniff (about 40% of a plain read).
          opts.push("auto_detect = false", `skip = ${Math.floor(spec.skip ?? 0)}`);
          opts.push(`columns = {${spec.columns.map((c) => `${lit(c)}: 'VARCHAR'`).join(", ")}}`);
        }
        return `(SELECT * FROM read_csv(${path}, ${opts.join(", ")}))`;
      }
      case "json":
        // Top-level keys become columns of JSON values: scalars are unquoted, nested objects stay JSON text
        // (so `properties` keeps its structure).
        return `(SELECT CASE WHEN json_type(COLUMNS(*)) IN ('OBJECT', 'ARRAY') THEN COLUMNS(*)::VARCHAR
                             ELSE json_extract_string(COLUMNS(*), '$') END
                   FROM read_json(${path}, format = 'auto', maximum_depth = 1))`;
      case "parquet":
        return `(SELECT COLUMNS(*)::VARCHAR FROM read_parquet(${path}))`;
    }
  },
  sniffCsv: (spec) => {
    const opts = csvOptions(spec);
    return `SELECT Delimiter AS delimiter, HasHeader AS header, SkipRows AS skip,
                   to_json(list_transform(Columns, c -> c.name))::VARCHAR AS columns
              FROM sniff_csv(${lit(spec.path)}, ${opts.join(", ")})`;
  },
  readLines: (path) =>
    `read_csv(${lit(path)}, columns = {'line': 'VARCHAR'}, delim = '\\x1f', header = false, quote = '', escape = '', strict_mode = false)`,
  // DuckDB casts "NaN" and "Infinity" to doubles: no measure is either, and one would poison every sum.
  tryNumber: (e) =>
    `(CASE WHEN isfinite(TRY_CAST(trim(${e}) AS DOUBLE)) THEN TRY_CAST(trim(${e}) AS DOUBLE) END)`,
  // Casts alone are too lenient for type inference: '52000.5' casts to BIGINT and '2024-01-05 10:00' to DATE.
  tryInteger: (e) =>
    `CASE WHEN regexp_full_match(trim(${e}), '[+-]?[0-9]+') THEN TRY_CAST(trim(${e}) AS BIGINT) END`,
  tryBoolean: (e) => `TRY_CAST(trim(${e}) AS BOOLEAN)`,
  // A cast to TIMESTAMP ignores a UTC offset, so text with one ("Z", "+02:00" after the date) goes through
  // TIMESTAMPTZ; the common offset-free case takes the much faster plain cast.
  tryTimestamp: (e, format) =>
    format === undefined
      ? `CASE WHEN upper(right(${e}, 1)) = 'Z' OR strpos(substr(${e}, 12), '+') > 0 OR strpos(substr(${e}, 12), '-') > 0
           THEN TRY_CAST(TRY_CAST(trim(${e}) AS TIMESTAMPTZ) AS TIMESTAMP) ELSE TRY_CAST(trim(${e}) AS TIMESTAMP) END`
      : `TRY_STRPTIME(trim(${e}), ${lit(format)})::TIMESTAMP`,
  tryDate: (e, format) =>
    format === undefined
      ? `CASE WHEN regexp_full_match(trim(${e}), '[0-9]{4}-[0-9]{2}-[0-9]{2}') THEN TRY_CAST(trim(${e}) AS DATE) END`
      : `TRY_STRPTIME(trim(${e}), ${lit(format)})::DATE`,
  isJsonObject: (e) => `(json_type(TRY_CAST(${e} AS JSON)) = 'OBJECT')`,
  jsonObject: (pairs) =>
    pairs.length === 0 ? "NULL::JSON" : `json_object(${pairs.map(([k, v]) => `${lit(k)}, ${v}`).join(", ")})`,
  jsonKeyPath: (key) => `$."${key.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`,
  jsonTextAtPath: (e, path) => `json_extract_string(${e}, ${path})`,
  jsonMergePatch: (base, patch) => `json_merge_patch(${base}, ${patch})`,
  jsonText: (e, key) => `json_extract_string(${e}, ${lit(`$.${key}`)})`,
  regexMatches: (e, pattern) => `regexp_full_match(${e}, ${pattern})`,
  regexReplace: (e, pattern, replacement) => `regexp_replace(${e}, ${pattern}, ${replacement}, 'g')`,
  hash: (e) => `md5(${e})`,
  splitPart: (e, pattern, index) =>
    `regexp_split_to_array(regexp_replace(${e}, '^\\s+|\\s+$', '', 'g'), ${pattern})[${index + 1}]`,
  countParts: (e, pattern) =>
    `len(regexp_split_to_array(regexp_replace(${e}, '^\\s+|\\s+$', '', 'g'), ${pattern}))`,
  argMax: (value, key) => `arg_max(${value}, ${key})`,
  argMin: (value, key) => `arg_min(${value}, ${key})`,
  epochSeconds: (e) => `epoch(${e})`,
  quantile: (e, q) => `quantile_cont(${e}, ${Number(q)})`,
  // DuckDB evaluates row_number() OVER () as a streaming window in scan order, and its readers keep file
  // order (preserve_insertion_order): so this is the file's row number. (rowid is not: inside a transaction
  // new rows have transaction-local row ids.)
  fileRowNumber: () => "row_number() OVER ()",
  hourOf: (e) => `hour(${e})`,
  weekdayOf: (e) => `(isodow(${e}) - 1)`,
  unnestPresent: (items) => `unnest(list_filter([${items.join(", ")}], x -> x IS NOT NULL))`,
  daysBetween: (from, to) => `floor((epoch(${to}) - epoch(${from})) / 86400)`,
  param: (n, type) => `CAST($${n} AS ${TYPES[type]})`,
  toText: (e) => `CAST(${e} AS VARCHAR)`,
  copyToCsv: (query, path) => `COPY (${query}) TO ${lit(path)} (FORMAT csv, HEADER true)`,
  copyToParquet: (query, path) => `COPY (${query}) TO ${lit(path)} (FORMAT parquet, COMPRESSION zstd)`,
};
