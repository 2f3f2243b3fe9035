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
