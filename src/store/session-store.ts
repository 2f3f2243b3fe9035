import type { Dialect, Engine } from "./engine.js";
import { SerialQueue, type Session, type Store } from "./store.js";

/**
 * What every engine's store shares (DESIGN.md, "Layers"): a session per piece of work; reads concurrent, each in
 * one transaction where the engine has them; writes first in, first out; `close` finishes the work already asked
 * for, then refuses new work. An engine supplies how a session is opened and how the database is closed.
 */
export abstract class SessionStore implements Store {
  abstract readonly dialect: Dialect;
  abstract readonly exclusive: boolean;
  private readonly writes = new SerialQueue();
  private readonly open = new Set<Session>();
  private idle: (() => void) | null = null;
  private drained: (() => void) | null = null;
  private inFlight = 0;
  private closed = false;

  constructor(readonly location: string) {}

  /** Opens a session; `onClose` is to be called when it closes. */
  protected abstract openSession(onClose: () => void): Promise<Session>;
  /** Closes the database once no session is open. */
  protected abstract closeDatabase(): Promise<void>;

  async session(): Promise<Session> {
    this.refuseIfClosed();
    return this.connect();
  }

  read<T>(work: (session: Engine) => Promise<T>): Promise<T> {
    return this.track(() => this.within((s) => s.transaction(() => work(s))));
  }

  /** Runs `work` when every earlier write has settled; once it succeeds, the engine compacts what it left. */
  write<T>(work: (session: Engine) => Promise<T>): Promise<T> {
    return this.track(() =>
      this.writes.run(() =>
        this.within(async (session) => {
          const result = await work(session);
          await session.compact();
          return result;
        }),
      ),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Work asked for before the close is done first: reads under way, and writes still waiting in the queue.
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    if (this.open.size > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    await this.closeDatabase();
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
    const session: Session = await this.openSession(() => {
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
