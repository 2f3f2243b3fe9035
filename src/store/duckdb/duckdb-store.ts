import { DuckDBInstance } from "@duckdb/node-api";
import { UserError } from "../../errors.js";
import type { Engine } from "../engine.js";
import { SerialQueue, type Session, type Store } from "../store.js";
import { duckdbDialect } from "./duckdb-dialect.js";
import { DuckDBSession } from "./duckdb-session.js";

const SIZE = /^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i;

/**
 * The embedded default store: one DuckDB file (or `:memory:`) opened once, a connection per session. DuckDB's
 * multi-version concurrency gives each transaction a snapshot; writes are queued here so that two writers never
 * conflict on a row.
 */
export class DuckDBStore implements Store {
  readonly dialect = duckdbDialect;
  private readonly writes = new SerialQueue();
  private readonly open = new Set<Session>();
  private idle: (() => void) | null = null;
  private closed = false;

  private constructor(
    readonly location: string,
    private readonly instance: DuckDBInstance,
  ) {}

  static async open(location: string): Promise<DuckDBStore> {
    // Checked before the file is opened: a typo must not leave a database behind.
    const limit = process.env.TESSERA_MEMORY_LIMIT?.trim();
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
      const conn = await instance.connect();
      try {
        await conn.run(`SET memory_limit = '${limit}'`);
      } finally {
        conn.closeSync();
      }
    }
    return new DuckDBStore(location, instance);
  }

  async session(): Promise<Session> {
    if (this.closed) throw new Error(`the store ${this.location} is closed`);
    const session: Session = await DuckDBSession.connect(this.instance, () => {
      this.open.delete(session);
      if (this.open.size === 0) this.idle?.();
    });
    this.open.add(session);
    return session;
  }

  async read<T>(work: (session: Engine) => Promise<T>): Promise<T> {
    return this.within((s) => s.transaction(() => work(s)));
  }

  async write<T>(work: (session: Engine) => Promise<T>): Promise<T> {
    return this.writes.run(() => this.within(work));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.open.size > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    this.instance.closeSync();
  }

  private async within<T>(work: (session: Engine) => Promise<T>): Promise<T> {
    const session = await this.session();
    try {
      return await work(session);
    } finally {
      session.close();
    }
  }
}
