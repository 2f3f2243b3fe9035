import { DuckDBInstance } from "@duckdb/node-api";
import { UserError } from "../../errors.js";
import { SessionStore } from "../session-store.js";
import { FOR_WRITING, type OpenOptions, type Session } from "../store.js";
import { duckdbDialect } from "./duckdb-dialect.js";
import { explainOpenError } from "./duckdb-errors.js";
import { checkDuckDBFile } from "./duckdb-file.js";
import { DuckDBSession } from "./duckdb-session.js";

const SIZE = /^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i;

/**
 * The embedded default store: one DuckDB file (or `:memory:`) opened once, a connection per session. DuckDB's
 * multi-version concurrency gives each transaction a snapshot; writes are queued here so that two writers never
 * conflict on a row.
 */
export class DuckDBStore extends SessionStore {
  readonly dialect = duckdbDialect;
  // DuckDB locks the file: no other process writes it while it is open here.
  readonly exclusive = true;

  private constructor(
    location: string,
    private readonly instance: DuckDBInstance,
  ) {
    super(location);
  }

  /**
   * Opens a file (or `:memory:`) as `options` say: a command that only reads opens an existing file read-only, so
   * it works on a read-only file and beside other readers. Whatever keeps the file from opening is a user error
   * saying what (duckdb-file.ts, duckdb-errors.ts).
   */
  static async open(location: string, options: OpenOptions = FOR_WRITING): Promise<DuckDBStore> {
    // Checked before the file is opened: a typo must not leave a database behind. Set but empty is unset.
    const limit = process.env.TESSERA_MEMORY_LIMIT?.trim() || undefined;
    if (limit !== undefined && !SIZE.test(limit))
      throw new UserError(
        "bad-memory-limit",
        `expected a size such as 8GB, got "${process.env.TESSERA_MEMORY_LIMIT}"`,
        "TESSERA_MEMORY_LIMIT",
      );
    const inMemory = location === ":memory:" || location === "";
    if (!inMemory) checkDuckDBFile(location, options);
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(location, {
        // An in-memory database is always new, so always writable.
        access_mode: options.access === "read" && !inMemory ? "READ_ONLY" : "READ_WRITE",
        // Never fetch or load an extension the database or a statement asks for: every one Tessera uses (json,
        // parquet, icu) is built in, and a network download on open is never what a user asked for.
        autoinstall_known_extensions: "false",
        autoload_known_extensions: "false",
      });
    } catch (e) {
      throw explainOpenError(location, e, options);
    }
    // DuckDB fills a buffer pool up to its limit (80% of memory) before it spills to disk; on a shared machine a
    // lower ceiling (e.g. TESSERA_MEMORY_LIMIT=8GB) makes large imports and refreshes spill sooner instead. The
    // limit is the instance's, shared by every session.
    if (limit !== undefined) {
      try {
        const conn = await instance.connect();
        try {
          await conn.run(`SET memory_limit = '${limit}'`);
        } finally {
          conn.closeSync();
        }
      } catch (e) {
        instance.closeSync();
        throw e;
      }
    }
    return new DuckDBStore(location, instance);
  }

  protected openSession(onClose: () => void): Promise<Session> {
    return DuckDBSession.connect(this.instance, this.location, onClose);
  }

  protected async closeDatabase(): Promise<void> {
    this.instance.closeSync();
  }
}
