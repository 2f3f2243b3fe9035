/**
 * How a ClickHouse session reaches the engine: in this process (chdb) or over HTTP (`@clickhouse/client`). Both
 * take the same SQL text with `{name:Type}` placeholders and the same settings, so every statement is shared.
 */

/** A result in ClickHouse's JSONCompact shape: column names and types, then rows. */
export interface CompactResult {
  readonly meta: readonly { readonly name: string; readonly type: string }[];
  readonly data: readonly (readonly unknown[])[];
}

export interface ClickHouseConnection {
  /** The data directory, when the database lives in this process (chdb); undefined on a server. */
  readonly dataDirectory?: string;
  /** Runs a statement. `session` names the caller's session (its temporary tables, on a server). */
  exec(text: string, params: Readonly<Record<string, unknown>>, session: string): Promise<void>;
  /** Runs a query and reads its whole result. */
  query(text: string, params: Readonly<Record<string, unknown>>, session: string): Promise<CompactResult>;
  /** Inserts tab-separated rows into a table (a session's temporary table included). */
  insertTsv(table: string, columns: readonly string[], body: string, session: string): Promise<void>;
  /** Ends a session (a server forgets its temporary tables; in process, the caller drops them). */
  endSession(session: string): Promise<void>;
  close(): Promise<void>;
}

/** The largest set of values a filter analyses the primary key with (see `SESSION_SETTINGS`). */
export const IN_SET_INDEX_MAX = 1000;

/**
 * The settings every statement relies on, so that the domain's SQL means on ClickHouse what it means on DuckDB:
 * - columns created without `Nullable` still hold NULLs, and casts keep NULLs;
 * - a LEFT JOIN without a match gives NULLs, not the type's default;
 * - sum/avg/min/max of no rows is NULL (not 0 or nan);
 * - a bare UNION removes duplicates, as in standard SQL;
 * - a lightweight DELETE or UPDATE is visible to the next statement.
 * And one for speed: a filter by a set of more than `IN_SET_INDEX_MAX` values (`customer_id IN (SELECT …)`) reads
 * the table without first analysing its primary key with the set. Such a set of customers is spread over every
 * granule of the table (8,192 rows: thousands of customers each), so the analysis prunes nothing, and on a table
 * merged into one part it costs more than the read: the open stays of 175k customers among 1.9M stays took 0.28 s
 * with it, 0.04 s without (chdb, the engine benchmark's incremental refresh; 0.06 s against 0.04 s while the stays
 * were in two parts). A small set (one person's rows) still finds its granules by the index.
 */
export const SESSION_SETTINGS: Readonly<Record<string, string | number>> = {
  data_type_default_nullable: 1,
  cast_keep_nullable: 1,
  join_use_nulls: 1,
  aggregate_functions_null_for_empty: 1,
  union_default_mode: "DISTINCT",
  force_grouping_standard_compatibility: 1,
  mutations_sync: 2,
  lightweight_deletes_sync: 2,
  // DELETE as a lightweight update: a mutation cannot read a session's temporary tables in its subqueries.
  lightweight_delete_mode: "lightweight_update_force",
  allow_experimental_lightweight_update: 1,
  output_format_json_quote_64bit_integers: 1,
  output_format_json_quote_denormals: 0,
  // toJSONString writes "/" as DuckDB's JSON does, unescaped (jsonObject).
  output_format_json_escape_forward_slashes: 0,
  // A name inside an expression means the column, as on DuckDB, even where a SELECT alias has that name.
  prefer_column_name_to_alias: 1,
  use_index_for_in_with_subqueries_max_values: IN_SET_INDEX_MAX,
};
