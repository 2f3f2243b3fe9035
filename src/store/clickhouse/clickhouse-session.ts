import { type Dirent, readdirSync } from "node:fs";
import { join } from "node:path";
import { ColumnarResult } from "../column-result.js";
import type {
  AppendColumn,
  ColumnResult,
  ColumnType,
  EraseMatch,
  Remnant,
  SqlValue,
  StorageFile,
  StorageSnapshot,
} from "../engine.js";
import { matchesAny } from "../erase-match.js";
import { renderSql, type Sql, type SqlRenderer, sql } from "../sql.js";
import { PROFILE, profileStatement as profile } from "../statement-profile.js";
import type { Session } from "../store.js";
import type { ClickHouseConnection, CompactResult } from "./clickhouse-connection.js";
import { clickhouseDialect, clickhousePlaceholder, inferredType } from "./clickhouse-dialect.js";

/** `2024-01-02 03:04:05.678000`: how ClickHouse reads a DateTime64 parameter. */
function timestampText(d: Date): string {
  return `${d.toISOString().replace("T", " ").replace("Z", "")}000`;
}

function paramValue(value: SqlValue, type: ColumnType): unknown {
  if (value === null) return null;
  if (value instanceof Date) return type === "date" ? value.toISOString().slice(0, 10) : timestampText(value);
  if (type === "timestamp" && typeof value === "string") {
    // ISO text from the code ("2024-01-02T03:04:05Z", "2024-01-02"): the form ClickHouse parses.
    const d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(value) || value.length === 10 ? value : `${value}Z`);
    return Number.isNaN(d.getTime()) ? value : timestampText(d);
  }
  if (typeof value === "bigint") return value.toString();
  // A whole number beyond 2^53 is a double that happens to be whole (1e308): the client refuses it as an integer;
  // its text is what ClickHouse parses for the Float64 parameter.
  if (typeof value === "number" && Number.isInteger(value) && !Number.isSafeInteger(value))
    return String(value);
  return value;
}

/** A ClickHouse value in JSONCompact converted as DuckDB's results are (safe integers as numbers, times as Dates). */
function converter(type: string): (v: unknown) => unknown {
  const t = type.replace(/^Nullable\((.*)\)$/, "$1").replace(/^LowCardinality\((.*)\)$/, "$1");
  if (/^U?Int(64|128|256)$/.test(t))
    return (v) => {
      if (v === null || typeof v === "number") return v;
      const n = BigInt(v as string);
      return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
    };
  if (t.startsWith("DateTime"))
    return (v) => (v === null ? null : new Date(`${(v as string).replace(" ", "T").slice(0, 23)}Z`));
  if (t === "Date" || t === "Date32")
    return (v) => (v === null ? null : new Date(`${v as string}T00:00:00Z`));
  if (t.startsWith("Decimal")) return (v) => (v === null ? null : Number(v));
  return (v) => v;
}

/** A JSONCompact result as columns of plain JS values. */
function compactColumns(result: CompactResult): ColumnarResult {
  const convert = result.meta.map((m) => converter(m.type));
  return new ColumnarResult(
    result.meta.map((m) => m.name),
    result.meta.map((_, i) => result.data.map((row) => (convert[i] as (v: unknown) => unknown)(row[i]))),
  );
}

/** A value in ClickHouse's tab-separated format: `\N` for NULL, control characters escaped. */
function tsvField(v: unknown, type: ColumnType): string {
  if (v === null || v === undefined) return "\\N";
  if (type === "number" && typeof v === "number" && Number.isNaN(v)) return "\\N";
  if (type === "boolean") return v ? "true" : "false";
  if (v instanceof Date) return timestampText(v);
  return String(v)
    .replaceAll("\\", "\\\\")
    .replaceAll("\t", "\\t")
    .replaceAll("\n", "\\n")
    .replaceAll("\r", "\\r");
}

let sessions = 0;

/** A table is compacted when it stores more than this many times its rows … */
export const COMPACT_RATIO = 2;
/** … and at least this many rows (small tables cost nothing to read). */
export const COMPACT_MIN_ROWS = 100_000;

/**
 * One session on a ClickHouse database. ClickHouse has no transactions (`transaction` runs the work as it is;
 * operations stage and validate before they write) and, in process, no connection-private temporary tables:
 * each session's temporary tables carry its number, and the session drops them when it closes.
 */
export class ClickHouseSession implements Session {
  readonly dialect = clickhouseDialect;
  private readonly id = `s${++sessions}_${process.pid}`;
  private readonly temps = new Set<string>();
  private readonly renderer: SqlRenderer;
  private closed = false;

  constructor(
    private readonly connection: ClickHouseConnection,
    private readonly location: string,
    private readonly onClose: () => void,
  ) {
    this.renderer = {
      quoteIdent: clickhouseDialect.quoteIdent,
      placeholder: clickhousePlaceholder,
      tempName: (name) => clickhouseDialect.quoteIdent(this.tempName(name)),
    };
  }

  /** The engine's name of this session's temporary table `name`. */
  private tempName(name: string): string {
    const unique = `${name}__${this.id}`;
    this.temps.add(unique);
    return unique;
  }

  private render(q: Sql | string): { text: string; params: Record<string, unknown> } {
    if (this.closed) throw new Error(`a session of ${this.location} was used after it was closed`);
    const r = renderSql(q, this.renderer);
    const params: Record<string, unknown> = {};
    r.params.forEach((v, i) => {
      params[`p${i}`] = paramValue(v, r.types[i] ?? inferredType(v));
    });
    return { text: r.text, params };
  }

  async run(statement: Sql | string | readonly Sql[]): Promise<void> {
    if (Array.isArray(statement)) {
      for (const s of statement as readonly Sql[]) await this.run(s);
      return;
    }
    const { text, params } = this.render(statement as Sql | string);
    const t0 = PROFILE ? performance.now() : 0;
    await this.connection.exec(text, params, this.id);
    if (PROFILE) profile(text, t0);
  }

  async query(query: Sql | string): Promise<ColumnResult> {
    const { text, params } = this.render(query);
    const t0 = PROFILE ? performance.now() : 0;
    const result = await this.connection.query(text, params, this.id);
    if (PROFILE) profile(text, t0);
    return compactColumns(result);
  }

  /** No transactions: the work runs as it is (callers stage and validate before they write). */
  async transaction<T>(work: () => Promise<T>): Promise<T> {
    return work();
  }

  async appendTemp(table: string, columns: readonly AppendColumn[]): Promise<void> {
    await this.run(clickhouseDialect.createTemp(table, columns));
    const n = columns[0]?.values.length ?? 0;
    const lines: string[] = [];
    for (let i = 0; i < n; i++) lines.push(columns.map((c) => tsvField(c.values[i], c.type)).join("\t"));
    await this.connection.insertTsv(
      this.tempName(table),
      columns.map((c) => c.name),
      lines.length > 0 ? `${lines.join("\n")}\n` : "",
      this.id,
    );
  }

  async tableColumns(table: string): Promise<string[]> {
    const temp = `${table}__${this.id}`;
    if (this.temps.has(temp)) {
      const r = await this.query(`DESCRIBE TABLE ${clickhouseDialect.quoteIdent(temp)}`);
      return r.column("name") as string[];
    }
    // A table that does not exist has no columns (as on DuckDB), rather than an error.
    const r = await this.query(
      sql`SELECT name FROM system.columns WHERE database = currentDatabase() AND table = ${table} ORDER BY position`,
    );
    return r.column("name") as string[];
  }

  async tables(): Promise<string[]> {
    const r = await this.query(
      "SELECT name FROM system.tables WHERE database = currentDatabase() AND NOT is_temporary AND engine NOT IN ('View', 'MaterializedView') ORDER BY name",
    );
    return r.column("name") as string[];
  }

  /**
   * ClickHouse marks deleted rows (and the old versions of rewritten ones: `updateFrom`, `remapColumn`) and drops
   * them when it next merges the table's parts, which a short-lived process using chdb rarely waits for: an
   * import that touches every customer adds a copy of the customers table each time (measured: 8.9M rows stored
   * for 1.17M customers after the engine benchmark's 14 imports), and every read pays for them. A table storing
   * more than `COMPACT_RATIO` times its rows (and at least `COMPACT_MIN_ROWS`) is merged into one part now.
   */
  async compact(): Promise<string[]> {
    // Deleted rows are recorded in patch parts (a row per row deleted or updated; older servers mark deletes in
    // the part itself instead), so a table whose patches hold too few rows to leave it over-stored is left
    // without counting.
    // Counting is the expensive part (it applies the patches to every row: 0.75 s of CPU for 35M events with 60
    // patched rows), and every write operation ends here.
    const stored = await this.query(
      sql`SELECT table, sumIf(rows, NOT startsWith(name, 'patch-')) AS stored,
                 sumIf(rows, startsWith(name, 'patch-')) AS patched
            FROM system.parts WHERE database = currentDatabase() AND active
           GROUP BY table HAVING stored >= ${sql.param(COMPACT_MIN_ROWS, "integer")}
              AND (patched * ${sql.param(COMPACT_RATIO, "integer")} >= stored * ${sql.param(COMPACT_RATIO - 1, "integer")}
                   OR countIf(has_lightweight_delete AND NOT startsWith(name, 'patch-')) > 0)`,
    );
    const compacted: string[] = [];
    for (const { table, stored: rows } of stored.rows() as { table: string; stored: number }[]) {
      const live = await this.query(sql`SELECT count() AS n FROM ${sql.ident(table)}`);
      if (Number(rows) <= COMPACT_RATIO * Number(live.column("n")[0])) continue;
      await this.run(sql`OPTIMIZE TABLE ${sql.ident(table)} FINAL`);
      compacted.push(table);
    }
    return compacted;
  }

  /**
   * Copies the values to a scratch table, deletes the rows by a mutation that reads them from there (ClickHouse
   * keeps a mutation's text in the data directory: a value written in it would stay in clear), waits for it (the
   * mutation rewrites the parts holding such rows, without them), then drops the scratch table at once (SYNC).
   */
  async eraseRows(
    table: string,
    matches: readonly EraseMatch[],
    _needles: readonly string[],
  ): Promise<number> {
    const where = matchesAny(matches);
    if (where === null) return 0;
    const t = sql.ident(table);
    const n = Number((await this.query(sql`SELECT count() AS n FROM ${t} WHERE ${where}`)).column("n")[0]);
    if (n === 0) return 0;
    const scratch = sql.ident(`_erase_values_${this.id}`);
    await this.run(sql`CREATE TABLE ${scratch} (v String) ENGINE = Memory`);
    try {
      const values = [...new Set(matches.flatMap((m) => m.values))];
      await this.run(sql`INSERT INTO ${scratch} (v) VALUES ${sql.join(values.map((v) => sql`(${v})`))}`);
      const byScratch = sql.join(
        matches
          .filter((m) => m.values.length > 0)
          .map((m) => sql`${sql.ident(m.column)} IN (SELECT v FROM ${scratch})`),
        " OR ",
      );
      await this.run(
        sql`ALTER TABLE ${t} DELETE WHERE ${byScratch} SETTINGS mutations_sync = 2, allow_nondeterministic_mutations = 1`,
      );
    } finally {
      await this.run(sql`DROP TABLE IF EXISTS ${scratch} SYNC`);
    }
    return n;
  }

  /**
   * ClickHouse writes nothing in place: a mutation writes new parts and leaves the replaced ones to its background
   * cleanup, `old_parts_lifetime` later (480 s by default: the safety margin for parts not yet synced to disk, which
   * erasure does not shorten). `storageFiles` says which files are such parts.
   */
  async scrubFreedSpace(_remnants?: readonly Remnant[]): Promise<void> {}

  async storageFiles(): Promise<StorageFile[] | null> {
    const dir = this.connection.dataDirectory;
    if (dir === undefined) return null;
    const inactive = await this.query(
      "SELECT path FROM system.parts WHERE database = currentDatabase() AND NOT active",
    );
    const replaced = (inactive.column("path") as string[]).map((p) => (p.endsWith("/") ? p : `${p}/`));
    return filesUnder(dir, replaced);
  }

  /** Parts are written anew, never in place: nothing to tell apart cheaply, and no remnant to search again. */
  async storageSnapshot(): Promise<StorageSnapshot | null> {
    return null;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const drops = [...this.temps].map((t) =>
      this.connection
        .exec(`DROP TEMPORARY TABLE IF EXISTS ${clickhouseDialect.quoteIdent(t)}`, {}, this.id)
        .catch(() => undefined),
    );
    // The store counts the session open until its tables are gone, so closing the store waits for the drops.
    void Promise.all(drops)
      .then(() => this.connection.endSession(this.id))
      .finally(() => this.onClose());
  }
}

/**
 * Every file under `dir`, each marked replaced when it lies under one of `replaced` (inactive parts' paths). A
 * directory gone since its parent was read (a merge's temporary one) is skipped: what it held is in the merge's
 * inputs, kept inactive until the cleanup, or in its output part.
 */
export function filesUnder(dir: string, replaced: readonly string[]): StorageFile[] {
  const files: StorageFile[] = [];
  const walk = (d: string): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
      throw e;
    }
    for (const e of entries) {
      const path = join(d, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.isFile()) files.push({ path, replaced: replaced.some((p) => path.startsWith(p)) });
    }
  };
  walk(dir);
  return files;
}
