import type { ColumnDef, ColumnType, ConditionalAggregate, Dialect, FileReadSpec } from "../engine.js";
import { renderSql, type Sql, type SqlValue, sql } from "../sql.js";
import { sniffCsvFile } from "./csv-sniff.js";

/**
 * ClickHouse's SQL: the only place that knows its functions, table engines and file readers. Sessions set
 * the settings this SQL relies on (clickhouse-session.ts, `SESSION_SETTINGS`): columns are nullable by
 * default, an unmatched LEFT JOIN gives NULLs, sum/avg of no rows is NULL, casts keep NULLs, and a bare
 * UNION means UNION DISTINCT — so the same domain SQL means on ClickHouse what it means on DuckDB.
 */

const TYPES: Record<ColumnType, string> = {
  string: "String",
  integer: "Int64",
  number: "Float64",
  boolean: "Bool",
  date: "Date32",
  timestamp: "DateTime64(6, 'UTC')",
  json: "String",
};

const raw = sql.raw;
const q = (name: string) => `"${name.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
// ClickHouse string literals treat a backslash as an escape character.
const lit = (value: string) => `'${value.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
const columnList = (columns: readonly ColumnDef[]) =>
  columns.map((c) => `${q(c.name)} Nullable(${TYPES[c.type]})`).join(", ");
const orderBy = (key: readonly string[]) => (key.length === 0 ? "tuple()" : `(${key.map(q).join(", ")})`);
/**
 * Every permanent table is a MergeTree sorted by the data model's storage key (the person first, so a
 * per-customer aggregation reads each person's rows together; see docs/scale-out.md). Keys may hold NULLs
 * (anonymous events). The block-number column lets `UPDATE` patch rows in place (lightweight updates).
 */
const mergeTree = (key: readonly string[]) =>
  `ENGINE = MergeTree ORDER BY ${orderBy(key)} SETTINGS allow_nullable_key = 1, enable_block_number_column = 1, enable_block_offset_column = 1`;
/** Schema inference that leaves every value as the text the file holds (an importer parses it itself). */
const TEXT_INFERENCE =
  "schema_inference_make_columns_nullable = 1, input_format_try_infer_dates = 0, input_format_try_infer_datetimes = 0, input_format_try_infer_integers = 0, input_format_try_infer_exponent_floats = 0";
const trim = (e: Sql) => sql`replaceRegexpAll(${e}, '^\\s+|\\s+$', '')`;
const blank = (e: Sql) => sql`trimBoth(${e})`;

const AGGREGATES: Record<ConditionalAggregate, string> = {
  count: "countIf",
  sum: "sumIf",
  min: "minIf",
  max: "maxIf",
  avg: "avgIf",
  argMax: "argMaxIf",
  argMin: "argMinIf",
};

/** Rows of `table` (alias `t`) with some columns replaced, into a temporary table: the first half of a rewrite. */
function rewrittenRows(
  temp: string,
  table: string,
  columns: readonly string[],
  replaced: ReadonlyMap<string, Sql>,
  join: Sql,
): Sql[] {
  const select = sql.join(
    columns.map((c) => sql`${replaced.get(c) ?? sql`t.${sql.ident(c)}`} AS ${sql.ident(c)}`),
  );
  return clickhouseDialect.createTempAs(temp, sql`SELECT ${select} FROM ${sql.ident(table)} AS t ${join}`);
}

/** The second half: the old rows out, the rewritten ones in, the temporary table dropped. */
function swapRows(temp: string, table: string, columns: readonly string[], old: Sql): Sql[] {
  const cols = sql.join(columns.map((c) => sql.ident(c)));
  return [
    clickhouseDialect.deleteWhere(table, old),
    sql`INSERT INTO ${sql.ident(table)} (${cols}) SELECT ${cols} FROM ${sql.temp(temp)}`,
    sql`DROP TABLE IF EXISTS ${sql.temp(temp)}`,
  ];
}

/** The JSON text of a key of a JSON object, as DuckDB's json_extract_string gives it (NULL when absent or null). */
const jsonTextOf = (e: Sql, key: Sql) =>
  sql`multiIf(NOT JSONHas(${e}, ${key}), NULL, JSONType(${e}, ${key}) = 'Null', NULL, JSONType(${e}, ${key}) = 'String', JSONExtractString(${e}, ${key}), JSONExtractRaw(${e}, ${key}))`;

export const clickhouseDialect: Dialect = {
  name: "clickhouse",
  can: { transactions: false, connectionTempTables: false, cheapUpdate: false },
  quoteIdent: q,
  literal: lit,
  typeOf: (type) => TYPES[type],
  cast: (e, type) => sql`CAST(${e} AS Nullable(${raw(TYPES[type])}))`,
  // As DuckDB writes values: a timestamp without the fraction's trailing zeros ("2024-05-01 09:00:00").
  toText: (e) =>
    sql`if(toTypeName(${e}) LIKE '%DateTime64%', replaceRegexpOne(toString(${e}), '\\.?0+$', ''), toString(${e}))`,
  now: () => raw("now64(6, 'UTC')"),
  timestampMin: () => raw("toDateTime64('1900-01-01 00:00:00', 6, 'UTC')"),

  createTempAs: (name, query) => [
    sql`CREATE OR REPLACE TEMPORARY TABLE ${sql.temp(name)} ENGINE = Memory AS ${query}`,
  ],
  createTemp: (name, columns) => [
    sql`CREATE OR REPLACE TEMPORARY TABLE ${sql.temp(name)} (${raw(columnList(columns))}) ENGINE = Memory`,
  ],
  // No temporary views: the rows are materialised (a view over a session's temporary tables could not be made).
  createTempView: (name, query) => clickhouseDialect.createTempAs(name, query),
  createTableAs: (name, query, key) => [
    sql`CREATE OR REPLACE TABLE ${sql.ident(name)} ${raw(mergeTree(key))} AS ${query}`,
  ],
  createTable: (name, columns, key) =>
    sql`CREATE TABLE IF NOT EXISTS ${sql.ident(name)} (${raw(columnList(columns))}) ${raw(mergeTree(key))}`,
  // A MergeTree keeps its rows in the order of its key: nothing to rewrite.
  sortTable: () => [],
  addColumn: (table, column) =>
    sql`ALTER TABLE ${sql.ident(table)} ADD COLUMN IF NOT EXISTS ${sql.ident(column.name)} Nullable(${raw(TYPES[column.type])})`,
  updateWhere: (table, set, where) => sql`UPDATE ${sql.ident(table)} SET ${set} WHERE ${where}`,
  deleteWhere: (table, where) => sql`DELETE FROM ${sql.ident(table)} WHERE ${where}`,
  updateFrom: ({ table, columns, key, source, set }) => {
    const temp = `_update_${table}`;
    const k = sql.ident(key);
    return [
      ...rewrittenRows(
        temp,
        table,
        columns,
        new Map(set),
        sql`INNER JOIN ${source} AS src ON t.${k} = src.${k}`,
      ),
      ...swapRows(temp, table, columns, sql`${k} IN (SELECT ${k} FROM ${source} AS src)`),
    ];
  },
  remapColumn: ({ table, columns, column, mapping }) => {
    const temp = `_remap_${table}`;
    const c = sql.ident(column);
    return [
      ...rewrittenRows(
        temp,
        table,
        columns,
        new Map([[column, sql`m.to_id`]]),
        sql`INNER JOIN ${mapping} AS m ON t.${c} = m.from_id`,
      ),
      ...swapRows(temp, table, columns, sql`${c} IN (SELECT from_id FROM ${mapping} AS m)`),
    ];
  },
  copyToCsv: (query, path) => sql`INSERT INTO FUNCTION file(${raw(lit(path))}, 'CSVWithNames') ${query}`,
  copyToParquet: (query, path) => sql`INSERT INTO FUNCTION file(${raw(lit(path))}, 'Parquet') ${query}`,

  readFileAsText(spec: FileReadSpec): Sql {
    switch (spec.format) {
      case "csv": {
        // Read with the sniffed layout (given, or found now): every column text, empty fields NULL, short rows padded.
        const layout = spec.columns === undefined ? sniffCsvFile(spec) : undefined;
        const columns = spec.columns ?? layout?.columns ?? [];
        const header = spec.header ?? layout?.header ?? true;
        const delimiter = spec.delimiter ?? layout?.delimiter ?? ",";
        const skip = Math.floor(spec.skip ?? 0) + (header ? 1 : 0);
        const structure = columns.map((c) => `${q(c)} Nullable(String)`).join(", ");
        const settings = [
          `format_csv_delimiter = ${lit(delimiter)}`,
          `input_format_csv_skip_first_lines = ${skip}`,
          "input_format_csv_allow_variable_number_of_columns = 1",
          "input_format_csv_empty_as_default = 1",
          "input_format_csv_trim_whitespaces = 0",
          "format_csv_allow_single_quotes = 0",
          "input_format_parallel_parsing = 0",
        ];
        return raw(
          `(SELECT * FROM file(${lit(spec.path)}, 'CSV', ${lit(structure)}) SETTINGS ${settings.join(", ")})`,
        );
      }
      case "json":
        return raw(
          `(SELECT * FROM file(${lit(spec.path)}, 'JSONEachRow') SETTINGS ${TEXT_INFERENCE}, input_format_json_try_infer_named_tuples_from_objects = 0, input_format_json_read_objects_as_strings = 1, input_format_json_read_arrays_as_strings = 1, input_format_json_infer_incomplete_types_as_strings = 1, input_format_json_read_numbers_as_strings = 1, input_format_json_read_bools_as_strings = 1, input_format_json_try_infer_numbers_from_strings = 0, input_format_parallel_parsing = 0)`,
        );
      case "parquet":
        return raw(`(SELECT * FROM file(${lit(spec.path)}, 'Parquet') SETTINGS ${TEXT_INFERENCE})`);
    }
  },
  // ClickHouse's readers do not sniff a delimiter: the layout is found in JavaScript (csv-sniff.ts) and returned
  // as one row of constants.
  sniffCsv: (spec) => {
    const l = sniffCsvFile(spec);
    return raw(
      `SELECT ${lit(l.delimiter)} AS delimiter, ${l.header} AS header, ${l.skip} AS skip, ${lit(JSON.stringify(l.columns))} AS columns`,
    );
  },
  readLines: (path) => raw(`file(${lit(path)}, 'LineAsString', 'line String')`),
  fileRowNumber: () => raw("(rowNumberInAllBlocks() + 1)"),

  tryNumber: (e) =>
    sql`(CASE WHEN isFinite(ifNull(toFloat64OrNull(${blank(e)}), nan)) THEN toFloat64OrNull(${blank(e)}) END)`,
  tryInteger: (e) =>
    sql`(CASE WHEN match(${blank(e)}, '^[+-]?[0-9]+$') THEN toInt64OrNull(replaceRegexpOne(${blank(e)}, '^\\+', '')) END)`,
  tryBoolean: (e) =>
    sql`multiIf(lower(${blank(e)}) IN ('true', 't', '1', 'yes', 'y'), true, lower(${blank(e)}) IN ('false', 'f', '0', 'no', 'n'), false, NULL)`,
  tryTimestamp: (e, format) =>
    format === undefined
      ? sql`parseDateTime64BestEffortOrNull(${blank(e)}, 6, 'UTC')`
      : sql`toDateTime64(parseDateTimeOrNull(${blank(e)}, ${raw(lit(format))}, 'UTC'), 6, 'UTC')`,
  tryDate: (e, format) =>
    format === undefined
      ? sql`(CASE WHEN match(${blank(e)}, '^[0-9]{4}-[0-9]{2}-[0-9]{2}$') THEN toDate32OrNull(${blank(e)}) END)`
      : sql`toDate32(parseDateTimeOrNull(${blank(e)}, ${raw(lit(format))}, 'UTC'))`,

  isJsonObject: (e) => sql`(isValidJSON(${e}) AND JSONType(${e}) = 'Object')`,
  jsonObject: (pairs) =>
    pairs.length === 0
      ? raw("CAST(NULL AS Nullable(String))")
      : sql`concat('{', arrayStringConcat(arrayFilter(x -> x != '', [${sql.join(
          pairs.map(
            ([k, v]) =>
              sql`if(${v} IS NULL, '', concat(${raw(lit(JSON.stringify(k)))}, ':', toJSONString(${v})))`,
          ),
        )}]), ','), '}')`,
  jsonMergePatch: (base, patch) => sql`jsonMergePatch(${base}, ${patch})`,
  // ClickHouse names a key by itself (no path syntax).
  jsonKeyPath: (key) => key,
  jsonTextAtPath: (e, path) => jsonTextOf(e, path),
  jsonText: (e, key) => jsonTextOf(e, raw(lit(key))),
  regexMatches: (e, pattern) => sql`match(${e}, concat('^(?:', ${pattern}, ')$'))`,
  regexReplace: (e, pattern, replacement) => sql`replaceRegexpAll(${e}, ${pattern}, ${replacement})`,
  contains: (e, part) => sql`(position(${e}, ${part}) > 0)`,
  hash: (e) => sql`lower(hex(MD5(${e})))`,
  splitPart: (e, pattern, index) =>
    sql`arrayElementOrNull(splitByRegexp(${pattern}, ${trim(e)}), ${raw(String(Math.floor(index) + 1))})`,
  countParts: (e, pattern) => sql`length(splitByRegexp(${pattern}, ${trim(e)}))`,

  argMax: (value, key) => sql`argMax(${value}, ${key})`,
  argMin: (value, key) => sql`argMin(${value}, ${key})`,
  aggIf: (fn, args, cond) => sql`${raw(AGGREGATES[fn])}(${sql.join([...args, cond])})`,
  // The exact quantile interpolated as DuckDB's quantile_cont (type 7); plain quantile() is a sample estimate.
  quantile: (e, qq) => sql`quantileExactInclusive(${raw(String(Number(qq)))})(${e})`,

  epochSeconds: (e) => sql`(toUnixTimestamp64Micro(toDateTime64(${e}, 6, 'UTC')) / 1000000)`,
  hourOf: (e) => sql`toHour(${e})`,
  weekdayOf: (e) => sql`(toDayOfWeek(${e}) - 1)`,
  daysBetween: (from, to) =>
    sql`floor((toUnixTimestamp64Micro(toDateTime64(${to}, 6, 'UTC')) - toUnixTimestamp64Micro(toDateTime64(${from}, 6, 'UTC'))) / 86400000000)`,
  unnestPresent: (items) => sql`arrayJoin(arrayFilter(x -> x IS NOT NULL, [${sql.join(items)}]))`,

  addTempColumn: (name, column) =>
    sql`ALTER TABLE ${sql.temp(name)} ADD COLUMN ${sql.ident(column.name)} Nullable(${raw(TYPES[column.type])})`,
  showSql: (fragment) =>
    renderSql(fragment, { quoteIdent: q, placeholder: clickhousePlaceholder, tempName: q }).text,
  // Standard GROUPING needs force_grouping_standard_compatibility, a session setting (clickhouse-connection.ts).
  groupingOf: (key) => sql`GROUPING(${key})`,
  readTabSeparated: (path, columns) =>
    raw(
      `(SELECT * FROM file(${lit(path)}, 'TSVRaw', ${lit(columnList(columns))}) SETTINGS input_format_tsv_empty_as_default = 1)`,
    ),
  timestampFromEpochSeconds: (e) => sql`toDateTime64(${e}, 6, 'UTC')`,
  reproducibleFileWrites: () => [raw("SET max_threads = 1")],
};

/** The parameter type of a value whose type the code did not give. */
export function inferredType(value: SqlValue): ColumnType {
  if (typeof value === "boolean") return "boolean";
  if (typeof value === "bigint") return "integer";
  if (typeof value === "number") return "number";
  if (value instanceof Date) return "timestamp";
  return "string";
}

/** ClickHouse's placeholders name their parameter and its type: `{p0:String}` (`Nullable` for a NULL). */
export function clickhousePlaceholder(i: number, value: SqlValue, type: ColumnType | undefined): string {
  const t = TYPES[type ?? inferredType(value)];
  return `{p${i}:${value === null ? `Nullable(${t})` : t}}`;
}
