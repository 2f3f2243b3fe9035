import type { Dialect, Engine } from "./engine.js";

/**
 * One session of a store: an `Engine` of its own (its own connection, so its own transaction and its own
 * temporary tables). Closing it ends the connection; closing a store's last session does not close the store.
 */
export interface Session extends Engine {
  close(): void;
}

/**
 * An open database that serves many callers at once in one process (DESIGN.md, "Layers"). Every operation runs
 * in a session of its own: reads run concurrently with each other and with writes, each in one transaction and
 * so on one consistent snapshot; writes are serialised, in the order they were asked for, so two writers never
 * meet in the engine's conflict detection.
 */
export interface Store {
  readonly dialect: Dialect;
  /** Where the database lives (a path, or `:memory:`). */
  readonly location: string;
  /**
   * Whether no other process can change the database while this store holds it (an embedded database: a DuckDB
   * file is locked, chdb runs in this process), so that what this process has not written has not changed. False
   * for a ClickHouse server, which other clients write.
   */
  readonly exclusive: boolean;
  /** Opens a session the caller closes (scripts, tests; operations use `read` and `write`). */
  session(): Promise<Session>;
  /** Runs `work` in a new session inside one transaction (a snapshot), concurrently with anything else. */
  read<T>(work: (session: Engine) => Promise<T>): Promise<T>;
  /**
   * Runs `work` in a new session once every write asked for before it has finished. `work` opens its own
   * transactions (an import commits once per file): what it commits, later reads see.
   */
  write<T>(work: (session: Engine) => Promise<T>): Promise<T>;
  /** Waits for the sessions at work, then closes the database. */
  close(): Promise<void>;
}

/**
 * How an operation opens its database (`openStore`). A command that writes creates the database when it is missing;
 * one that reads needs it to exist (a mistyped path is an error, never a new empty database) and opens it
 * read-only where the engine can (DuckDB: readers of a file run beside each other, and the file is never touched).
 */
export interface OpenOptions {
  readonly access: "read" | "write";
  /** Create the database when it does not exist (else a missing one is a user error naming it). */
  readonly create: boolean;
}

/** A command that writes: the database is created on first use. */
export const FOR_WRITING: OpenOptions = { access: "write", create: true };
/** A command that only reads: the database must exist, and is opened read-only where the engine can. */
export const FOR_READING: OpenOptions = { access: "read", create: false };

/**
 * A first-in, first-out lock: `run(work)` starts `work` when every earlier `run` has settled, whether it
 * succeeded or failed.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const next = this.tail.then(work, work);
    // The queue goes on after a failure; the caller still sees it.
    this.tail = next.catch(() => undefined);
    return next;
  }
}
