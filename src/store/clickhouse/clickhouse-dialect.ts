import type {
  ColumnDef,
  ColumnType,
  ConditionalAggregate,
  Dialect,
  FileReadSpec,
  StorageKey,
} from "../engine.js";
import { leadingHexDigits, renderSql, type Sql, type SqlValue, sql } from "../sql.js";
import { jsonValue, lit, q, typeIs, valueText, withoutPatchNulls } from "./clickhouse-text.js";
import { jsonFileIsEmpty, sniffCsvFile } from "./csv-sniff.js";

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
const columnList = (columns: readonly ColumnDef[]) =>
  columns.map((c) => `${q(c.name)} Nullable(${TYPES[c.type]})`).join(", ");
/** A MergeTree's ORDER BY key: the columns (a day as the start of it), or `tuple()` for none. */
export const orderBy = (key: StorageKey) =>
  key.length === 0
    ? "tuple()"
    : `(${key.map((k) => (typeof k === "string" ? q(k) : `toStartOfDay(${q(k.day)})`)).join(", ")})`;
/**
 * Every permanent table is a MergeTree sorted by the data model's storage key (events by day, so a window reads
 * only its days; the other tables holding people person first; see docs/scale-out.md). Keys may hold NULLs
 * (anonymous events). The block-number column lets `UPDATE` patch rows in place (lightweight updates).
 */
export const MERGE_TREE_SETTINGS =
  "allow_nullable_key = 1, enable_block_number_column = 1, enable_block_offset_column = 1";
const mergeTree = (key: StorageKey) =>
  `ENGINE = MergeTree ORDER BY ${orderBy(key)} SETTINGS ${MERGE_TREE_SETTINGS}`;
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

/**
 * Rows of `table` (alias `t`) with some columns replaced, into a temporary table: the first half of a rewrite.
 * `filter` (the rows to rewrite, over `t`) is applied before the join, so the sort key narrows the read: a merge of
 * one person reads that person's rows, not the whole table.
 */
function rewrittenRows(
  temp: string,
  table: string,
  columns: readonly string[],
  replaced: ReadonlyMap<string, Sql>,
  join: Sql,
  filter: Sql,
): Sql[] {
  const select = sql.join(
    columns.map((c) => sql`${replaced.get(c) ?? sql`t.${sql.ident(c)}`} AS ${sql.ident(c)}`),
  );
  return clickhouseDialect.createTempAs(
    temp,
    sql`SELECT ${select} FROM (SELECT * FROM ${sql.ident(table)} AS t WHERE ${filter}) AS t ${join}`,
  );
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

/**
 * The timestamps DuckDB's cast reads (ingest): a date (year-month-day, `-` or `/`), optionally a time of day
 * after `T` or spaces (hour:minute, seconds, a fraction), then `Z`, ` UTC` or an offset (`+02`, `+0200`, `+02:00`).
 */
const ISO_TIMESTAMP =
  "^[0-9]{4}([-/])[0-9]{1,2}[-/][0-9]{1,2}((T| +)([01]?[0-9]|2[0-3]):[0-5]?[0-9](:[0-5]?[0-9]([.][0-9]*)?)?(Z| UTC|[+-][0-9]{2}(:?[0-9]{2})?)?)?$";

/**
 * A strftime format (as DuckDB's strptime takes) in parseDateTime's MySQL syntax: minutes are %i there, and the
 * day, month and hours are read with or without a leading zero ("5/1/2024" as "05/01/2024", as DuckDB reads them)
 * by %e, %c, %k and %l (parsedatetime_parse_without_leading_zeros, on by default).
 */
const STRFTIME_TO_MYSQL: Readonly<Record<string, string>> = { M: "%i", d: "%e", m: "%c", H: "%k", I: "%l" };
const clickhouseFormat = (format: string) =>
  format.replace(/%(.)/g, (m, c: string) => STRFTIME_TO_MYSQL[c] ?? m);

/**
 * The JSON text of a key of a JSON object, as DuckDB's json_extract_string gives it: a string unescaped, another
 * value as minified JSON, NULL when absent or null. One parse of the document per row (it is read per event).
 */
const jsonTextOf = (e: Sql, key: Sql) => sql`JSONExtract(${e}, ${key}, 'Nullable(String)')`;

export const clickhouseDialect: Dialect = {
  name: "clickhouse",
  can: { transactions: false, connectionTempTables: false, cheapUpdate: false, cheapIdFilter: false },
  quoteIdent: q,
  literal: lit,
  typeOf: (type) => TYPES[type],
  // As DuckDB casts, on the argument's type (known when the query is planned; nested ifs, as multiIf cost 3 ns more
  // a row over 10⁸ rows, or one CAST where the caller knows the type): to text as
  // `toText` writes it (a double "3.0", a timestamp without trailing zeros); text to a number trimmed, and an error
  // (not NULL) when it is not one; a double to an integer rounded half to even (ClickHouse's CAST truncates).
  cast: (e, type, from) => {
    const to = raw(TYPES[type]);
    const plain = sql`CAST(${e} AS Nullable(${to}))`;
    // An integer to an integer: nothing to decide (a query's large expressions cost time to plan, too).
    if (type === "integer" && from === "integer") return plain;
    if (type === "string")
      return sql`if(${typeIs(e, "DateTime64|Float")}, ${clickhouseDialect.toText(e)}, ${plain})`;
    if (type !== "integer" && type !== "number") return plain;
    const fromText = sql`if(${e} IS NULL, NULL, CAST(${trim(sql`toString(assumeNotNull(${e}))`)} AS ${to}))`;
    if (type === "number") return sql`if(${typeIs(e, "String")}, ${fromText}, ${plain})`;
    const fromDouble = sql`CAST(roundBankers(toFloat64(${e})) AS Nullable(${to}))`;
    return sql`if(${typeIs(e, "String")}, ${fromText}, if(${typeIs(e, "Float")}, ${fromDouble}, ${plain}))`;
  },
  // As DuckDB writes values (`valueText`). Nested ifs on the constant type: only one branch is computed.
  // The value is named once, in a lambda (`_v`), however often the text's shape reads it: the query stays small
  // when the argument is itself a large expression.
  toText: (e) => sql`arrayMap(_v -> ${valueText(raw("_v"))}, [${e}])[1]`,
  now: () => raw("now64(6, 'UTC')"),
  // DateTime64 holds 0000-01-01 … 9999-12-31 since ClickHouse 26.7 (before, it clamped to 1900-01-01 … 2299-12-31:
  // an older server reads this as 1900-01-01). Earlier than any timestamp the importers read (four-digit years
  // from 0001); its one use is `segment_dirty.since` ("since always"), compared only with a refresh's as-of.
  timestampMin: () => raw("toDateTime64('0001-01-01 00:00:00', 6, 'UTC')"),

  createTempAs: (name, query) => [
    sql`CREATE OR REPLACE TEMPORARY TABLE ${sql.temp(name)} ENGINE = Memory AS ${query}`,
  ],
  createTemp: (name, columns) => [
    sql`CREATE OR REPLACE TEMPORARY TABLE ${sql.temp(name)} (${raw(columnList(columns))}) ENGINE = Memory`,
  ],
  // No temporary views: the rows are materialised (a view over a session's temporary tables could not be made).
  createTempView: (name, query) => clickhouseDialect.createTempAs(name, query),
  createView: (name, query) => sql`CREATE OR REPLACE VIEW ${sql.ident(name)} AS ${query}`,
  createTableAs: (name, query, key) => [
    sql`CREATE OR REPLACE TABLE ${sql.ident(name)} ${raw(mergeTree(key))} AS ${query}`,
  ],
  createTable: (name, columns, key) =>
    sql`CREATE TABLE IF NOT EXISTS ${sql.ident(name)} (${raw(columnList(columns))}) ${raw(mergeTree(key))}`,
  // A MergeTree keeps its rows in the order of its key: nothing to rewrite.
  sortTable: () => [],
  // A MergeTree's key cannot be altered (only extended with new columns): the rows are copied into a table with
  // the new key, which then takes the old one's place in one step (EXCHANGE is atomic).
  rekeyTable: (table, columns, key) => {
    const next = sql.ident(`${table}__rekeyed`);
    const names = raw(columns.map((c) => q(c.name)).join(", "));
    return [
      sql`DROP TABLE IF EXISTS ${next}`,
      sql`CREATE TABLE ${next} (${raw(columnList(columns))}) ${raw(mergeTree(key))}`,
      sql`INSERT INTO ${next} (${names}) SELECT ${names} FROM ${sql.ident(table)}`,
      sql`EXCHANGE TABLES ${sql.ident(table)} AND ${next}`,
      sql`DROP TABLE ${next}`,
    ];
  },
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
        sql`t.${k} IN (SELECT ${k} FROM ${source} AS src)`,
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
        sql`t.${c} IN (SELECT from_id FROM ${mapping} AS m)`,
      ),
      ...swapRows(temp, table, columns, sql`${c} IN (SELECT from_id FROM ${mapping} AS m)`),
    ];
  },
  // Inserts are written to parts on disk as they complete.
  checkpoint: () => [],
  // ClickHouse's CSV writer quotes every text and writes NULL as \N: fields are written raw, each value's text as
  // `toText` writes it (a double "2.0", a timestamp without trailing zeros) quoted here by DuckDB's rule, and the
  // header (quoted the same way) is the output's prefix — the same bytes on both engines.
  copyToCsv: (query, path, columns) => {
    const field = sql`arrayMap(_t -> ifNull(if(_t = '' OR multiSearchAny(_t, ['"', ',', '#', '\\n', '\\r']), concat('"', replaceAll(_t, '"', '""'), '"'), _t), ''), [${valueText(raw("x"))}])[1]`;
    const header = columns.map((c) => (c === "" || /[",#\n\r]/.test(c) ? `"${c.replaceAll('"', '""')}"` : c));
    return sql`INSERT INTO FUNCTION file(${raw(lit(path))}, 'CustomSeparated') SELECT * APPLY(x -> ${field}) FROM (${query}) SETTINGS ${raw(`format_custom_escaping_rule = 'Raw', format_custom_field_delimiter = ',', format_custom_row_after_delimiter = '\\n', format_custom_result_before_delimiter = ${lit(`${header.join(",")}\n`)}, engine_file_truncate_on_insert = 1`)}`;
  },
  // Like DuckDB's COPY, a file already there is replaced.
  copyToParquet: (query, path) =>
    sql`INSERT INTO FUNCTION file(${raw(lit(path))}, 'Parquet') SELECT * FROM (${query}) SETTINGS engine_file_truncate_on_insert = 1`,

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
          "input_format_csv_allow_whitespace_or_tab_as_delimiter = 1",
          "format_csv_allow_single_quotes = 0",
          "input_format_parallel_parsing = 0",
          // One stream from the reader on: row numbers count rows in file order.
          "parallelize_output_from_storages = 0",
        ];
        return raw(
          `(SELECT * FROM file(${lit(spec.path)}, 'CSV', ${lit(structure)}) SETTINGS ${settings.join(", ")})`,
        );
      }
      case "json": {
        // An empty file (or array) is one text column `json` and no rows, as DuckDB reads it.
        if (jsonFileIsEmpty(spec.path)) return raw("(SELECT CAST(NULL AS Nullable(String)) AS json WHERE 0)");
        if (spec.columns === undefined)
          return raw(
            `(SELECT * FROM file(${lit(spec.path)}, 'JSONEachRow') SETTINGS ${TEXT_INFERENCE}, input_format_json_try_infer_named_tuples_from_objects = 0, input_format_json_read_objects_as_strings = 1, input_format_json_read_arrays_as_strings = 1, input_format_json_infer_incomplete_types_as_strings = 1, input_format_json_read_numbers_as_strings = 1, input_format_json_read_bools_as_strings = 1, input_format_json_try_infer_numbers_from_strings = 0, input_format_parallel_parsing = 0)`,
          );
        // The columns known, each value is the JSON text of its key as written (a number's digits exactly, as
        // DuckDB keeps them; JSONEachRow into String would read a number as a float first), a string unquoted,
        // objects and arrays as JSON, null as NULL.
        const value = (c: string) => {
          const v = `m[${lit(c)}]`;
          return `multiIf(NOT mapContains(m, ${lit(c)}), NULL, ${v} = 'null', NULL, startsWith(${v}, '"'), JSONExtractString(${v}), ${v}) AS ${q(c)}`;
        };
        return raw(
          `(SELECT ${spec.columns.map(value).join(", ")} FROM (SELECT CAST(JSONExtractKeysAndValuesRaw(json), 'Map(String, String)') AS m FROM file(${lit(spec.path)}, 'JSONAsString') SETTINGS input_format_parallel_parsing = 0, parallelize_output_from_storages = 0))`,
        );
      }
      case "parquet": {
        const columns = spec.columns;
        if (columns === undefined)
          return raw(`(SELECT * FROM file(${lit(spec.path)}, 'Parquet') SETTINGS ${TEXT_INFERENCE})`);
        // The columns known, every value as text (times as DuckDB writes them: no trailing zeros).
        const text = sql.join(
          columns.map((c) => sql`${clickhouseDialect.toText(sql.ident(c))} AS ${sql.ident(c)}`),
        );
        return sql`(SELECT ${text} FROM file(${raw(lit(spec.path))}, 'Parquet') SETTINGS input_format_parquet_preserve_order = 1, parallelize_output_from_storages = 0)`;
      }
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
  // LineAsString takes a String column that is not Nullable; a line ends at LF, and a CR before it is no part of it.
  // An empty line is NULL, as DuckDB's reader gives it.
  readLines: (path) =>
    raw(
      `(SELECT nullIf(replaceRegexpOne(line, '\\r$', ''), '') AS line FROM file(${lit(path)}, 'LineAsString', 'line String') SETTINGS data_type_default_nullable = 0, parallelize_output_from_storages = 0)`,
    ),
  fileRowNumber: () => raw("(rowNumberInAllBlocks() + 1)"),

  // As DuckDB casts: blanks around the number are ignored (tabs and line feeds too), underscores between digits are
  // allowed ("1_000_000"); NaN and infinities are not numbers.
  tryNumber: (e) => {
    const b = sql`trimBoth(${e}, ' \\t\\n\\v\\f\\r')`;
    const t = sql`if(position(${b}, '_') > 0, replaceRegexpAll(replaceRegexpAll(${b}, '([0-9])_([0-9])', '\\\\1\\\\2'), '([0-9])_([0-9])', '\\\\1\\\\2'), ${b})`;
    return sql`(CASE WHEN isFinite(ifNull(toFloat64OrNull(${t}), nan)) THEN toFloat64OrNull(${t}) END)`;
  },
  tryInteger: (e) =>
    sql`(CASE WHEN match(${blank(e)}, '^[+-]?[0-9]+$') THEN toInt64OrNull(replaceRegexpOne(${blank(e)}, '^\\+', '')) END)`,
  tryBoolean: (e) =>
    sql`multiIf(lower(${blank(e)}) IN ('true', 't', '1', 'yes', 'y'), true, lower(${blank(e)}) IN ('false', 'f', '0', 'no', 'n'), false, NULL)`,
  // The best-effort parser takes far more than DuckDB's cast ("05/01/2024", "Jan 5 2024", epoch seconds, hour 25
  // carried into the next day): only the shapes DuckDB reads as a timestamp are given to it.
  tryTimestamp: (e, format) =>
    format === undefined
      ? sql`(CASE WHEN match(${blank(e)}, ${raw(lit(ISO_TIMESTAMP))}) THEN parseDateTime64BestEffortOrNull(${blank(e)}, 6, 'UTC') END)`
      : sql`toDateTime64(parseDateTime64OrNull(${blank(e)}, ${raw(lit(clickhouseFormat(format)))}, 'UTC'), 6, 'UTC')`,
  // A day that does not exist ("2024-02-30") or lies outside Date32's range would be moved to one that does.
  tryDate: (e, format) =>
    format === undefined
      ? sql`(CASE WHEN match(${blank(e)}, '^[0-9]{4}-[0-9]{2}-[0-9]{2}$') AND toString(toDate32OrNull(${blank(e)})) = ${blank(e)} THEN toDate32OrNull(${blank(e)}) END)`
      : sql`toDate32(parseDateTime64OrNull(${blank(e)}, ${raw(lit(clickhouseFormat(format)))}, 'UTC'))`,

  isJsonObject: (e) => sql`(isValidJSON(${e}) AND JSONType(${e}) = 'Object')`,
  // Each value is named once, in a lambda (`_j`): `jsonValue` reads it as often as its type's shape needs.
  jsonObject: (pairs) =>
    pairs.length === 0
      ? raw("CAST(NULL AS Nullable(String))")
      : sql`concat('{', arrayStringConcat(arrayFilter(x -> x != '', [${sql.join(
          pairs.map(
            ([k, v]) =>
              sql`arrayMap(_j -> if(_j IS NULL, '', concat(${raw(lit(JSON.stringify(k)))}, ':', ${jsonValue(raw("_j"))})), [${v}])[1]`,
          ),
        )}]), ','), '}')`,
  // ClickHouse's jsonMergePatch keeps a null of the patch as a value: a patch holding a null has it dropped two
  // levels deep (`withoutPatchNulls`; jsonObject's patches are flat), one without (the text holds no "null") is
  // merged as it is. A NULL base merges as the empty object (DuckDB gives the patch; ClickHouse would give NULL).
  // A key the patch replaces keeps the base's place (DuckDB moves it last: the same object, another text).
  jsonMergePatch: (base, patch) =>
    sql`arrayMap((_b, _p) -> if(_p IS NULL, NULL, if(position(_p, 'null') = 0, jsonMergePatch(_b, _p), ${raw(withoutPatchNulls("jsonMergePatch(_b, assumeNotNull(_p))", "assumeNotNull(_p)", 2))})), [ifNull(${base}, '{}')], [CAST(${patch} AS Nullable(String))])[1]`,
  // ClickHouse names a key by itself (no path syntax).
  jsonKeyPath: (key) => key,
  jsonTextAtPath: (e, path) => jsonTextOf(e, path),
  jsonText: (e, key) => jsonTextOf(e, raw(lit(key))),
  // An array may not be Nullable: a NULL text has the keys of the empty object (none).
  jsonKeys: (e) => sql`arrayJoin(JSONExtractKeys(ifNull(${e}, '{}')))`,
  // RE2 as DuckDB sets it: "." does not match a line feed ((?-s); ClickHouse lets it by default).
  regexMatches: (e, pattern) => sql`match(${e}, concat('(?-s)^(?:', ${pattern}, ')$'))`,
  // The flag also keeps a pattern without special characters off replaceRegexpAll's plain-text path, which
  // writes a replacement's \0 as it is.
  regexReplace: (e, pattern, replacement) =>
    sql`replaceRegexpAll(${e}, concat('(?-s)', ${pattern}), ${replacement})`,
  contains: (e, part) => sql`(position(${e}, ${part}) > 0)`,
  containsAny: (e, parts) =>
    parts.length === 0 ? sql`false` : sql`multiSearchAny(${e}, [${sql.join(parts.map((p) => sql`${p}`))}])`,
  hash: (e) => sql`lower(hex(MD5(${e})))`,
  sha256Hex: (e) => sql`lower(hex(SHA256(${e})))`,
  // Left-padded to 16 digits (8 bytes, big-endian), reversed for reinterpretAsUInt64's little-endian bytes.
  leadingHexNumber: (e, digits) =>
    sql`toFloat64(reinterpretAsUInt64(reverse(unhex(leftPad(substring(${e}, 1, ${raw(String(leadingHexDigits(digits)))}), 16, '0')))))`,
  // NULL has no parts (splitByRegexp of a NULL splits the empty text).
  splitPart: (e, pattern, index) =>
    sql`if(${e} IS NULL, NULL, arrayElementOrNull(splitByRegexp(${pattern}, ${trim(e)}), ${raw(String(Math.floor(index) + 1))}))`,
  countParts: (e, pattern) => sql`if(${e} IS NULL, NULL, length(splitByRegexp(${pattern}, ${trim(e)})))`,

  argMax: (value, key) => sql`argMax(${value}, ${key})`,
  argMin: (value, key) => sql`argMin(${value}, ${key})`,
  aggIf: (fn, args, cond) => sql`${raw(AGGREGATES[fn])}(${sql.join([...args, cond])})`,
  // The exact quantile interpolated as DuckDB's quantile_cont (type 7); plain quantile() is a sample estimate.
  // Numbers only (as the hook says): quantileExactInclusive takes no timestamps, and the variant that does
  // (quantileExactWeightedInterpolated) is several times slower on numbers.
  quantile: (e, qq) => sql`quantileExactInclusive(${raw(String(Number(qq)))})(${e})`,

  epochSeconds: (e) => sql`(toUnixTimestamp64Micro(toDateTime64(${e}, 6, 'UTC')) / 1000000)`,
  hourOf: (e) => sql`toHour(${e})`,
  weekdayOf: (e) => sql`(toDayOfWeek(${e}) - 1)`,
  daysBetween: (from, to) =>
    sql`floor((toUnixTimestamp64Micro(toDateTime64(${to}, 6, 'UTC')) - toUnixTimestamp64Micro(toDateTime64(${from}, 6, 'UTC'))) / 86400000000)`,
  unnestPresent: (items) => sql`arrayJoin(arrayFilter(x -> x IS NOT NULL, [${sql.join(items)}]))`,

  // A Memory table read by several threads numbers its blocks in whatever order the threads take them.
  tempInOrder: (name) => sql`(SELECT * FROM ${sql.temp(name)} SETTINGS max_threads = 1)`,
  addTempColumn: (name, column) =>
    sql`ALTER TABLE ${sql.temp(name)} ADD COLUMN ${sql.ident(column.name)} Nullable(${raw(TYPES[column.type])})`,
  showSql: (fragment) =>
    renderSql(fragment, { quoteIdent: q, placeholder: clickhousePlaceholder, tempName: q }).text,
  // Standard GROUPING needs force_grouping_standard_compatibility, a session setting (clickhouse-connection.ts).
  groupingOf: (key) => sql`GROUPING(${key})`,
  readTabSeparated: (path, columns) =>
    raw(
      `(SELECT * FROM file(${lit(path)}, 'TSVRaw', ${lit(columnList(columns))}) SETTINGS input_format_tsv_empty_as_default = 1, parallelize_output_from_storages = 0)`,
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
