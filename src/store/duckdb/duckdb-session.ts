import { existsSync } from "node:fs";
import type { DuckDBConnection, DuckDBInstance, DuckDBValue } from "@duckdb/node-api";
import { ColumnarResult } from "../column-result.js";
import type {
  AppendColumn,
  ColumnResult,
  EraseMatch,
  Remnant,
  SqlValue,
  StorageFile,
  StorageSnapshot,
} from "../engine.js";
import { renderSql, type Sql, sql } from "../sql.js";
import { PROFILE, profileStatement as profile } from "../statement-profile.js";
import type { Session } from "../store.js";
import { blockSnapshot } from "./duckdb-blocks.js";
import { DUCKDB_RENDERER, duckdbDialect } from "./duckdb-dialect.js";
import { DuckDBErasure } from "./duckdb-erasure.js";
import { explainStatementError } from "./duckdb-errors.js";

function toJs(value: unknown): unknown {
  if (typeof value === "bigint") {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value;
  }
  return value;
}

function toParam(value: SqlValue): DuckDBValue {
  if (value instanceof Date) return value.toISOString();
  // The driver binds a whole JS number as a BIGINT; one beyond 2^53 is a double that happens to be whole (a median
  // of absurd totals, 1e308) and does not fit: its text, which the placeholder's CAST reads back exactly.
  if (typeof value === "number" && Number.isInteger(value) && !Number.isSafeInteger(value))
    return String(value);
  return value;
}

/**
 * One session on a DuckDB database: a connection of its own, so its own transaction and temporary tables
 * (DuckDB keeps temporary tables per connection). Created by `DuckDBStore`.
 */
export class DuckDBSession implements Session {
  readonly dialect = duckdbDialect;
  /** How rows are erased and the storage that held them scrubbed (duckdb-erasure.ts). */
  private readonly erasure: DuckDBErasure;
  private depth = 0;

  private closed = false;

  constructor(
    private readonly conn: DuckDBConnection,
    private readonly location: string,
    private readonly onClose: () => void,
  ) {
    this.erasure = new DuckDBErasure(this, location);
  }

  /** Opens a connection with the session settings every statement relies on. */
  static async connect(
    instance: DuckDBInstance,
    location: string,
    onClose: () => void,
  ): Promise<DuckDBSession> {
    const conn = await instance.connect();
    // Timestamps without an offset are UTC (DESIGN: import formats); the time zone is a per-connection setting.
    await conn.run("SET TimeZone = 'UTC'");
    return new DuckDBSession(conn, location, onClose);
  }

  /** A session used after its close is a bug of the caller's: say so, naming the database. */
  private get open(): DuckDBConnection {
    if (this.closed) throw new Error(`a session of ${this.location} was used after it was closed`);
    return this.conn;
  }

  async run(statement: Sql | string | readonly Sql[]): Promise<void> {
    if (Array.isArray(statement)) {
      for (const s of statement as readonly Sql[]) await this.run(s);
      return;
    }
    const { text, params } = renderSql(statement as Sql | string, DUCKDB_RENDERER);
    const t0 = PROFILE ? performance.now() : 0;
    try {
      if (params.length > 0) await this.open.run(text, params.map(toParam));
      else await this.open.run(text);
    } catch (e) {
      throw explainStatementError(this.location, e);
    }
    if (PROFILE) profile(text, t0);
  }

  async query(query: Sql | string): Promise<ColumnResult> {
    const { text, params } = renderSql(query, DUCKDB_RENDERER);
    const t0 = PROFILE ? performance.now() : 0;
    const reader = await (params.length > 0
      ? this.open.runAndReadAll(text, params.map(toParam))
      : this.open.runAndReadAll(text)
    ).catch((e: unknown) => {
      throw explainStatementError(this.location, e);
    });
    if (PROFILE) profile(text, t0);
    return new ColumnarResult(
      reader.columnNames(),
      reader.getColumnsJS().map((col) => col.map(toJs)),
    );
  }

  async transaction<T>(work: () => Promise<T>): Promise<T> {
    // A session is one caller's: a nested call is part of the same piece of work, so it joins the outer
    // transaction and the outermost one decides. Concurrent callers each have a session of their own.
    if (this.depth > 0) return work();
    await this.run("BEGIN TRANSACTION");
    this.depth++;
    try {
      const result = await work();
      this.depth--;
      // Through run(): under TESSERA_PROFILE a commit's cost (writing what the transaction changed) shows too.
      await this.run("COMMIT");
      return result;
    } catch (e) {
      this.depth--;
      await this.run("ROLLBACK");
      throw e;
    }
  }

  async appendTemp(table: string, columns: readonly AppendColumn[]): Promise<void> {
    const q = this.dialect.quoteIdent;
    const defs = columns.map((c) => `${q(c.name)} ${this.dialect.typeOf(c.type)}`).join(", ");
    await this.open.run(`CREATE OR REPLACE TEMP TABLE ${q(table)} (${defs})`);
    const appender = await this.open.createAppender(table, "main", "temp");
    const n = columns[0]?.values.length ?? 0;
    const writers = columns.map((c) => {
      const v = c.values;
      switch (c.type) {
        case "integer":
          return (i: number) => {
            const x = v[i];
            if (x === null || x === undefined) appender.appendNull();
            else appender.appendBigInt(BigInt(x as number));
          };
        case "number":
          return (i: number) => {
            const x = v[i] as number | null | undefined;
            if (x === null || x === undefined || Number.isNaN(x)) appender.appendNull();
            else appender.appendDouble(x);
          };
        case "boolean":
          return (i: number) => {
            const x = v[i];
            if (x === null || x === undefined) appender.appendNull();
            else appender.appendBoolean(Boolean(x));
          };
        default:
          return (i: number) => {
            const x = v[i];
            if (x === null || x === undefined) appender.appendNull();
            else appender.appendVarchar(String(x));
          };
      }
    });
    for (let i = 0; i < n; i++) {
      for (const w of writers) w(i);
      appender.endRow();
    }
    appender.closeSync();
  }

  async tableColumns(table: string): Promise<string[]> {
    const r = await this.query(
      sql`SELECT column_name FROM information_schema.columns WHERE table_name = ${table} ORDER BY ordinal_position`,
    );
    return r.column("column_name") as string[];
  }

  async tables(): Promise<string[]> {
    const r = await this.query(
      "SELECT DISTINCT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema = 'main' ORDER BY table_name",
    );
    return r.column("table_name") as string[];
  }

  /** DuckDB reuses the space of deleted rows itself (at checkpoints): nothing to do. */
  async compact(): Promise<string[]> {
    return [];
  }

  eraseRows(table: string, matches: readonly EraseMatch[], needles: readonly string[]): Promise<number> {
    return this.erasure.eraseRows(table, matches, needles);
  }

  scrubFreedSpace(remnants: readonly Remnant[] = []): Promise<void> {
    return this.erasure.scrubFreedSpace(remnants);
  }

  async storageSnapshot(): Promise<StorageSnapshot | null> {
    if (this.inMemory()) return null;
    const size = await this.query(
      "SELECT block_size FROM pragma_database_size() WHERE database_name = current_database()",
    );
    return blockSnapshot(this.location, Number(size.column("block_size")[0]));
  }

  private inMemory(): boolean {
    return this.location === ":memory:" || this.location === "";
  }

  async storageFiles(): Promise<StorageFile[] | null> {
    if (this.inMemory()) return null;
    return [this.location, `${this.location}.wal`]
      .filter((f) => existsSync(f))
      .map((path) => ({ path, replaced: false }));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.conn.closeSync();
    this.onClose();
  }
}
