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
  private drained: (() => void) | null = null;
  private inFlight = 0;
  private closed = false;

  private constructor(
    readonly location: string,
    private readonly instance: DuckDBInstance,
  ) {}

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

  async session(): Promise<Session> {
    this.refuseIfClosed();
    return this.connect();
  }

  read<T>(work: (session: Engine) => Promise<T>): Promise<T> {
    return this.track(() => this.within((s) => s.transaction(() => work(s))));
  }

  write<T>(work: (session: Engine) => Promise<T>): Promise<T> {
    return this.track(() => this.writes.run(() => this.within(work)));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Work asked for before the close is done first: reads under way, and writes still waiting in the queue.
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    if (this.open.size > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    this.instance.closeSync();
  }

  private refuseIfClosed(): void {
    if (this.closed) throw new Error(`the store ${this.location} is closed: no new work is taken`);
  }

  /** Counts a piece of work from the moment it is asked for (not when it starts), so that `close` waits for it. */
  private track<T>(work: () => Promise<T>): Promise<T> {
    try {
      this.refuseIfClosed();
    } catch (e) {
      return Promise.reject(e);
    }
    this.inFlight++;
    return work().finally(() => {
      if (--this.inFlight === 0) this.drained?.();
    });
  }

  private async connect(): Promise<Session> {
    const session: Session = await DuckDBSession.connect(this.instance, this.location, () => {
      this.open.delete(session);
      if (this.open.size === 0) this.idle?.();
    });
    this.open.add(session);
    return session;
  }

  private async within<T>(work: (session: Engine) => Promise<T>): Promise<T> {
    const session = await this.connect();
    try {
      return await work(session);
    } finally {
      session.close();
    }
  }
}
