import { DuckDBInstance } from "@duckdb/node-api";
import { UserError } from "../../errors.js";
import { SessionStore } from "../session-store.js";
import type { Session } from "../store.js";
import { duckdbDialect } from "./duckdb-dialect.js";
import { DuckDBSession } from "./duckdb-session.js";

const SIZE = /^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i;

/**
 * The embedded default store: one DuckDB file (or `:memory:`) opened once, a connection per session. DuckDB's
 * multi-version concurrency gives each transaction a snapshot; writes are queued here so that two writers never
 * conflict on a row.
 */
export class DuckDBStore extends SessionStore {
  readonly dialect = duckdbDialect;

  private constructor(
    location: string,
    private readonly instance: DuckDBInstance,
  ) {
    super(location);
  }

  static async open(location: string): Promise<DuckDBStore> {
    // Checked before the file is opened: a typo must not leave a database behind. Set but empty is unset.
    const limit = process.env.TESSERA_MEMORY_LIMIT?.trim() || undefined;
    if (limit !== undefined && !SIZE.test(limit))
      throw new UserError(
        "bad-memory-limit",
        `expected a size such as 8GB, got "${process.env.TESSERA_MEMORY_LIMIT}"`,
        "TESSERA_MEMORY_LIMIT",
      );
    const instance = await DuckDBInstance.create(location);
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
